import {
  DEFAULT_TRAIN_SETTINGS,
  MergeTrainMachine,
  type TrainCommand,
  type TrainEvent,
  type TrainSettings,
} from '../../../src/domain/mergeTrain';

const train = (over: Partial<TrainSettings> = {}): TrainSettings => ({ ...DEFAULT_TRAIN_SETTINGS, mode: 'train', maxParallelPipelines: 3, ...over });

/** An event whose time the driver fills in. */
type Untimed<E> = E extends unknown ? Omit<E, 'at'> & { at?: number } : never;

/** Drives a machine by hand: remembers every command, answers builds with sha `s<car>`. */
function driver(settings: TrainSettings) {
  const m = new MergeTrainMachine(settings);
  const log: TrainCommand[] = [];
  let now = 0;
  const apply = (e: Untimed<TrainEvent>): TrainCommand[] => {
    const cs = m.apply({ at: now++, ...e } as TrainEvent);
    log.push(...cs);
    return cs;
  };
  const builds = (cs: TrainCommand[]) => cs.filter((c): c is Extract<TrainCommand, { kind: 'build' }> => c.kind === 'build');
  /** The car now built for exactly this state. */
  const carFor = (iids: number[]): number => {
    const b = [...log].reverse().find((c) => c.kind === 'build' && c.iids.join() === iids.join());
    if (!b || b.kind !== 'build') throw new Error(`no build of [${iids.join()}]`);
    return b.car;
  };
  const built = (iids: number[]) => apply({ kind: 'built', car: carFor(iids), sha: `s${carFor(iids)}` });
  const finish = (iids: number[], passed: boolean) => apply({ kind: 'pipeline-finished', car: carFor(iids), sha: `s${carFor(iids)}`, passed });
  const enqueue = (iid: number, extra: Partial<Extract<TrainEvent, { kind: 'enqueue' }>> = {}) =>
    apply({ kind: 'enqueue', iid, attempt: 1, rank: iid, ...extra } as TrainEvent);
  return { m, log, apply, builds, carFor, built, finish, enqueue };
}

const states = (cs: TrainCommand[]) => cs.filter((c) => c.kind === 'build').map((c) => (c.kind === 'build' ? c.iids.join('+') : ''));
const kinds = (cs: TrainCommand[]) => cs.map((c) => c.kind);

test('serial: one merge request at a time, tested on the target, landed, then the next (marge-bot)', () => {
  const d = driver({ ...DEFAULT_TRAIN_SETTINGS, mode: 'serial' });
  expect(states(d.enqueue(1))).toEqual(['1']);
  expect(states(d.enqueue(2))).toEqual([]);
  d.built([1]);
  const passed = d.finish([1], true);
  expect(passed).toEqual([{ kind: 'land', car: d.carFor([1]), sha: `s${d.carFor([1])}`, iids: [1] }]);
  expect(states(d.apply({ kind: 'landed', car: d.carFor([1]) }))).toEqual(['2']);
});

test('train: entry i is tested on target + 1..i, at most K pipelines in flight', () => {
  const d = driver(train());
  const cs = [1, 2, 3, 4].flatMap((i) => d.enqueue(i));
  expect(states(cs)).toEqual(['1', '1+2', '1+2+3']);
  expect(d.m.placeOf(4)).toEqual({ kind: 'waiting', position: 1 });
});

test('train of 5 with the 2nd bad: 1, 3, 4, 5 land; only what stood behind the 2nd is tested again; 2 is ejected once 1 landed', () => {
  const d = driver(train({ maxParallelPipelines: 5 }));
  for (const i of [1, 2, 3, 4, 5]) d.enqueue(i);
  for (const s of [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5]]) d.built(s);
  // 2 fails while 1 still runs: it is held aside, not ejected (1 may be the culprit).
  const after2 = d.finish([1, 2], false);
  expect(kinds(after2).filter((k) => k === 'eject')).toEqual([]);
  expect(states(after2)).toEqual(['1+3', '1+3+4', '1+3+4+5']);
  expect(after2.filter((c) => c.kind === 'cancel').length).toBe(3);
  const land1 = d.finish([1], true);
  expect(land1).toEqual([expect.objectContaining({ kind: 'land', iids: [1] })]);
  // 1 landed: 2 failed on exactly the target + 2.
  const landed1 = d.apply({ kind: 'landed', car: d.carFor([1]) });
  expect(landed1.filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 2, reason: 'ci-failed' })]);
  for (const s of [[1, 3], [1, 3, 4], [1, 3, 4, 5]]) d.built(s);
  d.finish([1, 3, 4, 5], true);
  d.finish([1, 3, 4], true);
  const land = d.finish([1, 3], true);
  expect(land).toEqual([expect.objectContaining({ kind: 'land', iids: [3] })]);
  d.apply({ kind: 'landed', car: d.carFor([1, 3]) });
  d.apply({ kind: 'landed', car: d.carFor([1, 3, 4]) });
  d.apply({ kind: 'landed', car: d.carFor([1, 3, 4, 5]) });
  expect(d.m.isIdle()).toBe(true);
  const landedIids = d.log.flatMap((c) => (c.kind === 'land' ? c.iids : []));
  expect(landedIids).toEqual([1, 3, 4, 5]);
});

