/**
 * Records histories of backports for the replay test: `npx tsx test/replay/recordBackportHistories.ts`.
 * A real run against the fake GitLab with real git: an MR labelled `backport release-1` and asked
 * by `/cherry-pick release-2` before its merge, then merged by hand, so its workflow announces,
 * waits, and starts two backports at the merge. It writes the MR's history and one backport's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { backportWorkflowId, mergeRequestWorkflowId } from '../../src/domain/workflowIds';
import { startDevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/freePort';

const OUT = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const server = await startDevServer({ port: await freePort() });
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  // Imported after the address is set: the harness reads it.
  const { startShepherdAgainstFakeGitLab } = await import('../e2e/harness');
  const { fixOnTwoCommits } = await import('../helpers/backports');
  const s = await startShepherdAgainstFakeGitLab({ env: { SHEPHERD_MERGE_REQUEST_POLL_INTERVAL: '2s' } });
  try {
    const project = s.newProject('recorded');
    const { iid } = await fixOnTwoCommits(s, project, { releases: ['release-1', 'release-2'], labels: ['backport release-1'] });
    const ref = { forge: 'gitlab' as const, project, iid };
    s.gitlab.comment(project, iid, 'alice', '/cherry-pick release-2');
    await s.eventually(() => s.gitlab.notes(project, iid).filter((n) => n.author === 'shepherd-bot'), (n) => n.length >= 1, 60_000);
    await s.gitlab.merge(project, iid, { by: 'bob' });
    await s.eventually(() => s.gitlab.mergeRequestsOpenedBy('shepherd-bot', project), (mrs) => mrs.length === 2, 120_000);

    const stamp = new Date().toISOString().slice(0, 10);
    // Later hooks (the bot's own comments) may start short runs after the one that did the work:
    // the run with the longest history is the one worth replaying.
    const write = async (workflowId: string, name: string): Promise<void> => {
      await s.client.workflow.getHandle(workflowId).result();
      let history: Awaited<ReturnType<ReturnType<typeof s.client.workflow.getHandle>['fetchHistory']>> | undefined;
      for await (const run of s.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
        const h = await s.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
        if ((h.events?.length ?? 0) > (history?.events?.length ?? 0)) history = h;
      }
      if (!history) throw new Error(`no run of ${workflowId}`);
      const file = path.join(OUT, `${name}-${stamp}.json`);
      fs.writeFileSync(file, historyToJSON(history));
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    };
    await write(mergeRequestWorkflowId(ref), 'mergeRequestWorkflow-backports');
    await write(backportWorkflowId(ref, 'release-2'), 'backportWorkflow-cherry-pick');
  } finally {
    await s.stop();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
