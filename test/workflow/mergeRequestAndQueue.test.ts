import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createQueueActivities } from '../../src/activities/queueActivities';
import { mergeQueueSettings } from '../../src/activities';
import type { MergeRequestEvent, MergeRequestWorkflowEvent } from '../../src/domain/events';
import type { MergeRequestRef } from '../../src/domain/types';
import { mergeQueueWorkflowId, mergeRequestWorkflowId } from '../../src/domain/workflowIds';
import type { GitWorkspace } from '../../src/git/workspace';
import { eventSignal, stateQuery, snapshotQuery } from '../../src/workflows/definitions';
import { mergeRequestWorkflow } from '../../src/workflows/mergeRequest';
import { eventually } from '../helpers/eventually';
import { devServerEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { aMergeRequest } from '../helpers/mergeRequests';
import {
  explanations,
  newScript,
  personChanges,
  pipeline,
  scriptedActivitiesByIid,
  type Script,
  type ScriptOptions,
} from '../helpers/scriptedActivities';

// The merge request workflow and its target branch's queue on the real dev server, with the
// real update-with-start enqueue and scripted forge/git activities. The scripted MR is the
// forge's truth; events only say "look".

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

interface Harness {
  taskQueue: string;
  project: string;
  worker: Worker;
  running: Promise<void>;
  /** Delivers an MR hook whose payload says `over` (which may be stale: the forge decides). */
  send(iid: number, over?: Partial<MergeRequestEvent>): Promise<void>;
  comment(iid: number, author: string, body: string, noteId: number): Promise<void>;
  ref(iid: number): MergeRequestRef;
  state(iid: number): Promise<import('../../src/workflows/definitions').MergeRequestSnapshot>;
  result(iid: number): Promise<import('../../src/workflows/definitions').MergeRequestSnapshot>;
  stop(): Promise<void>;
}

async function harness(scripts: Map<number, Script>, log: string[] = [], opts: ScriptOptions = {}): Promise<Harness> {
  const taskQueue = uniqueTaskQueue('mrq');
  const project = `group/${taskQueue}`;
  const settings = mergeQueueSettings({ ciTimeoutMs: 60_000, ciPollIntervalMs: 200, ...opts });
  const scripted = scriptedActivitiesByIid(scripts, settings);
  const queue = createQueueActivities({
    forges: {},
    git: {} as GitWorkspace,
    authenticatedCloneUrl: async () => 'unused',
    temporal: env.client,
    taskQueue,
    settings,
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...scripted,
      ...queue,
      async rebaseMergeRequest(a: Parameters<typeof scripted.rebaseMergeRequest>[0]) {
        log.push(`rebase ${a.ref.iid}`);
        return scripted.rebaseMergeRequest(a);
      },
      async merge(a: Parameters<typeof scripted.merge>[0]) {
        log.push(`merge ${a.ref.iid}`);
        return scripted.merge(a);
      },
    },
  });
  const running = worker.run();
  const ref = (iid: number): MergeRequestRef => ({ forge: 'gitlab', project, iid });
  const handle = (iid: number) => env.client.workflow.getHandle(mergeRequestWorkflowId(ref(iid)));
  let n = 0;
  const signal = (iid: number, evt: MergeRequestWorkflowEvent) =>
    env.client.workflow.signalWithStart(mergeRequestWorkflow, {
      workflowId: mergeRequestWorkflowId(ref(iid)),
      taskQueue,
      args: [{ ref: ref(iid) }],
      signal: eventSignal,
      signalArgs: [evt],
    });
  return {
    taskQueue,
    project,
    worker,
    running,
    ref,
    state: (iid) => handle(iid).query(stateQuery),
    result: (iid) => handle(iid).result(),
    async send(iid, over = {}) {
      await signal(iid, {
        kind: 'merge-request',
        eventId: `e${++n}`,
        ref: ref(iid),
        action: 'update',
        state: 'opened',
        title: `MR ${iid}`,
        url: `http://gitlab.test/${project}/-/merge_requests/${iid}`,
        sourceBranch: 'feature',
        targetBranch: 'main',
        headSha: 'head0',
        draft: false,
        assignees: ['shepherd-bot'],
        labels: [],
        createdAt: `2026-11-01T10:00:0${iid % 10}Z`,
        updatedAt: '2026-11-02T10:00:00Z',
        actor: 'alice',
        ...over,
      });
    },
    async comment(iid, author, body, noteId) {
      await signal(iid, { kind: 'comment', eventId: `c${noteId}`, ref: ref(iid), noteId, author, body });
    },
    async stop() {
      // Jobs outlive their queue's runs (abandoned children): end everything this test started.
      for await (const wf of env.client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
        await env.client.workflow.getHandle(wf.workflowId).terminate('test over').catch(() => undefined);
      }
      worker.shutdown();
      await running;
    },
  };
}