test('an entry held aside is tested again, not ejected, when the entry ahead of it fails', () => {
  const d = driver(train());
  for (const i of [1, 2, 3]) d.enqueue(i);
  for (const s of [[1], [1, 2], [1, 2, 3]]) d.built(s);
  d.finish([1, 2], false); // held aside; [1,3] rebuilt
  const cs = d.finish([1], false); // 1 was the culprit
  expect(cs.filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 1 })]);
  // 2 goes back to the front and is tested on the target again, with 3 behind it.
  expect(states(cs)).toEqual(['2', '2+3']);
});

test('a car set aside and sent back keeps its place: it does not overtake the entries that rode ahead of it', () => {
  const d = driver(train({ maxParallelPipelines: 4 }));
  for (const i of [1, 2, 3, 4]) d.enqueue(i);
  for (const s of [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]) d.built(s);
  d.finish([1, 2, 3, 4], false); // set aside behind three undecided cars
  const cs = d.finish([1], false); // the head was the culprit: 2 and 3 go back, and so does 4
  expect(cs.filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 1 })]);
  expect(states(cs)).toEqual(['2', '2+3', '2+3+4']);
});

test('the head failing alone: ejected with its car, the cars behind rebuilt without it', () => {
  const d = driver(train());
  for (const i of [1, 2, 3]) d.enqueue(i);
  for (const s of [[1], [1, 2], [1, 2, 3]]) d.built(s);
  const cs = d.finish([1], false);
  expect(cs).toEqual(
    expect.arrayContaining([
      { kind: 'cancel', car: d.carFor([1, 2]) },
      { kind: 'cancel', car: d.carFor([1, 2, 3]) },
      expect.objectContaining({ kind: 'eject', iid: 1, reason: 'ci-failed' }),
    ]),
  );
  expect(states(cs)).toEqual(['2', '2+3']);
});

test('batch: combined on one state; a failure is bisected until the culprit is alone; the good halves land', () => {
  const d = driver({ ...DEFAULT_TRAIN_SETTINGS, mode: 'batch', maxBatchSize: 4 });
  const first = [1, 2, 3, 4].flatMap((i) => d.enqueue(i));
  expect(states(first)).toEqual(['1']); // 1 alone: nothing else waited when it came (batch-min-wait 0)
  d.built([1]);
  d.finish([1], true);
  expect(states(d.apply({ kind: 'landed', car: d.carFor([1]) }))).toEqual(['2+3+4']);
  d.built([2, 3, 4]);
  expect(states(d.finish([2, 3, 4], false))).toEqual(['2+3']);
  d.built([2, 3]);
  expect(states(d.finish([2, 3], false))).toEqual(['2']);
  d.built([2]);
  d.finish([2], true);
  expect(states(d.apply({ kind: 'landed', car: d.carFor([2]) }))).toEqual(['3']);
  d.built([3]);
  const bad = d.finish([3], false);
  expect(bad.filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 3 })]);
  expect(states(bad)).toEqual(['4']);
});

test('batch-min-wait: a batch waits for company, then goes with what it has', () => {
  const d = driver({ ...DEFAULT_TRAIN_SETTINGS, mode: 'batch', maxBatchSize: 4, batchMinWaitMs: 100 });
  const cs = d.apply({ kind: 'enqueue', at: 0, iid: 1, attempt: 1 } as TrainEvent);
  expect(cs).toEqual([{ kind: 'wake', at: 100 }]);
  d.apply({ kind: 'enqueue', at: 50, iid: 2, attempt: 1 } as TrainEvent);
  expect(states(d.apply({ kind: 'tick', at: 100 }))).toEqual(['1+2']);
});

test('ci-retries: a failed pipeline is run again before anyone is ejected, and the retry is said', () => {
  const d = driver(train({ ciRetries: 1 }));
  d.enqueue(1);
  d.built([1]);
  expect(d.finish([1], false)).toEqual([{ kind: 'retry-pipeline', car: d.carFor([1]), sha: `s${d.carFor([1])}`, run: 1, of: 1 }]);
  expect(d.finish([1], false).filter((c) => c.kind === 'eject')).toHaveLength(1);
});

