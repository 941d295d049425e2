// What a target branch's queue tests and lands, for every queue mode, as one pure state machine:
// events in, commands out, no I/O, no clock (every event says when it happened). The queue
// workflow drives it against the forge; the benchmark's simulator drives it in virtual time; the
// property tests drive it with random event orders. One rule holds in every mode: a car lands only
// when a pipeline passed on exactly the state the target would then point at.
//
// Words: an entry is a merge request waiting or riding; a car is one or more entries tested
// together; the train is the cars in order, car i tested on target + cars 0..i (speculatively,
// before the cars ahead have landed). A probe tests entries alone on the target, off the train:
// it is never landed, it only clears or convicts them (adaptive mode's side lane and bisection).

import type { Priority } from './mergeOrder';

export type QueueMode = 'serial' | 'batch' | 'train';
export type TrainWindow = 'fixed' | 'adaptive';

export interface TrainSettings {
  mode: QueueMode;
  /** K: pipelines in flight at most (train mode; serial and batch run one). */
  maxParallelPipelines: number;
  /** Entries per car at most (batch mode, and adaptive cars). */
  maxBatchSize: number;
  /** Batch mode: how long the oldest waiting entry may wait for a batch to fill. */
  batchMinWaitMs: number;
  /** A failed pipeline is run again this many times before anyone is ejected or bisected. */
  ciRetries: number;
  window: TrainWindow;
  /** A car behind a failed one passed, and it includes the failed one: land both (flake evidence). */
  optimistic: boolean;
  /**
   * 'gitlab' is the peer the benchmark compares against, GitLab's merge trains: a failed entry is
   * ejected at once, even while the entries ahead are still running, and there are no probes.
   */
  style?: 'shepherd' | 'gitlab';
}

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  mode: 'serial',
  maxParallelPipelines: 4,
  maxBatchSize: 8,
  batchMinWaitMs: 0,
  ciRetries: 0,
  window: 'fixed',
  optimistic: true,
};

export interface TrainEntry {
  iid: number;
  attempt: number;
  priority: Priority;
  /** Sort key within a priority (the merge order's timestamp as ms); ties go by iid. */
  rank: number;
  /** Earlier attempts that failed CI: adaptive mode probes such entries before they ride. */
  failedBefore: number;
  /** Cleared by a passing probe: rides the train like an entry with no failures. */
  cleared: boolean;
  enqueuedAt: number;
  /**
   * When it first left the line for a car or a probe. Entries sent back (a restart, a car set
   * aside and sent back, a cleared probe) wait again in this order, ahead of those that have not
   * had their turn, so nobody overtakes an entry that was ahead of it in the train.
   */
  turn?: number;
}

export type CarStatus = 'building' | 'testing' | 'passed' | 'failed' | 'landing';

export interface Car {
  id: number;
  /** This car's own entries (iids), in order. */
  iids: number[];
  /** Tested alone on the target, never landed. */
  probe: boolean;
  status: CarStatus;
  sha?: string;
  /** Pipeline runs so far on `sha` (1 + retries). */
  runs: number;
  /** Building it conflicted on this entry. */
  conflictOn?: number;
}

export interface AsideCar {
  car: Car;
  ahead: number[];
}

export type TrainEvent =
  | { kind: 'enqueue'; at: number; iid: number; attempt: number; priority?: Priority; rank?: number; failedBefore?: number }
  | { kind: 'dequeue'; at: number; iid: number }
  /** The car's state exists as a commit and its pipeline is running. */
  | { kind: 'built'; at: number; car: number; sha: string }
  /** Combining the car's state conflicted on entry `iid`. */
  | { kind: 'build-conflict'; at: number; car: number; iid: number }
  | { kind: 'pipeline-finished'; at: number; car: number; sha: string; passed: boolean }
  | { kind: 'landed'; at: number; car: number }
  /** Landing found the target elsewhere than the car was built on. */
  | { kind: 'land-failed'; at: number; car: number }
  /** Someone else moved the target branch: every speculative state is stale. */
  | { kind: 'target-moved'; at: number }
  /** A wake-up that was asked for. */
  | { kind: 'tick'; at: number };

export type EjectReason = 'ci-failed' | 'conflict';