const queued = (st: { phase: string }) => st.phase === 'queued';

test('two merge requests for one target branch are merged one after the other', async () => {
  const log: string[] = [];
  const s1 = newScript({ mr: aMergeRequest({ iid: 1 }) });
  const s2 = newScript({ mr: aMergeRequest({ iid: 2 }), rebases: [{ kind: 'pushed', sha: 'r2', targetSha: 'target1' }] });
  s1.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  s2.pipelines.set('r2', pipeline('r2', 'success'));
  const h = await harness(new Map([[1, s1], [2, s2]]), log);
  try {
    await h.send(1);
    await eventually(() => h.state(1), queued);
    await h.send(2);
    expect((await h.result(1)).phase).toBe('merged');
    expect((await h.result(2)).phase).toBe('merged');
    // MR 2 was only rebased after MR 1 had been merged: never two jobs on one branch at once.
    expect(log).toEqual(['rebase 1', 'merge 1', 'rebase 2', 'merge 2']);
    const queue = env.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', h.project, 'main'));
    const snap = await eventually(() => queue.query(snapshotQuery), (q) => q.entries.length === 0);
    expect(snap.jobsStarted).toBe(2);
  } finally {
    await h.stop();
  }
});

test('hooks in any order: an assignment hook arriving before the "open" hook still gets the MR merged', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 3 }) });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  const h = await harness(new Map([[3, s]]));
  try {
    // GitLab's workers delivered the newer hook first; the "open" hook, sent when nobody was
    // assigned yet, arrives last. The forge says the bot is assigned.
    await h.send(3, { action: 'update', assignees: ['shepherd-bot'] });
    await h.send(3, { action: 'open', assignees: [] });
    const r = await h.result(3);
    expect(r.phase).toBe('merged');
    expect(r.attempts).toBe(1);
  } finally {
    await h.stop();
  }
});

test("hooks in any order: the bot's own earlier unassignment hook arriving after it was assigned again changes nothing", async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 4, approvals: undefined } as never), approvals: { required: 1, left: 1, approvedBy: [], eligibleApprovers: ['bob'] } });
  const h = await harness(new Map([[4, s]]));
  try {
    await h.send(4);
    await eventually(() => h.state(4), (st) => st.lastOutcome?.kind === 'refused'); // needs approval; bot unassigns itself
    // Bob approves, Alice assigns the bot again; then the late hook of the bot's unassignment.
    s.approvals = { required: 1, left: 0, approvedBy: [{ id: 2, username: 'bob', name: 'Bob' }], eligibleApprovers: [] };
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    personChanges(s, { assignees: ['shepherd-bot'] });
    await h.send(4, { eventId: 'reassigned', assignees: ['shepherd-bot'] });
    await h.send(4, { eventId: 'late-unassign', assignees: [], actor: 'shepherd-bot' });
    const r = await h.result(4);
    expect(r.phase).toBe('merged');
    expect(r.attempts).toBe(2);
  } finally {
    await h.stop();
  }
});

test('a redelivered event does not enqueue twice; after a refusal only a new request enqueues again', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 5, draft: true }) });
  const h = await harness(new Map([[5, s]]));
  try {
    await h.send(5, { eventId: 'same' });
    await h.send(5, { eventId: 'same' });
    const refused = await eventually(() => h.state(5), (st) => st.lastOutcome?.kind === 'refused');
    expect(refused.attempts).toBe(1);
    expect(explanations(s)).toHaveLength(1);
    expect(explanations(s)[0].body).toContain('draft');
    // An older event that still lists the bot does not make it try again by itself...
    await h.send(5, { eventId: 'late-update', assignees: ['shepherd-bot'] });
    await new Promise((r) => setTimeout(r, 500));
    expect((await h.state(5)).attempts).toBe(1);
    // ...but a person assigning it again does.
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    personChanges(s, { draft: false, assignees: ['shepherd-bot'] });
    await h.send(5, { eventId: 'assigned-again', assignees: ['shepherd-bot'] });
    const result = await h.result(5);
    expect(result.phase).toBe('merged');
    expect(result.attempts).toBe(2);
  } finally {
    await h.stop();
  }
});

