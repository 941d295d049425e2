/**
 * Records histories of a merge train for the replay test: `npx tsx test/replay/recordTrainHistories.ts`.
 * A real run against the fake GitLab with real git: a train of 3 whose 2nd merge request breaks
 * CI, with `ci-retries 1`, so the queue builds, retries, ejects, re-speculates and lands. It
 * writes the queue's, one retried car's and one landing's history; commit them beside the old ones.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mergeQueueWorkflowId } from '../../src/domain/workflowIds';
import { startDevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/freePort';
import { snapshotQuery } from '../../src/temporal/messages';

const OUT = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const server = await startDevServer({ port: await freePort() });
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  // Imported after the address is set: the harness reads it.
  const { startShepherdAgainstFakeGitLab } = await import('../e2e/harness');
  const s = await startShepherdAgainstFakeGitLab({
    env: { SHEPHERD_QUEUE_MODE: 'train', SHEPHERD_CI_RETRIES: '1', SHEPHERD_CI_POLL_INTERVAL: '5s', SHEPHERD_MERGE_REQUEST_POLL_INTERVAL: '2s' },
  });
  try {
    const project = s.newProject('recorded');
    const repoDir = s.gitlab.project(project).repoDir;
    s.gitlab.setPipelinePolicy((p) => {
      if (p.ref === 'main') return 'manual';
      let broken = false;
      try {
        execFileSync('git', ['-C', repoDir, 'grep', '-q', 'BROKEN', p.sha, '--', 'src'], { stdio: 'ignore' });
        broken = true;
      } catch {
        broken = false;
      }
      return { status: broken ? 'failed' : 'success', afterMs: 300 };
    });
    const iids: number[] = [];
    for (const name of ['r1', 'r2', 'r3']) {
      await s.gitlab.commit(project, name, { files: { [`src/${name}.txt`]: name === 'r2' ? 'BROKEN\n' : `${name}\n` }, message: `Change ${name}`, author: 'alice' });
      iids.push(s.gitlab.createMergeRequest(project, { sourceBranch: name, title: `Change ${name}`, author: 'alice' }).iid);
    }
    const queueId = mergeQueueWorkflowId('gitlab', project, 'main');
    for (const iid of iids) {
      s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
      await s.eventually(
        () => s.client.workflow.getHandle(queueId).query(snapshotQuery).then((q) => q.entries.map((e) => e.ref.iid), () => [] as number[]),
        (queued) => queued.includes(iid),
        60_000,
      );
    }
    for (const iid of [iids[0], iids[2]]) await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged', 120_000);
    await s.waitForMergeRequest(project, iids[1], (m) => !m.assignees.includes('shepherd-bot'), 120_000);

    const stamp = new Date().toISOString().slice(0, 10);
    const write = async (workflowId: string, name: string): Promise<void> => {
      const history = await s.client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(OUT, `${name}-${stamp}.json`);
      fs.writeFileSync(file, historyToJSON(history));
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    };
    const ids = async (type: string): Promise<string[]> => {
      const found: string[] = [];
      for await (const wf of s.client.workflow.list({ query: `WorkflowType = "${type}" AND TaskQueue = "${s.taskQueue}" AND ExecutionStatus != "Running"` })) {
        found.push(wf.workflowId);
      }
      return found.sort();
    };
    const cars = await ids('carWorkflow');
    const retried = cars.find((id) => /:run2$/.test(id));
    if (!retried) throw new Error(`no retried car among ${cars.join(', ')}`);
    await write(retried, 'carWorkflow-train-retried');
    const lands = await ids('landWorkflow');
    if (lands.length === 0) throw new Error('nothing landed');
    await write(lands[lands.length - 1], 'landWorkflow-train');
    await s.client.workflow.getHandle(queueId).terminate('recorded');
    await write(queueId, 'mergeQueueWorkflow-train-eject-retry');
  } finally {
    await s.stop();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
