// A discrete-event simulator of one target branch's queue in virtual time, driving the very state
// machine the queue workflow drives (src/domain/mergeTrain.ts). Time is in units of T, the median
// CI duration. Merge requests arrive as a Poisson process; each is bad (its pipeline always fails)
// with probability p; any run fails by flakiness with probability f, and a failing run stops at a
// uniformly drawn point of its duration (its first failing job); an ejected MR comes back
// unchanged after 2 T, up to 3 times. Random draws are keyed by what they are about (the seed, the
// MR, the tested state and its run), so every strategy sees the same arrivals, the same bad MRs
// and the same luck for the same state: common random numbers.
import { MergeTrainMachine, type TrainCommand, type TrainEvent, type TrainSettings } from '../../src/domain/mergeTrain';

export interface Scenario {
  /** Arrivals per T. */
  lambda: number;
  /** Share of bad merge requests. */
  p: number;
  /** Share of pipeline runs that fail by flakiness. */
  flaky: number;
  /** Arrivals happen in [0, horizon); results are counted up to the horizon. */
  horizon: number;
  seed: number;
  /** Lognormal σ of CI durations (median 1 T). */
  sigma?: number;
  resubmitAfter?: number;
  maxResubmits?: number;
  /** At most this many arrivals (the rest of the horizon then drains the queue). */
  mergeRequests?: number;
}

export interface SimResult {
  merged: number;
  mergesPerT: number;
  /** Arrival (first submission) to landing, in T, of the MRs merged by the horizon. */
  timesToMerge: number[];
  ciRuns: number;
  ciTime: number;
  /** Ejections of MRs that were not bad. */
  goodRejected: number;
  goodSubmitted: number;
  /** Landings of a state holding a bad MR: must stay 0. */
  brokenMain: number;
  ejections: number;
  /** Every MR's end by the horizon: landings and final ejections, for cross-checks. */
  landings: number[];
  finalEjections: number[];
  /** Every pipeline run as `<state>#<k>` (the k-th run on target + those MRs), in start order. */
  runs: string[];
}

interface Mr {
  iid: number;
  arrival: number;
  bad: boolean;
  submissions: number;
  ciFailures: number;
}