test('unassigning and assigning the bot again while its job runs ends merged, once', async () => {
  const log: string[] = [];
  const s = newScript({ mr: aMergeRequest({ iid: 6 }) });
  s.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const h = await harness(new Map([[6, s]]), log);
  try {
    await h.send(6);
    await eventually(() => Promise.resolve(s.ciCalls), (n) => n > 0); // the job waits for CI
    personChanges(s, { assignees: [] });
    await h.send(6, { eventId: 'off', assignees: [] });
    personChanges(s, { assignees: ['shepherd-bot'] });
    await h.send(6, { eventId: 'on', assignees: ['shepherd-bot'] });
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    const r = await h.result(6);
    expect(r.phase).toBe('merged');
    expect(log.filter((l) => l.startsWith('merge'))).toEqual(['merge 6']);
  } finally {
    await h.stop();
  }
});

test('`cancel` then `merge` while the job runs ends merged once; comments delivered out of order keep their written order', async () => {
  const log: string[] = [];
  const s = newScript({ mr: aMergeRequest({ iid: 7, assignees: [] }) });
  s.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const h = await harness(new Map([[7, s]]), log);
  try {
    await h.comment(7, 'alice', '@shepherd-bot merge', 10);
    await eventually(() => Promise.resolve(s.ciCalls), (n) => n > 0);
    // Written: cancel (11), then merge (12); delivered: merge first.
    await h.comment(7, 'alice', '@shepherd-bot merge', 12);
    await h.comment(7, 'alice', '@shepherd-bot cancel', 11);
    await new Promise((r) => setTimeout(r, 500));
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    const r = await h.result(7);
    expect(r.phase).toBe('merged');
    expect(log.filter((l) => l.startsWith('merge'))).toEqual(['merge 7']);
  } finally {
    await h.stop();
  }
});

test('a job that stops because the forge says the bot is not assigned any more does not loop, whatever the lost hook', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 8 }) });
  s.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const h = await harness(new Map([[8, s]]));
  try {
    await h.send(8);
    await eventually(() => Promise.resolve(s.ciCalls), (n) => n > 0);
    // Alice unassigns the bot; GitLab never delivers that hook.
    personChanges(s, { assignees: [] });
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    const st = await eventually(() => h.state(8), (x) => x.lastOutcome?.kind === 'stopped' && x.phase === 'idle');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await h.state(8)).attempts).toBe(st.attempts);
    expect(st.attempts).toBe(1);
  } finally {
    await h.stop();
  }
});

test('queued has a bound: an MR whose queue lost it asks again and is merged', async () => {
  const blocker = newScript({ mr: aMergeRequest({ iid: 1 }) });
  blocker.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const s = newScript({ mr: aMergeRequest({ iid: 9 }) });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  const h = await harness(new Map([[1, blocker], [9, s]]), [], { queueCheckIntervalMs: 1000 });
  try {
    await h.send(1);
    await eventually(() => Promise.resolve(blocker.ciCalls), (n) => n > 0);
    await h.send(9);
    const queueId = mergeQueueWorkflowId('gitlab', h.project, 'main');
    await eventually(() => env.client.workflow.getHandle(queueId).query(snapshotQuery), (q) => q.entries.length === 2);
    // An operator terminates the queue, the first MR's workflow and its job: nobody tells !9.
    for await (const wf of env.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}" AND ExecutionStatus = "Running"` })) {
      if (wf.workflowId !== mergeRequestWorkflowId(h.ref(9))) await env.client.workflow.getHandle(wf.workflowId).terminate('operator');
    }
    const r = await h.result(9);
    expect(r.phase).toBe('merged');
    expect(r.attempts).toBe(2);
    // No refusal or error was posted: only where it stood in line.
    expect(explanations(s).filter((c) => !/:queued:/.test(c.key))).toEqual([]);
  } finally {
    await h.stop();
  }
});