export type TrainCommand =
  /** Build target + `iids` (in order) as one commit and start its pipeline; answer built / build-conflict. */
  | { kind: 'build'; car: number; iids: number[]; probe: boolean }
  | { kind: 'cancel'; car: number }
  /** Run the pipeline on the car's commit again (ci-retries); `run` of `of`. */
  | { kind: 'retry-pipeline'; car: number; sha: string; run: number; of: number }
  /** Move the target to `sha`, which passed; `iids` land with it. Answer landed / land-failed. */
  | { kind: 'land'; car: number; sha: string; iids: number[] }
  | { kind: 'eject'; iid: number; attempt: number; reason: EjectReason; car: number }
  /** Send a tick at this time (batch-min-wait). */
  | { kind: 'wake'; at: number };

export interface TrainSnapshot {
  waiting: TrainEntry[];
  riding: TrainEntry[];
  cars: Car[];
  probes: Car[];
  /** Halves of a failed car, to be tested again as cars before anything else (serial and batch bisection). */
  groups: number[][];
  /**
   * Cars that failed behind undecided cars, taken out of the train so the cars behind them go on
   * without them: convicted once every car in `ahead` has landed, sent back to wait if one of those
   * failed or was rebuilt (the failure may have been theirs).
   */
  aside: AsideCar[];
  nextCarId: number;
  windowSize: number;
  /** Recent share of head results that failed (adaptive car sizes). */
  failureRate: number;
}

/** Adaptive mode: how fast the failure rate follows new results. */
const RATE_WEIGHT = 0.1;

export class MergeTrainMachine {
  private waiting: TrainEntry[];
  /** Entries in cars or probes, by iid. */
  private readonly riding = new Map<number, TrainEntry>();
  private cars: Car[];
  private probes: Car[];
  private groups: number[][];
  private aside: AsideCar[];
  private nextCarId: number;
  private windowSize: number;
  private failureRate: number;
  private nextTurn: number;
  private readonly s: Required<TrainSettings>;

  constructor(settings: TrainSettings, carried?: TrainSnapshot) {
    this.s = { style: 'shepherd', ...settings };
    this.waiting = (carried?.waiting ?? []).map((e) => ({ ...e }));
    for (const e of carried?.riding ?? []) this.riding.set(e.iid, { ...e });
    this.cars = (carried?.cars ?? []).map((c) => ({ ...c, iids: [...c.iids] }));
    this.probes = (carried?.probes ?? []).map((c) => ({ ...c, iids: [...c.iids] }));
    this.groups = (carried?.groups ?? []).map((g) => [...g]);
    this.aside = (carried?.aside ?? []).map((a) => ({ car: { ...a.car, iids: [...a.car.iids] }, ahead: [...a.ahead] }));
    this.nextCarId = carried?.nextCarId ?? 1;
    this.windowSize = carried?.windowSize ?? this.maxWindow();
    this.failureRate = carried?.failureRate ?? 0.1;
    const turns = [...this.waiting, ...this.riding.values()].map((e) => e.turn ?? 0);
    this.nextTurn = Math.max(0, ...turns) + 1;
  }

  snapshot(): TrainSnapshot {
    return {
      waiting: this.waiting.map((e) => ({ ...e })),
      riding: [...this.riding.values()].map((e) => ({ ...e })),
      cars: this.cars.map((c) => ({ ...c, iids: [...c.iids] })),
      probes: this.probes.map((c) => ({ ...c, iids: [...c.iids] })),
      groups: this.groups.map((g) => [...g]),
      aside: this.aside.map((a) => ({ car: { ...a.car, iids: [...a.car.iids] }, ahead: [...a.ahead] })),
      nextCarId: this.nextCarId,
      windowSize: this.windowSize,
      failureRate: this.failureRate,
    };
  }

  /** Nothing waits and nothing rides. */
  isIdle(): boolean {
    return this.waiting.length === 0 && this.riding.size === 0;
  }

  /** Where an MR stands: 'waiting' with its place (1 = next), 'riding' in a car, or absent. */
  placeOf(iid: number): { kind: 'waiting'; position: number } | { kind: 'riding'; car: Car; index: number } | undefined {
    const w = this.waiting.findIndex((e) => e.iid === iid);
    if (w >= 0) return { kind: 'waiting', position: w + 1 };
    const index = this.cars.findIndex((c) => c.iids.includes(iid));
    if (index >= 0) return { kind: 'riding', car: this.cars[index], index };
    const probe = this.probes.find((c) => c.iids.includes(iid));
    if (probe) return { kind: 'riding', car: probe, index: -1 };
    const held = this.aside.find((a) => a.car.iids.includes(iid));
    if (held) return { kind: 'riding', car: held.car, index: -1 };
    return this.groups.some((g) => g.includes(iid)) ? { kind: 'waiting', position: 1 } : undefined;
  }

