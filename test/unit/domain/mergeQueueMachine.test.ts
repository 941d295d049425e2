import { MergeQueueMachine, type QueueCommand, type QueueEntryRequest } from '../../../src/domain/mergeQueueMachine';

const ref = (iid: number) => ({ forge: 'gitlab' as const, project: 'group/app', iid });

function entry(iid: number, attempt = 1, over: Partial<QueueEntryRequest> = {}): QueueEntryRequest {
  return {
    ref: ref(iid),
    attempt,
    attemptKey: `${attempt}-life`,
    trigger: { kind: 'assignment' },
    createdAt: `2026-11-01T10:00:0${iid % 10}Z`,
    updatedAt: '2026-11-02T10:00:00Z',
    assignedAt: '2026-11-02T10:00:00Z',
    ...over,
  };
}

const starts = (cs: QueueCommand[]) => cs.filter((c) => c.kind === 'start-job').map((c) => (c.kind === 'start-job' ? `${c.entry.ref.iid}/${c.entry.attempt}` : ''));
const cancels = (cs: QueueCommand[]) => cs.filter((c) => c.kind === 'cancel-job').map((c) => (c.kind === 'cancel-job' ? `${c.iid}/${c.attempt}` : ''));
const ended = (cs: QueueCommand[]) =>
  cs.filter((c) => c.kind === 'attempt-ended').map((c) => (c.kind === 'attempt-ended' ? `${c.ref.iid}/${c.attempt}:${c.outcome.kind}` : ''));

function machine() {
  return new MergeQueueMachine({ mergeOrder: 'created_at' });
}

test('one job at a time: the first request starts, the next waits and starts when it ends', () => {
  const m = machine();
  const a = m.apply({ kind: 'enqueue', entry: entry(1) });
  expect(starts(a.commands)).toEqual(['1/1']);
  expect(a.answer).toEqual({ position: 0 });
  const b = m.apply({ kind: 'enqueue', entry: entry(2) });
  expect(starts(b.commands)).toEqual([]);
  expect(b.answer).toEqual({ position: 1, running: 1 });
  m.apply({ kind: 'job-started', iid: 1, attempt: 1 });
  const done = m.apply({ kind: 'job-finished', iid: 1, attempt: 1, outcome: { kind: 'merged', sha: 'x' } });
  expect(ended(done.commands)).toEqual(['1/1:merged']);
  expect(starts(done.commands)).toEqual(['2/1']);
});

test('waiting entries go in merge order, and their positions say so', () => {
  const m = new MergeQueueMachine({ mergeOrder: 'created_at' });
  m.apply({ kind: 'enqueue', entry: entry(9) });
  m.apply({ kind: 'enqueue', entry: entry(3, 1, { createdAt: '2026-10-01T00:00:00Z' }) });
  const late = m.apply({ kind: 'enqueue', entry: entry(2, 1, { createdAt: '2026-10-02T00:00:00Z' }) });
  expect(late.answer).toEqual({ position: 2, running: 9 });
  expect(m.waiting().map((e) => e.ref.iid)).toEqual([3, 2]);
});

test('the same request twice (a retried activity, a redelivered hook) keeps its place and starts one job', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  const again = m.apply({ kind: 'enqueue', entry: entry(2) });
  expect(again.answer).toEqual({ position: 1, running: 1 });
  expect(again.commands).toEqual([]);
  // An older attempt arriving late changes nothing either.
  m.apply({ kind: 'enqueue', entry: entry(2, 2) });
  expect(m.apply({ kind: 'enqueue', entry: entry(2, 1) }).commands).toEqual([]);
  expect(m.waiting().map((e) => `${e.ref.iid}/${e.attempt}`)).toEqual(['2/2']);
});

test('asked again while its job runs: the old job is cancelled and the new attempt starts after it stops', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'job-started', iid: 1, attempt: 1 });
  // Unassigned and assigned again: the MR's workflow leaves (attempt 1) and asks again (attempt 2).
  expect(cancels(m.apply({ kind: 'dequeue', iid: 1, attempt: 1 }).commands)).toEqual(['1/1']);
  const again = m.apply({ kind: 'enqueue', entry: entry(1, 2) });
  expect(starts(again.commands)).toEqual([]);
  expect(again.answer).toEqual({ position: 1 });
  const stopped = m.apply({ kind: 'job-finished', iid: 1, attempt: 1, outcome: { kind: 'stopped', reason: 'cancelled' } });
  expect(ended(stopped.commands)).toEqual(['1/1:stopped']);
  expect(starts(stopped.commands)).toEqual(['1/2']);
});

test('a newer attempt without a dequeue supersedes the running one', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'job-started', iid: 1, attempt: 1 });
  expect(cancels(m.apply({ kind: 'enqueue', entry: entry(1, 2) }).commands)).toEqual(['1/1']);
});

test('a cancel while the job is starting stops it as soon as it has started', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  expect(cancels(m.apply({ kind: 'dequeue', iid: 1, attempt: 1 }).commands)).toEqual([]);
  expect(cancels(m.apply({ kind: 'job-started', iid: 1, attempt: 1 }).commands)).toEqual(['1/1']);
  // Cancelled once, not again on a repeated dequeue.
  expect(cancels(m.apply({ kind: 'dequeue', iid: 1, attempt: 1 }).commands)).toEqual([]);
});

