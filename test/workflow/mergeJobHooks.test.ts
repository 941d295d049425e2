import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { pipelineSignal } from '../../src/workflows/definitions';
import { mergeJobWorkflow } from '../../src/workflows/mergeJob';
import { devServerEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { newScript, pipeline, scriptedActivities } from '../helpers/scriptedActivities';

// On the dev server (real time): a pipeline hook must wake a waiting job long before its poll.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const ref = { forge: 'gitlab' as const, project: 'group/app', iid: 1 };

test('a pipeline hook wakes the job at once: it asks the forge instead of waiting for the next poll', async () => {
  const s = newScript();
  s.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const taskQueue = uniqueTaskQueue('job');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: scriptedActivities(s, { ciPollIntervalMs: 10 * 60_000, ciTimeoutMs: 60 * 60_000 }),
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(mergeJobWorkflow, { taskQueue, workflowId: `merge:gitlab:group/app:1:${taskQueue}`, args: [{ ref }] });
    while (s.ciCalls === 0) await new Promise((r) => setTimeout(r, 50));
    s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
    await handle.signal(pipelineSignal, {
      kind: 'pipeline', eventId: 'p1', project: 'group/app', pipelineId: 7, sha: 'rebased1', status: 'success', url: '',
    });
    await expect(handle.result()).resolves.toEqual({ kind: 'merged', sha: 'rebased1' });
  });
  // Asked once when CI started and once on the hook: no 10-minute poll in between.
  expect(s.ciCalls).toBe(2);
});
