// The evidence report's workflow on the time-skipping server, with the real activities and
// scripted forge readers: every repository read, one that fails twice resuming at its page,
// one the forge does not know reported as not found, and the month taken from the Schedule's
// nominal time in the configured zone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createEvidenceActivities, type EvidenceDeps } from '../../src/activities/evidenceActivities';
import { parseEvidenceRepo } from '../../src/domain/evidence/repos';
import type { CollectedCommit, EvidenceRepo } from '../../src/domain/evidence/types';
import { ForgeBusyError, RepoUnreadableError, type EvidenceReader, type ReadWindow } from '../../src/evidence/readers/types';
import { evidenceReportWorkflow } from '../../src/workflows/evidenceReport';
import { timeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(() => env?.teardown());

const ANA = { name: 'Ana García', email: 'ana@example.com', aliases: ['ana'] };
const JOAN = { name: 'Joan Puig', email: 'joan@example.com', aliases: [] };

function commit(repo: string, n: number, date: string, email: string, message = `Change ${n}`): CollectedCommit {
  const sha = n.toString(16).padStart(40, '0');
  return { repo, sha, date, url: `https://forge.example/${repo}/${sha}`, author: { name: email.split('@')[0], email }, message, parentCount: 1, approvers: [] };
}

/** A forge of pages: cursors are page numbers; `failures` makes the given page fail that often first. */
class ScriptedReader implements EvidenceReader {
  readonly asked: Array<{ repo: string; stage: string; page: number }> = [];
  constructor(
    private readonly pages: Record<string, CollectedCommit[][]>,
    private readonly failures: Record<string, { page: number; times: number }> = {},
    private readonly approvals: Record<string, Array<{ sha: string; approvers: Array<{ username: string }> }>> = {},
  ) {}

  async commitsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined) {
    const page = Number(cursor ?? '1');
    this.asked.push({ repo: repo.id, stage: 'commits', page });
    const pages = this.pages[repo.id];
    if (!pages) throw new RepoUnreadableError('not-found', `${repo.id}: 404 Repository not found`);
    const failure = this.failures[repo.id];
    if (failure && failure.page === page && failure.times > 0) {
      failure.times--;
      throw new ForgeBusyError(`${repo.id}: 503`);
    }
    const commits = pages[page - 1].filter((c) => c.date >= window.since && c.date < window.until);
    return { commits, ...(page < pages.length ? { next: String(page + 1) } : {}) };
  }

  async approvalsPage(repo: EvidenceRepo) {
    this.asked.push({ repo: repo.id, stage: 'approvals', page: 1 });
    return { approvals: this.approvals[repo.id] ?? [] };
  }
}

async function runReport(reader: ScriptedReader, repos: string[], input: { month?: string; scheduledAt?: string }, timeZone = 'UTC') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-wf-'));
  const deps: EvidenceDeps = {
    settings: {
      repos: repos.map(parseEvidenceRepo),
      people: [ANA, JOAN],
      includeMerges: false,
      concurrency: 2,
      timeZone,
      s3KeyTemplate: 'evidences/{month}/{person}.zip',
      slackChannel: '#events',
      slackAlertChannel: '#urgent',
    },
    readers: { bitbucket: reader, github: reader },
    dataDir,
  };
  const taskQueue = uniqueTaskQueue('evidence');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createEvidenceActivities(deps),
  });
  try {
    const result = await worker.runUntil(
      env.client.workflow.execute(evidenceReportWorkflow, { workflowId: `evidence-test-${taskQueue}`, taskQueue, args: [input] }),
    );
    return { result, dataDir };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

test('every repository read, a busy one resumed at the page that failed, an unknown one reported as not found', async () => {
  const api = 'bitbucket:team/api';
  const web = 'github:owner/web';
  const reader = new ScriptedReader(
    {
      [api]: [
        [commit(api, 1, '2026-10-30T10:00:00Z', 'ana@example.com'), commit(api, 2, '2026-10-20T10:00:00Z', 'joan@example.com')],
        [commit(api, 3, '2026-10-10T10:00:00Z', 'ANA@example.com', 'Pair work\n\nCo-authored-by: Joan Puig <joan@example.com>')],
        [commit(api, 4, '2026-10-02T10:00:00Z', 'stranger@example.com'), commit(api, 5, '2026-09-30T10:00:00Z', 'ana@example.com')],
      ],
      [web]: [[commit(web, 6, '2026-10-15T09:00:00Z', 'joan@example.com')]],
    },
    { [api]: { page: 3, times: 2 } },
    { [web]: [{ sha: commit(web, 6, '', '').sha, approvers: [{ username: 'ana' }] }] },
  );

  const { result } = await runReport(reader, [api, web, 'bitbucket:team/gone'], { month: '2026-10' });

  expect(result).toMatchObject({
    month: '2026-10',
    reposRead: [api, web],
    reposNotFound: ['bitbucket:team/gone'],
    unknown: ['stranger <stranger@example.com>'],
    people: 2,
    commits: 5,
    channel: '#urgent',
    slackPosted: false,
  });
  expect(result.text).toContain('bitbucket:team/gone');
  // Pages 1 and 2 were read once: the retries of page 3 resumed there.
  const apiPages = reader.asked.filter((a) => a.repo === api && a.stage === 'commits').map((a) => a.page);
  expect(apiPages).toEqual([1, 2, 3, 3, 3]);
});

test('a scheduled run reports the month before its nominal time, in the configured time zone', async () => {
  const api = 'bitbucket:team/api';
  const reader = new ScriptedReader({
    [api]: [[commit(api, 1, '2026-10-31T22:30:00Z', 'ana@example.com'), commit(api, 2, '2026-10-31T20:00:00Z', 'joan@example.com')]],
  });
  // 1 November 04:00 in Madrid is 03:00 UTC: October in Madrid, whose last day ends at 23:00 UTC.
  const { result } = await runReport(reader, [api], { scheduledAt: '2026-11-01T03:00:00Z' }, 'Europe/Madrid');
  expect(result).toMatchObject({ month: '2026-10', reposNotFound: [], commits: 2, channel: '#events' });

  // The same commits in UTC: 22:30 on 31 October is still October, and the month is October too
  // because a late run (here on 3 November) still reports the month before its nominal time.
  const late = await runReport(reader, [api], { scheduledAt: '2026-11-01T04:00:00Z' });
  expect(late.result).toMatchObject({ month: '2026-10', commits: 2 });

  // In Madrid, 00:30 on 1 November local (23:30 UTC on 31 October) belongs to November.
  const november = new ScriptedReader({ [api]: [[commit(api, 3, '2026-10-31T23:30:00Z', 'ana@example.com')]] });
  const { result: madrid } = await runReport(november, [api], { scheduledAt: '2026-11-01T03:00:00Z' }, 'Europe/Madrid');
  expect(madrid.commits).toBe(0);
});