test('optimistic: the head failed but a larger state holding it passed: both land on that evidence', () => {
  const d = driver(train());
  for (const i of [1, 2]) d.enqueue(i);
  d.built([1]);
  d.built([1, 2]);
  d.finish([1, 2], true);
  const cs = d.finish([1], false);
  expect(cs).toEqual([expect.objectContaining({ kind: 'land', car: d.carFor([1, 2]), iids: [1, 2] })]);
  d.apply({ kind: 'landed', car: d.carFor([1, 2]) });
  expect(d.m.isIdle()).toBe(true);
});

test('without optimistic, the failed head is ejected even when a larger state passed', () => {
  const d = driver(train({ optimistic: false }));
  for (const i of [1, 2]) d.enqueue(i);
  d.built([1]);
  d.built([1, 2]);
  d.finish([1, 2], true);
  expect(d.finish([1], false).filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 1 })]);
});

test('priority: a high-priority MR goes ahead of the waiting ones without restarting the cars already running', () => {
  const d = driver(train({ maxParallelPipelines: 2 }));
  for (const i of [1, 2, 3, 4]) d.enqueue(i);
  const cs = d.enqueue(9, { priority: 'high' });
  expect(cs).toEqual([]);
  expect(d.m.placeOf(9)).toEqual({ kind: 'waiting', position: 1 });
  d.built([1]);
  d.finish([1], true);
  expect(states(d.apply({ kind: 'landed', car: d.carFor([1]) }))).toEqual(['2+9']);
});

test('someone moving the target restarts every car; a dequeued entry restarts only what stood behind it', () => {
  const d = driver(train());
  for (const i of [1, 2, 3]) d.enqueue(i);
  for (const s of [[1], [1, 2], [1, 2, 3]]) d.built(s);
  const moved = d.apply({ kind: 'target-moved' });
  expect(moved.filter((c) => c.kind === 'cancel')).toHaveLength(3);
  expect(states(moved)).toEqual(['1', '1+2', '1+2+3']);
  for (const s of [[1], [1, 2], [1, 2, 3]]) d.built(s);
  const out = d.apply({ kind: 'dequeue', iid: 2 });
  expect(out.filter((c) => c.kind === 'cancel').map((c) => (c.kind === 'cancel' ? c.car : 0))).toEqual([d.carFor([1, 2]), d.carFor([1, 2, 3])]);
  expect(states(out)).toEqual(['1+3']);
});

test('a conflict while combining behind other cars waits for them; on the target alone it ejects', () => {
  const d = driver(train());
  for (const i of [1, 2]) d.enqueue(i);
  d.built([1]);
  expect(d.apply({ kind: 'build-conflict', car: d.carFor([1, 2]), iid: 2 }).filter((c) => c.kind === 'eject')).toEqual([]);
  d.finish([1], true);
  const landed = d.apply({ kind: 'landed', car: d.carFor([1]) });
  expect(landed.filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 2, reason: 'conflict' })]);
});

test('the GitLab-style peer ejects a failed entry at once, even while the head still runs', () => {
  const d = driver(train({ style: 'gitlab', optimistic: false }));
  for (const i of [1, 2]) d.enqueue(i);
  d.built([1]);
  d.built([1, 2]);
  expect(d.finish([1, 2], false).filter((c) => c.kind === 'eject')).toEqual([expect.objectContaining({ iid: 2 })]);
});

test('adaptive: an MR that failed before is probed alone on the target first, and rides once cleared', () => {
  const d = driver(train({ window: 'adaptive' }));
  expect(d.enqueue(1, { failedBefore: 1 })).toEqual([{ kind: 'build', car: expect.any(Number), iids: [1], probe: true }]);
  d.built([1]);
  const cleared = d.finish([1], true);
  expect(cleared).toEqual([expect.objectContaining({ kind: 'build', iids: [1], probe: false })]);
});

test('its state survives a round trip through continue-as-new', () => {
  const d = driver(train());
  for (const i of [1, 2, 3, 4]) d.enqueue(i);
  d.built([1]);
  d.built([1, 2]);
  d.finish([1, 2], false);
  const copy = new MergeTrainMachine(train(), JSON.parse(JSON.stringify(d.m.snapshot())));
  expect(copy.snapshot()).toEqual(d.m.snapshot());
  const a = d.m.apply({ kind: 'pipeline-finished', at: 99, car: d.carFor([1]), sha: `s${d.carFor([1])}`, passed: true });
  const b = copy.apply({ kind: 'pipeline-finished', at: 99, car: d.carFor([1]), sha: `s${d.carFor([1])}`, passed: true });
  expect(b).toEqual(a);
});