  apply(event: TrainEvent): TrainCommand[] {
    const out: TrainCommand[] = [];
    switch (event.kind) {
      case 'enqueue':
        this.enqueue(event, out);
        break;
      case 'dequeue':
        this.dequeue(event.iid, out);
        break;
      case 'built': {
        const car = this.carById(event.car) ?? this.probes.find((c) => c.id === event.car);
        if (car?.status === 'building') {
          car.status = 'testing';
          car.sha = event.sha;
          car.runs = 1;
        }
        break;
      }
      case 'build-conflict':
        this.onConflict(event.car, event.iid, out);
        break;
      case 'pipeline-finished':
        this.onPipeline(event.car, event.sha, event.passed, out);
        break;
      case 'landed':
        this.onLanded(event.car);
        break;
      case 'land-failed': {
        const car = this.carById(event.car);
        if (car?.status === 'landing') {
          car.status = 'building'; // it did not land: stale like the rest
          this.restartTrain(0, out);
        }
        break;
      }
      case 'target-moved':
        this.restartTrain(0, out);
        break;
      case 'tick':
        break;
    }
    this.decide(out);
    this.fill(event.at, out);
    return out;
  }

  // --- events -------------------------------------------------------------------------------

  private enqueue(e: Extract<TrainEvent, { kind: 'enqueue' }>, out: TrainCommand[]): void {
    const known = this.waiting.find((x) => x.iid === e.iid) ?? this.riding.get(e.iid);
    if (known && known.attempt >= e.attempt) return; // a repeat or a late older request
    if (known) this.dequeue(e.iid, out); // superseded by a newer request
    this.insertWaiting({
      iid: e.iid,
      attempt: e.attempt,
      priority: e.priority ?? 'normal',
      rank: e.rank ?? e.at,
      failedBefore: e.failedBefore ?? 0,
      cleared: false,
      enqueuedAt: e.at,
    });
  }

  private dequeue(iid: number, out: TrainCommand[]): void {
    this.waiting = this.waiting.filter((e) => e.iid !== iid);
    if (!this.riding.has(iid)) return;
    // Landing already: too late to take it out; `landed` or `land-failed` follows.
    if (this.cars.some((c) => c.status === 'landing' && this.stateOf(c).includes(iid))) return;
    this.riding.delete(iid);
    if (this.groups.some((g) => g.includes(iid))) {
      this.groups = this.groups.map((g) => g.filter((x) => x !== iid)).filter((g) => g.length > 0);
      return;
    }
    const held = this.aside.find((a) => a.car.iids.includes(iid));
    if (held) {
      held.car.iids = held.car.iids.filter((x) => x !== iid);
      if (held.car.iids.length === 0) this.aside = this.aside.filter((a) => a !== held);
      return;
    }
    const probe = this.probes.find((c) => c.iids.includes(iid));
    if (probe) {
      this.removeProbe(probe, out);
      for (const other of probe.iids.filter((x) => x !== iid)) this.unride(other, true);
      return;
    }
    const index = this.cars.findIndex((c) => c.iids.includes(iid));
    if (index < 0) return;
    this.cars[index].iids = this.cars[index].iids.filter((x) => x !== iid);
    // Everything from that car on was tested with it: build it again without.
    this.restartTrain(index, out);
  }

  private onConflict(carId: number, iid: number, out: TrainCommand[]): void {
    const probe = this.probes.find((c) => c.id === carId);
    if (probe) {
      // Alone on the target and still conflicting: the entry's own doing.
      this.removeProbe(probe, out, false);
      for (const x of probe.iids) {
        if (x === iid) this.eject(x, 'conflict', carId, out);
        else this.unride(x, false);
      }
      return;
    }
    const car = this.carById(carId);
    if (car?.status !== 'building') return;
    car.status = 'failed';
    car.conflictOn = iid;
  }

