// The monthly Schedule on the dev server: created or updated at every start without losing a
// pause, next run at 04:00 on the 1st in the configured zone, and a backfill of a past month
// reporting the month before its nominal time (not the month of the day it actually runs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createEvidenceActivities } from '../../../src/activities/evidenceActivities';
import { parseEvidenceRepo } from '../../../src/domain/evidence/repos';
import type { EvidenceRepo } from '../../../src/domain/evidence/types';
import { EVIDENCE_SCHEDULE_ID, evidenceReportWorkflowId } from '../../../src/domain/workflowIds';
import type { EvidenceReader, ReadWindow } from '../../../src/evidence/readers/types';
import type { EvidenceSummary } from '../../../src/evidence/types';
import { ensureEvidenceSchedule } from '../../../src/temporal/evidenceSchedule';
import { devServerEnv, uniqueTaskQueue, workflowBundle } from '../../helpers/temporal';
import { eventually } from '../../helpers/eventually';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let client: Client;
beforeAll(async () => {
  env = await devServerEnv();
  client = env.client;
});
afterAll(async () => {
  await client.schedule.getHandle(EVIDENCE_SCHEDULE_ID).delete().catch(() => undefined);
  await env?.teardown();
});

/** One commit on the 15th of whatever month is asked for: the report shows which month it read. */
class OneCommitPerMonth implements EvidenceReader {
  async commitsPage(repo: EvidenceRepo, window: ReadWindow) {
    const date = new Date(Date.parse(window.since) + 14 * 86_400_000).toISOString();
    return { commits: [{ repo: repo.id, sha: 'a'.repeat(40), date, url: 'https://example.test/c', author: { email: 'ana@example.com' }, message: 'Work', parentCount: 1, approvers: [] }] };
  }
  async approvalsPage() {
    return { approvals: [] };
  }
}

test('created once, then updated in place: the cron and zone change, a pause stays; next run 04:00 on the 1st', async () => {
  const taskQueue = uniqueTaskQueue('evidence-schedule');
  await client.schedule.getHandle(EVIDENCE_SCHEDULE_ID).delete().catch(() => undefined);

  expect(await ensureEvidenceSchedule(client, { cron: '0 4 1 * *', timeZone: 'UTC', taskQueue })).toBe('created');
  const handle = client.schedule.getHandle(EVIDENCE_SCHEDULE_ID);
  const created = await handle.describe();
  const next = created.info.nextActionTimes[0];
  expect(next.getUTCDate()).toBe(1);
  expect(next.getUTCHours()).toBe(4);
  expect(next.getTime()).toBeGreaterThan(Date.now());
  expect(next.getTime() - Date.now()).toBeLessThanOrEqual(31 * 86_400_000);

  await handle.pause('month-end freeze');
  expect(await ensureEvidenceSchedule(client, { cron: '30 6 1 * *', timeZone: 'Europe/Madrid', taskQueue })).toBe('updated');
  const updated = await handle.describe();
  expect(updated.state.paused).toBe(true);
  expect(updated.state.note).toBe('month-end freeze');
  // 06:30 in Madrid on a 1st: 05:30 UTC in winter, 04:30 UTC in summer.
  const madrid = updated.info.nextActionTimes[0];
  expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Madrid', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(madrid)).toBe('1, 06:30');
});

test('a backfill of 1 October 04:00 reports September, as the month before its nominal time', async () => {
  const taskQueue = uniqueTaskQueue('evidence-backfill');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-schedule-'));
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createEvidenceActivities({
      settings: {
        repos: [parseEvidenceRepo('bitbucket:team/api')],
        people: [{ name: 'Ana', email: 'ana@example.com', aliases: [] }],
        includeMerges: false,
        concurrency: 8,
        timeZone: 'UTC',
        s3KeyTemplate: 'evidences/{month}/{person}.zip',
        slackChannel: '#events',
        slackAlertChannel: '#urgent',
      },
      readers: { bitbucket: new OneCommitPerMonth() },
      dataDir,
    }),
  });
  try {
    await worker.runUntil(async () => {
      await client.schedule.getHandle(EVIDENCE_SCHEDULE_ID).delete().catch(() => undefined);
      await ensureEvidenceSchedule(client, { cron: '0 4 1 * *', timeZone: 'UTC', taskQueue });
      const handle = client.schedule.getHandle(EVIDENCE_SCHEDULE_ID);
      await handle.backfill([{ start: new Date('2026-10-01T03:00:00Z'), end: new Date('2026-10-01T05:00:00Z'), overlap: 'ALLOW_ALL' }]);
      const report = client.workflow.getHandle(evidenceReportWorkflowId('2026-09'));
      await eventually(() => report.describe().then((d) => d.status.name, () => 'not started'), (status) => status === 'COMPLETED', 60_000);
      const summary = (await report.result()) as EvidenceSummary;
      expect(summary).toMatchObject({ month: '2026-09', commits: 1, people: 1, reposNotFound: [] });
      await handle.delete();
    });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
