import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createMergeQueueActivities, mergeQueueSettings } from '../../src/activities/mergeQueue';
import type { MergeQueueActivities } from '../../src/activities/types';
import type { MergeRequestEvent } from '../../src/domain/events';
import type { MergeRequestRef } from '../../src/domain/types';
import { mergeQueueWorkflowId, mergeRequestWorkflowId } from '../../src/domain/workflowIds';
import type { GitWorkspace } from '../../src/git/workspace';
import { eventSignal, stateQuery, snapshotQuery } from '../../src/workflows/definitions';
import { mergeRequestWorkflow } from '../../src/workflows/mergeRequest';
import { eventually } from '../helpers/eventually';
import { devServerEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { aMergeRequest } from '../helpers/mergeRequests';
import { explanations, newScript, pipeline, scriptedActivitiesByIid, type Script } from '../helpers/scriptedActivities';

// The merge request workflow and its target branch's queue on the real dev server, with the
// real update-with-start enqueue and scripted forge/git activities.

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
  send(iid: number, over?: Partial<MergeRequestEvent>): Promise<void>;
  ref(iid: number): MergeRequestRef;
}

async function harness(scripts: Map<number, Script>, log: string[] = []): Promise<Harness> {
  const taskQueue = uniqueTaskQueue('mrq');
  const project = `group/${taskQueue}`;
  const scripted = scriptedActivitiesByIid(scripts, { ciPollIntervalMs: 200 });
  const real = createMergeQueueActivities({
    forges: {},
    git: {} as GitWorkspace,
    authenticatedCloneUrl: async () => 'unused',
    temporal: env.client,
    taskQueue,
    settings: mergeQueueSettings({ ciTimeoutMs: 60_000, ciPollIntervalMs: 200 }),
  });
  const activities: MergeQueueActivities = {
    ...scripted,
    enqueueMergeRequest: real.enqueueMergeRequest,
    async rebaseMergeRequest(a) {
      log.push(`rebase ${a.ref.iid}`);
      return scripted.rebaseMergeRequest(a);
    },
    async mergeMergeRequest(a) {
      log.push(`merge ${a.ref.iid}`);
      return scripted.mergeMergeRequest(a);
    },
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  const running = worker.run();
  const ref = (iid: number): MergeRequestRef => ({ forge: 'gitlab', project, iid });
  let n = 0;
  return {
    taskQueue,
    project,
    worker,
    running,
    ref,
    async send(iid, over = {}) {
      const evt: MergeRequestEvent = {
        kind: 'merge-request',
        eventId: `e${++n}`,
        ref: ref(iid),
        action: 'update',
        state: 'opened',
        title: `MR ${iid}`,
        url: `http://gitlab.test/${project}/-/merge_requests/${iid}`,
        sourceBranch: `feature-${iid}`,
        targetBranch: 'main',
        headSha: 'head0',
        draft: false,
        assignees: ['shepherd-bot'],
        labels: [],
        createdAt: `2026-11-01T10:00:0${iid % 10}Z`,
        updatedAt: '2026-11-02T10:00:00Z',
        actor: 'alice',
        ...over,
      };
      await env.client.workflow.signalWithStart(mergeRequestWorkflow, {
        workflowId: mergeRequestWorkflowId(ref(iid)),
        taskQueue,
        args: [{ ref: ref(iid) }],
        signal: eventSignal,
        signalArgs: [evt],
      });
    },
  };
}

test('two merge requests for one target branch are merged one after the other', async () => {
  const log: string[] = [];
  const s1 = newScript({ mr: aMergeRequest({ iid: 1 }) });
  const s2 = newScript({ mr: aMergeRequest({ iid: 2 }), rebases: [{ kind: 'pushed', sha: 'r2', targetSha: 'target1' }] });
  s1.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  s2.pipelines.set('r2', pipeline('r2', 'success'));
  const h = await harness(new Map([[1, s1], [2, s2]]), log);
  try {
    await h.send(1);
    await eventually(() => env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(1))).query(stateQuery), (st) => st.phase === 'queued');
    await h.send(2);
    const r1 = await env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(1))).result();
    const r2 = await env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(2))).result();
    expect(r1.phase).toBe('merged');
    expect(r2.phase).toBe('merged');
    // MR 2 was only rebased after MR 1 had been merged: never two jobs on one branch at once.
    expect(log).toEqual(['rebase 1', 'merge 1', 'rebase 2', 'merge 2']);
    const queue = env.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', h.project, 'main'));
    const snap = await queue.query(snapshotQuery);
    expect(snap.jobsRun).toBe(2);
    expect(snap.waiting).toEqual([]);
  } finally {
    h.worker.shutdown();
    await h.running;
  }
});

test('a redelivered event does not enqueue twice; after a refusal only a new assignment enqueues again', async () => {
  const s = newScript({ mr: aMergeRequest({ iid: 5, draft: true }) });
  const h = await harness(new Map([[5, s]]));
  try {
    const handle = env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(5)));
    await h.send(5, { eventId: 'same' });
    await h.send(5, { eventId: 'same' });
    const refused = await eventually(
      () => handle.query(stateQuery),
      (st) => st.lastOutcome?.kind === 'refused',
    );
    expect(refused.attempts).toBe(1);
    expect(explanations(s)).toHaveLength(1);
    expect(explanations(s)[0].body).toContain('draft');
    // An older event that still lists the bot does not make it try again by itself...
    await h.send(5, { eventId: 'late-update', assignees: ['shepherd-bot'] });
    // ...but a person unassigning and assigning it again does.
    s.mr = { ...s.mr, draft: false, assignees: ['shepherd-bot'] };
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    await h.send(5, { eventId: 'unassigned', assignees: [] });
    await h.send(5, { eventId: 'assigned-again', assignees: ['shepherd-bot'] });
    const result = await handle.result();
    expect(result.phase).toBe('merged');
    expect(result.attempts).toBe(2);
  } finally {
    h.worker.shutdown();
    await h.running;
  }
});

test('closing a queued merge request takes it out of the queue and ends its workflow', async () => {
  const blocker = newScript({ mr: aMergeRequest({ iid: 1 }) }); // CI never finishes: holds the queue
  blocker.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const waiting = newScript({ mr: aMergeRequest({ iid: 2 }) });
  const h = await harness(new Map([[1, blocker], [2, waiting]]));
  try {
    await h.send(1);
    await eventually(() => env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(1))).query(stateQuery), (st) => st.phase === 'queued');
    await h.send(2);
    const queue = env.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', h.project, 'main'));
    await eventually(() => queue.query(snapshotQuery), (q) => q.running?.ref.iid === 1 && q.waiting.length === 1);
    await h.send(2, { state: 'closed', action: 'close' });
    const r2 = await env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(2))).result();
    expect(r2.phase).toBe('closed');
    await eventually(() => queue.query(snapshotQuery), (q) => q.waiting.length === 0);
    expect(waiting.rebaseCalls).toBe(0);
    await queue.terminate('test over');
    await env.client.workflow.getHandle(mergeRequestWorkflowId(h.ref(1))).terminate('test over');
  } finally {
    h.worker.shutdown();
    await h.running;
  }
});