  private onPipeline(carId: number, sha: string, passed: boolean, out: TrainCommand[]): void {
    const probe = this.probes.find((c) => c.id === carId);
    const car = probe ?? this.carById(carId);
    if (!car || car.status !== 'testing' || car.sha !== sha) return; // stale: cancelled or rebuilt
    if (passed) {
      car.status = 'passed';
      return;
    }
    if (car.runs <= this.s.ciRetries) {
      car.runs++;
      out.push({ kind: 'retry-pipeline', car: car.id, sha, run: car.runs - 1, of: this.s.ciRetries });
      return;
    }
    car.status = 'failed';
  }

  private onLanded(carId: number): void {
    const index = this.cars.findIndex((c) => c.id === carId && c.status === 'landing');
    if (index < 0) return;
    // Everything up to that car landed with it (optimistic landings take the failed ones ahead too).
    const landed = new Set(this.cars.slice(0, index + 1).map((c) => c.id));
    for (const c of this.cars.slice(0, index + 1)) for (const iid of c.iids) this.riding.delete(iid);
    this.cars = this.cars.slice(index + 1);
    for (const a of this.aside) a.ahead = a.ahead.filter((id) => !landed.has(id));
    if (this.s.window === 'adaptive') this.windowSize = Math.min(this.maxWindow(), this.windowSize + 1);
  }

  // --- decisions ----------------------------------------------------------------------------

  /** Acts on results in train order, and on probe results. */
  private decide(out: TrainCommand[]): void {
    this.decideProbes(out);
    this.decideAside(out);
    this.decideTrain(out);
    // The head's fate may have decided cars set aside behind it.
    this.decideAside(out);
  }

  private decideTrain(out: TrainCommand[]): void {
    for (;;) {
      if (this.cars.some((c) => c.status === 'landing')) return; // one landing at a time
      const head = this.cars[0];
      if (!head) return;
      if (head.status === 'passed') {
        this.land(0, out);
        return;
      }
      if (head.status === 'failed') {
        if (this.s.optimistic && head.conflictOn === undefined && this.s.style !== 'gitlab') {
          // A larger state that includes this one passed: that pass is the evidence, land it all.
          let j = -1;
          this.cars.forEach((c, i) => {
            if (i > 0 && c.status === 'passed') j = i;
          });
          if (j > 0) {
            this.land(j, out);
            return;
          }
        }
        this.headFailed(head, out);
        continue;
      }
      if (this.s.style === 'gitlab') this.ejectFailedBehind(out);
      else if (this.setAside(out)) continue;
      return;
    }
  }

  /** A car failed behind undecided ones: the train goes on without it until they are decided. */
  private setAside(out: TrainCommand[]): boolean {
    const index = this.cars.findIndex((c, i) => {
      if (i === 0 || c.status !== 'failed') return false;
      // A larger state holding it passed: keep it, that pass will land it (optimistic).
      return !(this.s.optimistic && c.conflictOn === undefined && this.cars.slice(i + 1).some((b) => b.status === 'passed'));
    });
    if (index < 0) return false;
    const car = this.cars[index];
    this.aside.push({ car, ahead: this.cars.slice(0, index).map((c) => c.id) });
    this.cars.splice(index, 1);
    this.restartTrain(index, out);
    return true;
  }

  /** Convicts the cars set aside whose cars ahead all landed; sends back those whose did not. */
  private decideAside(out: TrainCommand[]): void {
    const inTrain = new Set(this.cars.map((c) => c.id));
    for (const a of [...this.aside]) {
      if (a.ahead.length === 0) {
        this.aside = this.aside.filter((x) => x !== a);
        this.convict(a.car, out);
      } else if (a.ahead.some((id) => !inTrain.has(id))) {
        // One of them left without landing: the failure may have been its doing; test again.
        this.aside = this.aside.filter((x) => x !== a);
        for (const iid of [...a.car.iids].reverse()) this.unride(iid, false, true);
      }
    }
  }

  /** The head's own state failed: nothing ahead can be blamed. */
  private headFailed(head: Car, out: TrainCommand[]): void {
    this.cars.shift();
    // The cars behind were tested on top of it: build them again without it.
    this.restartTrain(0, out);
    this.convict(head, out);
  }