describe('properties over random event orders', () => {
  const modes: Array<[string, TrainSettings]> = [
    ['serial', { ...DEFAULT_TRAIN_SETTINGS, mode: 'serial' }],
    ['batch', { ...DEFAULT_TRAIN_SETTINGS, mode: 'batch', maxBatchSize: 4 }],
    ['train fixed', train({ maxParallelPipelines: 4 })],
    ['train fixed, ci-retries 1, not optimistic', train({ maxParallelPipelines: 4, ciRetries: 1, optimistic: false })],
    ['train adaptive', train({ maxParallelPipelines: 4, window: 'adaptive' })],
  ];

  test.each(modes)('%s: never lands untested, never ejects an MR whose own state passed, every MR ends landed or ejected', (_name, settings) => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 150; run++) {
      const m = new MergeTrainMachine(settings);
      const bad = new Set<number>();
      const n = 3 + rand(8);
      for (let i = 1; i <= n; i++) if (rand(4) === 0) bad.add(i);
      // What is in flight, delivered in random order.
      const inFlight: TrainEvent[] = [];
      const stateOf = new Map<number, number[]>();
      const passedShas = new Set<string>();
      const lastResult = new Map<number, boolean>();
      const landed: number[] = [];
      const ejected = new Set<number>();
      let now = 0;
      let arrived = 0;
      const handle = (cs: TrainCommand[]): void => {
        for (const c of cs) {
          switch (c.kind) {
            case 'build':
              stateOf.set(c.car, c.iids);
              inFlight.push({ kind: 'built', at: 0, car: c.car, sha: `s${c.car}` });
              break;
            case 'retry-pipeline':
              inFlight.push({ kind: 'pipeline-finished', at: 0, car: c.car, sha: c.sha, passed: rand(3) !== 0 && !(stateOf.get(c.car) ?? []).some((i) => bad.has(i)) });
              break;
            case 'cancel':
              for (let i = inFlight.length - 1; i >= 0; i--) {
                const e = inFlight[i];
                if ('car' in e && e.car === c.car && e.kind !== 'landed') inFlight.splice(i, 1);
              }
              break;
            case 'land':
              // Never untested: the very SHA passed, and its state is what lands.
              expect(passedShas.has(c.sha)).toBe(true);
              expect(stateOf.get(c.car)).toEqual(expect.arrayContaining(c.iids));
              landed.push(...c.iids);
              inFlight.push({ kind: 'landed', at: 0, car: c.car });
              break;
            case 'eject':
              // Its own state failed: the car it was ejected from last reported a failure.
              expect(lastResult.get(c.car)).not.toBe(true);
              ejected.add(c.iid);
              break;
            case 'wake':
              inFlight.push({ kind: 'tick', at: c.at });
              break;
          }
        }
      };
      for (let step = 0; step < 2000 && (arrived < n || inFlight.length > 0); step++) {
        now++;
        if (arrived < n && (inFlight.length === 0 || rand(3) === 0)) {
          arrived++;
          handle(m.apply({ kind: 'enqueue', at: now, iid: arrived, attempt: 1, rank: arrived, failedBefore: rand(5) === 0 ? 1 : 0 }));
          continue;
        }
        const e = inFlight.splice(rand(inFlight.length), 1)[0];
        if (e.kind === 'built') {
          const state = stateOf.get(e.car) ?? [];
          const passed = !state.some((i) => bad.has(i)) && rand(10) !== 0; // some flaky failures
          inFlight.push({ kind: 'pipeline-finished', at: 0, car: e.car, sha: e.sha, passed });
        }
        if (e.kind === 'pipeline-finished') {
          lastResult.set(e.car, e.passed);
          if (e.passed) passedShas.add(e.sha);
        }
        handle(m.apply({ ...e, at: Math.max(now, e.at) }));
      }
      expect(m.isIdle()).toBe(true);
      for (let i = 1; i <= n; i++) expect(landed.includes(i) !== ejected.has(i)).toBe(true);
      expect(new Set(landed).size).toBe(landed.length);
      for (const i of landed) expect(bad.has(i)).toBe(false);
      // Nobody overtakes (probes in adaptive mode let a suspect be overtaken on purpose).
      if (settings.window !== 'adaptive') expect(landed).toEqual([...landed].sort((a, b) => a - b));
    }
  });
});