test('leaving while waiting just drops the entry; a finish the queue no longer tracks is ignored', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  m.apply({ kind: 'dequeue', iid: 2, attempt: 1 });
  expect(m.waiting()).toEqual([]);
  m.apply({ kind: 'job-started', iid: 1, attempt: 1 });
  m.apply({ kind: 'job-finished', iid: 1, attempt: 1, outcome: { kind: 'merged', sha: 'x' } });
  expect(m.apply({ kind: 'job-finished', iid: 1, attempt: 1, outcome: { kind: 'merged', sha: 'x' } }).commands).toEqual([]);
  expect(m.isIdle()).toBe(true);
});

test('a job that cannot start ends its attempt with an error and the queue moves on', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  const r = m.apply({ kind: 'job-start-failed', iid: 1, attempt: 1, message: 'already running' });
  expect(ended(r.commands)).toEqual(['1/1:error']);
  expect(starts(r.commands)).toEqual(['2/1']);
});

test('MRs the forge no longer asks for leave the queue, and their workflows hear it', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  m.apply({ kind: 'enqueue', entry: entry(3) });
  const r = m.apply({ kind: 'no-longer-requested', iids: [1, 2] });
  // A running job is not dropped this way: it checks the forge itself.
  expect(ended(r.commands)).toEqual(['2/1:stopped']);
  expect(m.waiting().map((e) => e.ref.iid)).toEqual([3]);
});

test('dequeue without an attempt (first-release MR workflows) takes every attempt of the MR out', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  m.apply({ kind: 'dequeue', iid: 2 });
  expect(m.waiting()).toEqual([]);
});

test('its state survives a round trip through continue-as-new', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'job-started', iid: 1, attempt: 1 });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  m.apply({ kind: 'dequeue', iid: 1, attempt: 1 });
  const copy = new MergeQueueMachine({ mergeOrder: 'created_at' }, JSON.parse(JSON.stringify(m.snapshot())));
  expect(copy.snapshot()).toEqual(m.snapshot());
  const r = copy.apply({ kind: 'job-finished', iid: 1, attempt: 1, outcome: { kind: 'stopped', reason: 'cancelled' } });
  expect(starts(r.commands)).toEqual(['2/1']);
});

test('random event sequences never strand an entry: every enqueued attempt ends or is still tracked', () => {
  // Property: each attempt handed to the machine is at every step either held by it or reported
  // ended (or superseded/dequeued by its own MR); and at most one job runs.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let run = 0; run < 200; run++) {
    const m = machine();
    const attempts = new Map<number, number>();
    const left = new Set<string>();
    const ends = new Set<string>();
    for (let step = 0; step < 60; step++) {
      const iid = 1 + rand(4);
      const a = attempts.get(iid) ?? 0;
      let cs: QueueCommand[] = [];
      switch (rand(5)) {
        case 0:
          attempts.set(iid, a + 1);
          cs = m.apply({ kind: 'enqueue', entry: entry(iid, a + 1) }).commands;
          break;
        case 1:
          if (a > 0) {
            left.add(`${iid}/${a}`);
            cs = m.apply({ kind: 'dequeue', iid, attempt: a }).commands;
          }
          break;
        case 2: {
          const s = m.active().find((e) => e.state === 'starting');
          if (s) cs = m.apply({ kind: 'job-started', iid: s.ref.iid, attempt: s.attempt }).commands;
          break;
        }
        default: {
          const r = m.active().find((e) => e.state === 'running');
          if (r) cs = m.apply({ kind: 'job-finished', iid: r.ref.iid, attempt: r.attempt, outcome: { kind: 'refused', reason: 'ci-failed' } }).commands;
        }
      }
      for (const c of cs) if (c.kind === 'attempt-ended') ends.add(`${c.ref.iid}/${c.attempt}`);
      expect(m.active().length).toBeLessThanOrEqual(1);
      expect(m.active().length === 0 && m.waiting().length > 0).toBe(false);
      for (const [i, n] of attempts) {
        for (let k = 1; k <= n; k++) {
          const key = `${i}/${k}`;
          const superseded = k < n;
          const held = m.find(i, k) !== undefined;
          expect(held || ends.has(key) || left.has(key) || superseded).toBe(true);
        }
      }
    }
  }
});

test('a high-priority entry goes ahead of every waiting one, without touching the job that runs', () => {
  const m = machine();
  m.apply({ kind: 'enqueue', entry: entry(1) });
  m.apply({ kind: 'job-started', iid: 1, attempt: 1 });
  m.apply({ kind: 'enqueue', entry: entry(2) });
  m.apply({ kind: 'enqueue', entry: entry(3) });
  const r = m.apply({ kind: 'enqueue', entry: entry(9, 1, { priority: 'high', createdAt: '2026-11-30T10:00:00Z' }) });
  expect(r.commands).toEqual([]);
  expect(r.answer).toEqual({ position: 1, running: 1 });
  expect(m.waiting().map((e) => e.ref.iid)).toEqual([9, 2, 3]);
  const next = m.apply({ kind: 'job-finished', iid: 1, attempt: 1, outcome: { kind: 'merged', sha: 'abc' } });
  expect(starts(next.commands)).toEqual(['9/1']);
});