  /** A car's state failed on exactly target + it: eject its culprit, or bisect it. */
  private convict(head: Car, out: TrainCommand[]): void {
    this.noteResult(false);
    const members = head.iids;
    if (head.conflictOn !== undefined) {
      this.eject(head.conflictOn, 'conflict', head.id, out);
      for (const iid of members.filter((x) => x !== head.conflictOn)) this.unride(iid, false, true);
      return;
    }
    if (members.length === 1) {
      this.eject(members[0], 'ci-failed', head.id, out);
      return;
    }
    // Bisect: the halves are tested again; adaptive mode probes them off the train.
    const half = Math.ceil(members.length / 2);
    const halves = [members.slice(0, half), members.slice(half)];
    if (this.useProbes()) {
      for (const h of halves) this.startProbe(h, out);
      return;
    }
    this.groups.unshift(...halves); // its members still ride: they are tested again as these cars
  }

  /** The peer's rule: a failed entry leaves at once, whatever runs ahead of it. */
  private ejectFailedBehind(out: TrainCommand[]): void {
    const index = this.cars.findIndex((c, i) => i > 0 && c.status === 'failed');
    if (index < 0) return;
    const car = this.cars[index];
    this.cars.splice(index, 1);
    this.restartTrain(index, out);
    this.noteResult(false);
    if (car.conflictOn !== undefined) {
      this.eject(car.conflictOn, 'conflict', car.id, out);
      for (const iid of car.iids.filter((x) => x !== car.conflictOn)) this.unride(iid, false, true);
    } else for (const iid of car.iids) this.eject(iid, 'ci-failed', car.id, out);
  }

  private decideProbes(out: TrainCommand[]): void {
    for (const probe of [...this.probes]) {
      if (probe.status === 'passed') {
        this.removeProbe(probe, out, false);
        for (const iid of probe.iids) this.unride(iid, true);
      } else if (probe.status === 'failed') {
        this.removeProbe(probe, out, false);
        if (probe.iids.length === 1) this.eject(probe.iids[0], 'ci-failed', probe.id, out);
        else {
          const half = Math.ceil(probe.iids.length / 2);
          this.startProbe(probe.iids.slice(0, half), out);
          this.startProbe(probe.iids.slice(half), out);
        }
      }
    }
  }

  private land(index: number, out: TrainCommand[]): void {
    const car = this.cars[index];
    car.status = 'landing';
    this.noteResult(true);
    out.push({ kind: 'land', car: car.id, sha: car.sha as string, iids: this.stateOf(car) });
  }