/** 32-bit FNV-1a of a string, then one round of mulberry32: a uniform draw in [0, 1). */
function uniform(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let t = (h + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function lognormal(key: string, sigma: number): number {
  const u1 = Math.max(uniform(`${key}:u1`), 1e-12);
  const u2 = uniform(`${key}:u2`);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(sigma * z);
}

/** A binary heap of timed callbacks; equal times run in the order they were scheduled. */
class Agenda {
  private heap: Array<{ at: number; seq: number; run: () => void }> = [];
  private seq = 0;

  add(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  next(): { at: number; run: () => void } | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as (typeof h)[number];
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

/** The scenario's merge requests: when each first arrives (in T) and whether it is bad. */
export function arrivalsOf(sc: Scenario): Array<{ iid: number; at: number; bad: boolean }> {
  const out: Array<{ iid: number; at: number; bad: boolean }> = [];
  let t = 0;
  for (let iid = 1; iid <= (sc.mergeRequests ?? Infinity); iid++) {
    t += -Math.log(Math.max(uniform(`${sc.seed}:gap:${iid}`), 1e-12)) / sc.lambda;
    if (t >= sc.horizon) break;
    out.push({ iid, at: t, bad: uniform(`${sc.seed}:bad:${iid}`) < sc.p });
  }
  return out;
}

/**
 * The k-th pipeline run on the state `iids` (the target + these, in order): whether it passes and
 * how long it takes, in T. Keyed by the state and k alone, so every strategy, and a real run of
 * the queue driven by the same scenario, gets the same luck for the same state.
 */
export function pipelineRun(sc: Scenario, iids: readonly number[], k: number, isBad: (iid: number) => boolean): { passed: boolean; duration: number } {
  const key = `${sc.seed}:state:${iids.join(',')}:${k}`;
  const passed = !iids.some(isBad) && uniform(`${key}:flaky`) >= sc.flaky;
  // A failing pipeline stops at its first failing job: somewhere in its run, not at the end.
  const duration = lognormal(`${key}:dur`, sc.sigma ?? 0.3) * (passed ? 1 : uniform(`${key}:fails-at`));
  return { passed, duration };
}

export function simulate(settings: TrainSettings, sc: Scenario): SimResult {
  const resubmitAfter = sc.resubmitAfter ?? 2;
  const maxResubmits = sc.maxResubmits ?? 3;
  const machine = new MergeTrainMachine(settings);
  const agenda = new Agenda();
  const mrs = new Map<number, Mr>();
  const result: SimResult = {
    merged: 0,
    mergesPerT: 0,
    timesToMerge: [],
    ciRuns: 0,
    ciTime: 0,
    goodRejected: 0,
    goodSubmitted: 0,
    brokenMain: 0,
    ejections: 0,
    landings: [],
    finalEjections: [],
    runs: [],
  };
  /** Running pipelines by car: when each started (for the CI time of a cancelled one). */
  const running = new Map<number, { started: number; token: number }>();
  const stateStarts = new Map<string, number>();
  /** The state each car was built with, for retries. */
  const carState = new Map<number, number[]>();
  let token = 0;
  let now = 0;

  // Arrivals, drawn up front from the seed alone: the same for every strategy.
  for (const a of arrivalsOf(sc)) {
    const mr: Mr = { iid: a.iid, arrival: a.at, bad: a.bad, submissions: 0, ciFailures: 0 };
    mrs.set(a.iid, mr);
    agenda.add(a.at, () => submit(mr));
  }

  // Events the commands cause are applied after the commands of the event before, in order, as
  // the queue workflow does: never in the middle of another event's commands.
  const pending: TrainEvent[] = [];
  let draining = false;
  const apply = (event: TrainEvent): void => {
    pending.push(event);
    if (draining) return;
    draining = true;
    for (let e = pending.shift(); e; e = pending.shift()) for (const c of machine.apply(e)) execute(c);
    draining = false;
  };

  function submit(mr: Mr): void {
    mr.submissions++;
    if (!mr.bad) result.goodSubmitted++;
    apply({ kind: 'enqueue', at: now, iid: mr.iid, attempt: mr.submissions, rank: mr.arrival, failedBefore: mr.ciFailures });
  }

  function startPipeline(car: number, iids: number[]): void {
    const state = iids.join(',');
    const k = (stateStarts.get(state) ?? 0) + 1;
    stateStarts.set(state, k);
    const { passed, duration } = pipelineRun(sc, iids, k, (iid) => mrs.get(iid)?.bad === true);
    result.runs.push(`${state}#${k}`);
    const mine = ++token;
    result.ciRuns++;
    running.set(car, { started: now, token: mine });
    agenda.add(now + duration, () => {
      const r = running.get(car);
      if (!r || r.token !== mine) return; // cancelled or replaced
      running.delete(car);
      result.ciTime += duration;
      apply({ kind: 'pipeline-finished', at: now, car, sha: `s${car}`, passed });
    });
  }

  function execute(c: TrainCommand): void {
    switch (c.kind) {
      case 'build':
        // Building the state (rebase, push) takes no time next to CI; the pipeline starts at once.
        carState.set(c.car, c.iids);
        apply({ kind: 'built', at: now, car: c.car, sha: `s${c.car}` });
        startPipeline(c.car, c.iids);
        break;
      case 'retry-pipeline':
        startPipeline(c.car, carState.get(c.car) ?? []);
        break;
      case 'cancel': {
        const r = running.get(c.car);
        if (r) {
          result.ciTime += now - r.started;
          running.delete(c.car);
        }
        break;
      }
      case 'land':
        for (const iid of c.iids) {
          const mr = mrs.get(iid);
          if (!mr) continue;
          if (mr.bad) result.brokenMain++;
          if (now <= sc.horizon) {
            result.merged++;
            result.timesToMerge.push(now - mr.arrival);
            result.landings.push(iid);
          }
        }
        apply({ kind: 'landed', at: now, car: c.car });
        break;
      case 'eject': {
        const mr = mrs.get(c.iid);
        if (!mr) break;
        result.ejections++;
        if (!mr.bad) result.goodRejected++;
        if (c.reason === 'ci-failed') mr.ciFailures++;
        if (mr.submissions <= maxResubmits) agenda.add(now + resubmitAfter, () => submit(mr));
        else if (now <= sc.horizon) result.finalEjections.push(mr.iid);
        break;
      }
      case 'wake':
        agenda.add(Math.max(c.at, now), () => apply({ kind: 'tick', at: now }));
        break;
    }
  }

  for (;;) {
    const next = agenda.next();
    if (!next || next.at > sc.horizon) break;
    now = next.at;
    next.run();
  }
  result.mergesPerT = result.merged / sc.horizon;
  return result;
}
