/**
 * Records histories of the evidence report for the replay test:
 * `npx tsx test/replay/recordEvidenceHistories.ts`. A real run on a dev server with the real
 * activities against the fake Bitbucket (two repositories, one of them unknown, one page failing
 * once), and the scheduled entry workflow starting its month as a child.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createEvidenceActivities } from '../../src/activities/evidenceActivities';
import { parseEvidenceRepo } from '../../src/domain/evidence/repos';
import { BitbucketReader } from '../../src/evidence/readers/bitbucket';
import { startDevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/freePort';
import { evidenceReportWorkflow, evidenceScheduledWorkflow } from '../../src/workflows/evidenceReport';
import { startFakeBitbucket } from '../fakes/bitbucket';
import { workflowBundle } from '../helpers/temporal';

const OUT = path.join(__dirname, 'histories');
/** Names what the workflow code of these recordings has that earlier ones do not (file names carry it). */
const VERSION = 'local-steps';

async function main(): Promise<void> {
  const server = await startDevServer({ port: await freePort() });
  const bb = await startFakeBitbucket();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-record-'));
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  try {
    bb.addRepo('team/api');
    const author = { name: 'Ana García', email: 'ana@example.com' };
    bb.addCommits('team/api', [
      { date: '2026-09-28T10:00:00+00:00', message: 'September', author },
      ...Array.from({ length: 40 }, (_, i) => ({ date: `2026-10-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00+00:00`, message: `October ${i}`, author })),
    ]);
    bb.failNext(1, 503, { path: /\/commits/ });
    const client = new Client({ connection });
    const taskQueue = 'evidence-record';
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createEvidenceActivities({
        settings: {
          repos: ['bitbucket:team/api', 'bitbucket:team/gone'].map(parseEvidenceRepo),
          people: [{ name: 'Ana García', email: 'ana@example.com', aliases: [] }],
          includeMerges: false,
          concurrency: 8,
          timeZone: 'Europe/Madrid',
          s3KeyTemplate: 'evidences/{month}/{person}.zip',
          slackChannel: '#events',
          slackAlertChannel: '#urgent',
        },
        readers: { bitbucket: new BitbucketReader({ apiUrl: bb.url, tokenUrl: bb.tokenUrl, key: bb.consumer.key, secret: bb.consumer.secret }) },
        dataDir,
      }),
    });
    const stamp = new Date().toISOString().slice(0, 10);
    await worker.runUntil(async () => {
      const write = async (workflowId: string, name: string): Promise<void> => {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const file = path.join(OUT, `${name}-${VERSION}-${stamp}.json`);
        fs.writeFileSync(file, historyToJSON(history));
        console.log(`wrote ${path.relative(process.cwd(), file)}`);
      };
      await client.workflow.execute(evidenceReportWorkflow, { workflowId: 'evidence:2026-10', taskQueue, args: [{ month: '2026-10' }] });
      await write('evidence:2026-10', 'evidenceReportWorkflow-two-repos');
      await client.workflow.execute(evidenceScheduledWorkflow, { workflowId: 'shepherd-evidence-run-recorded', taskQueue, args: [] });
      await write('shepherd-evidence-run-recorded', 'evidenceScheduledWorkflow-child');
    });
  } finally {
    await connection.close();
    await native.close();
    await bb.stop();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