  /** Starts pipelines for waiting entries while the window allows. */
  private fill(at: number, out: TrainCommand[]): void {
    const inFlight = (): number =>
      this.cars.filter((c) => c.status === 'building' || c.status === 'testing').length +
      this.probes.filter((c) => c.status === 'building' || c.status === 'testing').length;
    const maxCars = this.s.mode === 'train' ? this.windowSize : 1;
    while (this.groups.length > 0 && inFlight() < this.windowSize && this.cars.length < maxCars) {
      const car = this.newCar(this.groups.shift() as number[], false);
      this.cars.push(car);
      out.push({ kind: 'build', car: car.id, iids: this.stateOf(car), probe: false });
    }
    if (this.groups.length > 0) return; // bisection first
    while (this.waiting.length > 0 && inFlight() < this.windowSize) {
      const next = this.waiting[0];
      if (this.useProbes() && next.failedBefore > 0 && !next.cleared) {
        this.waiting.shift();
        this.board(next);
        this.startProbe([next.iid], out);
        continue;
      }
      if (this.cars.length >= maxCars) return;
      const size = this.carSize();
      if (this.s.mode === 'batch' && this.waiting.length < size && at - this.oldestWaitingSince() < this.s.batchMinWaitMs) {
        out.push({ kind: 'wake', at: this.oldestWaitingSince() + this.s.batchMinWaitMs });
        return;
      }
      const take: TrainEntry[] = [];
      while (take.length < size && this.waiting.length > 0) {
        const e = this.waiting[0];
        // A suspect entry never rides with others in a car: it is probed first.
        if (this.useProbes() && e.failedBefore > 0 && !e.cleared) break;
        take.push(this.waiting.shift() as TrainEntry);
      }
      if (take.length === 0) continue;
      for (const e of take) this.board(e);
      const car = this.newCar(take.map((e) => e.iid), false);
      this.cars.push(car);
      out.push({ kind: 'build', car: car.id, iids: this.stateOf(car), probe: false });
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Cars from `index` on are stale: cancelled, their entries back at the front of the line. */
  private restartTrain(index: number, out: TrainCommand[]): void {
    // A car being landed and those ahead of it are not stale: they are (about to be) the target.
    const landing = this.cars.findIndex((c) => c.status === 'landing');
    const from = Math.max(index, landing + 1);
    const stale = this.cars.slice(from);
    this.cars = this.cars.slice(0, from);
    const back: number[] = [];
    for (const c of stale) {
      if (c.status === 'building' || c.status === 'testing' || c.status === 'landing') out.push({ kind: 'cancel', car: c.id });
      back.push(...c.iids);
    }
    for (const iid of back.reverse()) this.unride(iid, false, true);
  }

  /** An entry leaves the line for a car or a probe. */
  private board(e: TrainEntry): void {
    e.turn ??= this.nextTurn++;
    this.riding.set(e.iid, e);
  }

  /** An entry leaves its car or probe and waits again (`front`: in the order of its turn, ahead of those that have not had one). */
  private unride(iid: number, cleared: boolean, front = true): void {
    const e = this.riding.get(iid);
    if (!e) return;
    this.riding.delete(iid);
    if (cleared) e.cleared = true;
    if (!front) return this.insertWaiting(e);
    const turn = e.turn ?? 0;
    const index = this.waiting.findIndex((x) => x.turn === undefined || x.turn > turn);
    if (index < 0) this.waiting.push(e);
    else this.waiting.splice(index, 0, e);
  }

  private eject(iid: number, reason: EjectReason, car: number, out: TrainCommand[]): void {
    const e = this.riding.get(iid);
    if (!e) return;
    this.riding.delete(iid);
    out.push({ kind: 'eject', iid, attempt: e.attempt, reason, car });
  }

  private startProbe(iids: number[], out: TrainCommand[]): void {
    const probe = this.newCar(iids, true);
    this.probes.push(probe);
    out.push({ kind: 'build', car: probe.id, iids, probe: true });
  }

  private removeProbe(probe: Car, out: TrainCommand[], cancel = true): void {
    this.probes = this.probes.filter((c) => c !== probe);
    if (cancel && (probe.status === 'building' || probe.status === 'testing')) out.push({ kind: 'cancel', car: probe.id });
  }

  private newCar(iids: number[], probe: boolean): Car {
    return { id: this.nextCarId++, iids, probe, status: 'building', runs: 0 };
  }

  /** The entries a car's commit contains: every car up to it (a probe: only its own). */
  private stateOf(car: Car): number[] {
    if (car.probe) return [...car.iids];
    const index = this.cars.indexOf(car);
    return this.cars.slice(0, index + 1).flatMap((c) => c.iids);
  }

  private carById(id: number): Car | undefined {
    return this.cars.find((c) => c.id === id);
  }

  private insertWaiting(e: TrainEntry): void {
    const before = (a: TrainEntry, b: TrainEntry): boolean =>
      a.priority !== b.priority ? a.priority === 'high' : a.rank !== b.rank ? a.rank < b.rank : a.iid < b.iid;
    const index = this.waiting.findIndex((x) => before(e, x));
    if (index < 0) this.waiting.push(e);
    else this.waiting.splice(index, 0, e);
  }

  private oldestWaitingSince(): number {
    return Math.min(...this.waiting.map((e) => e.enqueuedAt));
  }

  private maxWindow(): number {
    return this.s.mode === 'train' ? Math.max(1, this.s.maxParallelPipelines) : 1;
  }

  private useProbes(): boolean {
    return this.s.mode === 'train' && this.s.window === 'adaptive' && this.s.style !== 'gitlab';
  }

  /** Entries per new car: batch mode fills cars; adaptive trains form cars while failures are rare. */
  private carSize(): number {
    if (this.s.mode === 'batch') return Math.max(1, this.s.maxBatchSize);
    if (this.s.mode !== 'train' || this.s.window !== 'adaptive') return 1;
    const max = Math.max(1, this.s.maxBatchSize);
    if (this.failureRate < 0.04) return Math.min(max, 4);
    if (this.failureRate < 0.12) return Math.min(max, 2);
    return 1;
  }

  private noteResult(passed: boolean): void {
    this.failureRate = (1 - RATE_WEIGHT) * this.failureRate + RATE_WEIGHT * (passed ? 0 : 1);
    if (!passed && this.s.window === 'adaptive') this.windowSize = Math.max(2, Math.min(this.maxWindow(), Math.ceil(this.windowSize * 0.75)));
  }
}
