/**
 * Records workflow histories for the replay test: `npx tsx test/replay/recordHistories.ts`.
 * Run it when a workflow changes on purpose (with patched() for running workflows), and commit
 * the new files next to the old ones: old histories must keep replaying.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mergeQueueSettings } from '../../src/activities';
import { createQueueActivities } from '../../src/activities/queueActivities';
import type { GitWorkspace } from '../../src/git/workspace';
import { mergeQueueWorkflowId, mergeRequestPollWorkflowId, mergeRequestWorkflowId } from '../../src/domain/workflowIds';
import { startDevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/freePort';
import { eventSignal } from '../../src/workflows/definitions';
import { mergeRequestWorkflow } from '../../src/workflows/mergeRequest';
import { mergeRequestPollWorkflow } from '../../src/workflows/mergeRequestPoll';
import { aMergeRequest } from '../helpers/mergeRequests';
import { newScript, pipeline, scriptedActivitiesByIid } from '../helpers/scriptedActivities';

const OUT = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const server = await startDevServer({ port: await freePort() });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = 'record';
  const project = 'group/app';
  const ref = { forge: 'gitlab' as const, project, iid: 1 };

  // The MR's target moves during CI once, so the job rebases twice before merging.
  const s = newScript({
    mr: aMergeRequest({ iid: 1 }),
    rebases: [
      { kind: 'pushed', sha: 'rebased1', targetSha: 'target1' },
      { kind: 'pushed', sha: 'rebased2', targetSha: 'target2' },
    ],
    targetHeads: ['target2'],
  });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success', 1));
  s.pipelines.set('rebased2', pipeline('rebased2', 'success', 2));
  const scripted = scriptedActivitiesByIid(new Map([[1, s]]), { ciPollIntervalMs: 500 });
  const queue = createQueueActivities({
    forges: {},
    git: {} as GitWorkspace,
    authenticatedCloneUrl: async () => 'unused',
    temporal: client,
    taskQueue,
    settings: mergeQueueSettings({ ciTimeoutMs: 60_000, ciPollIntervalMs: 500 }),
  });
  // The lost-hook poll: two rounds that look at something, then polling is turned off.
  let rounds = 0;
  const poll = {
    async lookForLostRequests() {
      rounds++;
      return { listed: 1, lookedAt: rounds === 1 ? 1 : 0, nextInMs: rounds < 3 ? 200 : 0 };
    },
  };
  const activities = { ...scripted, ...queue, ...poll };
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows/index'),
    activities,
  });
  await worker.runUntil(async () => {
    await client.workflow.signalWithStart(mergeRequestWorkflow, {
      workflowId: mergeRequestWorkflowId(ref),
      taskQueue,
      args: [{ ref }],
      signal: eventSignal,
      signalArgs: [
        {
          kind: 'merge-request',
          eventId: 'e1',
          ref,
          action: 'update',
          state: 'opened',
          title: 'Add feature',
          url: 'http://gitlab.test/group/app/-/merge_requests/1',
          sourceBranch: 'feature',
          targetBranch: 'main',
          headSha: 'head0',
          draft: false,
          assignees: ['shepherd-bot'],
          labels: [],
          createdAt: '2026-11-01T10:00:00Z',
          updatedAt: '2026-11-01T10:00:00Z',
          actor: 'alice',
        },
      ],
    });
    await client.workflow.getHandle(mergeRequestWorkflowId(ref)).result();
    await client.workflow.execute(mergeRequestPollWorkflow, { workflowId: mergeRequestPollWorkflowId('gitlab', taskQueue), taskQueue, args: [{ forge: 'gitlab' }] });
  });

  let jobId = '';
  for await (const wf of client.workflow.list({ query: 'WorkflowType = "mergeJobWorkflow"' })) jobId = wf.workflowId;
  const ids = [mergeRequestWorkflowId(ref), jobId, mergeQueueWorkflowId('gitlab', project, 'main'), mergeRequestPollWorkflowId('gitlab', taskQueue)];
  const names = ['mergeRequestWorkflow', 'mergeJobWorkflow', 'mergeQueueWorkflow', 'mergeRequestPollWorkflow'];
  const scenarios = ['target-moved', 'target-moved', 'target-moved', 'three-rounds'];
  const stamp = new Date().toISOString().slice(0, 10);
  for (const [i, id] of ids.entries()) {
    if (names[i] === 'mergeQueueWorkflow') await client.workflow.getHandle(id).terminate('recorded');
    const history = await client.workflow.getHandle(id).fetchHistory();
    const file = path.join(OUT, `${names[i]}-${scenarios[i]}-${stamp}.json`);
    fs.writeFileSync(file, historyToJSON(history));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  await connection.close();
  await nativeConnection.close();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