test('a job that broke down is explained once in plain words, naming the workflow to look up, without internal error text', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 11 }) });
  s.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const h = await harness(new Map([[11, s]]), [], { queueCheckIntervalMs: 1000 });
  try {
    await h.send(11);
    await eventually(() => Promise.resolve(s.ciCalls), (n) => n > 0);
    for await (const wf of env.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}" AND WorkflowType = "mergeJobWorkflow" AND ExecutionStatus = "Running"` })) {
      await env.client.workflow.getHandle(wf.workflowId).terminate('internal: stack trace at foo.ts:42');
    }
    const st = await eventually(() => h.state(11), (x) => x.lastOutcome?.kind === 'error' && x.phase === 'idle', 30_000);
    expect(st.attempts).toBe(1);
    await eventually(() => Promise.resolve(explanations(s)), (e) => e.length === 1);
    const body = explanations(s)[0].body;
    expect(body).toMatch(/something went wrong on my side/);
    expect(body).toMatch(/`merge:gitlab:group\/[^`]+:11:1-[0-9a-f]{8}`/);
    expect(body).not.toMatch(/terminated|stack|foo\.ts/);
    // Handed back after the comment: wait for it rather than race it.
    await eventually(() => Promise.resolve(s.unassigned), (n) => n > 0);
    expect(s.unassigned).toBe(1);
  } finally {
    await h.stop();
  }
});

test('explanations are posted again in a new life of the MR (closed and reopened): keys never repeat', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 10, draft: true }) });
  const h = await harness(new Map([[10, s]]));
  try {
    await h.send(10);
    await eventually(() => h.state(10), (st) => st.lastOutcome?.kind === 'refused');
    personChanges(s, { state: 'closed' });
    await h.send(10, { eventId: 'closed', state: 'closed', action: 'close' });
    expect((await h.result(10)).phase).toBe('closed');
    // Reopened and assigned again, still a draft: the same refusal is said again.
    personChanges(s, { state: 'opened', assignees: ['shepherd-bot'] });
    await h.send(10, { eventId: 'reopened', action: 'reopen' });
    await eventually(() => Promise.resolve(explanations(s).length), (n) => n === 2);
    expect(explanations(s).map((c) => c.key)).toEqual([expect.any(String), expect.any(String)]);
    expect(new Set(explanations(s).map((c) => c.key)).size).toBe(2);
  } finally {
    await h.stop();
  }
});

test('closing a queued merge request takes it out of the queue and ends its workflow', async () => {
  const blocker = newScript({ mr: aMergeRequest({ iid: 1 }) }); // CI never finishes: holds the queue
  blocker.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const waiting = newScript({ mr: aMergeRequest({ iid: 2 }) });
  const h = await harness(new Map([[1, blocker], [2, waiting]]));
  try {
    await h.send(1);
    await eventually(() => h.state(1), queued);
    await h.send(2);
    const queue = env.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', h.project, 'main'));
    await eventually(() => queue.query(snapshotQuery), (q) => q.entries.length === 2);
    personChanges(waiting, { state: 'closed' });
    await h.send(2, { state: 'closed', action: 'close' });
    expect((await h.result(2)).phase).toBe('closed');
    await eventually(() => queue.query(snapshotQuery), (q) => q.entries.length === 1);
    expect(waiting.rebaseCalls).toBe(0);
  } finally {
    await h.stop();
  }
});

test("the queue's history stays bounded while one job waits a long time: it continues as new and loses nothing", async () => {
  const blocker = newScript({ mr: aMergeRequest({ iid: 1 }) });
  blocker.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const others = [2, 3, 4, 5, 6].map((iid) => [iid, newScript({ mr: aMergeRequest({ iid }) })] as const);
  for (const [, s] of others) s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  const h = await harness(new Map([[1, blocker], ...others]), [], { queueCheckIntervalMs: 300, queueHistoryLimit: 40 });
  try {
    await h.send(1);
    await eventually(() => Promise.resolve(blocker.ciCalls), (n) => n > 0);
    const queueId = mergeQueueWorkflowId('gitlab', h.project, 'main');
    // Signals, updates and checks pile up while the first job waits: the queue continues as new.
    await env.client.workflow.getHandle(queueId).signal('dequeue', { iid: 99, attempt: 1 });
    for (const [iid] of others) await h.send(iid);
    const firstRun = (await env.client.workflow.getHandle(queueId).describe()).runId;
    await eventually(async () => (await env.client.workflow.getHandle(queueId).describe()).runId, (run) => run !== firstRun, 30_000);
    const snap = await env.client.workflow.getHandle(queueId).query(snapshotQuery);
    expect(snap.entries.map((e) => e.ref.iid).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    blocker.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    for (const iid of [1, 2, 3, 4, 5, 6]) expect((await h.result(iid)).phase).toBe('merged');
  } finally {
    await h.stop();
  }
});

describe('require-merge-permission', () => {
  test('a requester the target branch does not let merge gets one comment saying why, is handed back, and nothing is rebased', async () => {
    const s = newScript({ mr: aMergeRequest({ iid: 21 }), mayMerge: { mallory: false } });
    const h = await harness(new Map([[21, s]]), [], { requireMergePermission: true });
    try {
      await h.send(21, { actor: 'mallory' });
      await eventually(() => Promise.resolve(s.unassigned), (n) => n > 0);
      const said = await eventually(() => Promise.resolve(explanations(s)), (e) => e.length > 0);
      expect(said).toHaveLength(1);
      expect(said[0].body).toMatch(/@mallory, I only merge on behalf of people who may merge into `main`/);
      expect((await h.state(21)).phase).toBe('idle');
      expect(s.rebaseCalls).toBe(0);
    } finally {
      await h.stop();
    }
  });

  test('a requester who may merge into the target branch is served', async () => {
    const s = newScript({ mr: aMergeRequest({ iid: 22 }), mayMerge: { alice: true } });
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    const h = await harness(new Map([[22, s]]), [], { requireMergePermission: true });
    try {
      await h.send(22, { actor: 'alice' });
      await expect(h.result(22)).resolves.toMatchObject({ phase: 'merged' });
      expect(explanations(s)).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  test('a request found by polling (no hook, so nobody known to have asked) is answered asking for a merge command', async () => {
    const s = newScript({ mr: aMergeRequest({ iid: 23 }) });
    const h = await harness(new Map([[23, s]]), [], { requireMergePermission: true });
    try {
      await h.send(23, { actor: '' });
      await eventually(() => Promise.resolve(s.unassigned), (n) => n > 0);
      const said = await eventually(() => Promise.resolve(explanations(s)), (e) => e.length > 0);
      expect(said).toHaveLength(1);
      expect(said[0].body).toMatch(/could not tell who asked me/);
      expect(said[0].body).toContain('`@shepherd-bot merge`');
      expect(s.rebaseCalls).toBe(0);
    } finally {
      await h.stop();
    }
  });
});

test('priority-label: a labelled MR waits ahead of the others, and the one running is not disturbed', async () => {
  const blocker = newScript({ mr: aMergeRequest({ iid: 31 }) });
  blocker.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const plain = newScript({ mr: aMergeRequest({ iid: 32 }) });
  const urgent = newScript({ mr: aMergeRequest({ iid: 33, labels: ['hotfix'] }) });
  const h = await harness(new Map([[31, blocker], [32, plain], [33, urgent]]), [], { priorityLabel: 'hotfix' });
  try {
    await h.send(31);
    await eventually(() => Promise.resolve(blocker.ciCalls), (n) => n > 0);
    await h.send(32);
    const queueId = mergeQueueWorkflowId('gitlab', h.project, 'main');
    const snapshot = () => env.client.workflow.getHandle(queueId).query(snapshotQuery);
    await eventually(snapshot, (q) => q.entries.length === 2);
    await h.send(33, { labels: ['hotfix'] });
    const q = await eventually(snapshot, (x) => x.entries.length === 3);
    expect(q.entries.map((e) => [e.ref.iid, e.state])).toEqual([
      [31, 'running'],
      [33, 'waiting'],
      [32, 'waiting'],
    ]);
    expect(blocker.rebaseCalls).toBe(1);
  } finally {
    await h.stop();
  }
});

test('require-merge-permission: who asked last time does not vouch for a new request whose hook was lost', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 24 }), mayMerge: { alice: true } });
  s.pipelines.set('rebased1', pipeline('rebased1', 'failed'));
  const h = await harness(new Map([[24, s]]), [], { requireMergePermission: true });
  try {
    await h.send(24, { actor: 'alice' });
    await eventually(() => Promise.resolve(explanations(s)), (e) => e.length === 1); // CI failed, handed back
    // Someone assigns the bot again; their hook never comes, polling finds the MR.
    await eventually(() => Promise.resolve(s.unassigned), (n) => n > 0);
    personChanges(s, { assignees: ['shepherd-bot'] });
    await h.send(24, { actor: '', updatedAt: s.mr.updatedAt });
    const said = await eventually(() => Promise.resolve(explanations(s)), (e) => e.length === 2);
    expect(said[1].body).toMatch(/could not tell who asked me/);
    expect(s.rebaseCalls).toBe(1);
  } finally {
    await h.stop();
  }
});
