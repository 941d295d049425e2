// collectRepository outside a workflow, in Temporal's mock activity environment: an attempt that
// resumes where its heartbeat says, and one whose heartbeat names pages this host never wrote
// (the earlier attempt ran on another worker host, or the data-dir was cleared).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { createEvidenceActivities, type EvidenceDeps } from '../../../src/activities/evidenceActivities';
import { parseEvidenceRepo } from '../../../src/domain/evidence/repos';
import type { CollectedCommit, EvidenceRepo } from '../../../src/domain/evidence/types';
import type { EvidenceReader, ReadWindow } from '../../../src/evidence/readers/types';

const REPO = 'bitbucket:team/api';
const OCTOBER: ReadWindow = { since: '2026-10-01T00:00:00.000Z', until: '2026-11-01T00:00:00.000Z' };

function commit(n: number): CollectedCommit {
  const sha = n.toString(16).padStart(40, '0');
  return { repo: REPO, sha, date: `2026-10-${String(n).padStart(2, '0')}T10:00:00Z`, url: `https://forge.example/${sha}`, author: { name: 'Ana', email: 'ana@example.com' }, message: `Change ${n}`, parentCount: 1, approvers: [] };
}

/** Three pages of commits; cursors are page numbers. */
class ThreePages implements EvidenceReader {
  readonly asked: string[] = [];
  async commitsPage(_repo: EvidenceRepo, _window: ReadWindow, cursor: string | undefined) {
    const page = Number(cursor ?? '1');
    this.asked.push(`commits ${page}`);
    return { commits: [commit(page * 2 - 1), commit(page * 2)], ...(page < 3 ? { next: String(page + 1) } : {}) };
  }
  async approvalsPage() {
    this.asked.push('approvals');
    return { approvals: [] };
  }
}

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-activity-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function activities(reader: EvidenceReader) {
  const deps: EvidenceDeps = {
    settings: {
      repos: [parseEvidenceRepo(REPO)],
      people: [{ name: 'Ana García', email: 'ana@example.com', aliases: [] }],
      includeMerges: false,
      concurrency: 1,
      timeZone: 'UTC',
      s3KeyTemplate: 'evidences/{month}/{person}.zip',
      slackChannel: '#events',
      slackAlertChannel: '#urgent',
    },
    readers: { bitbucket: reader },
    dataDir,
  };
  return createEvidenceActivities(deps);
}

/** The activity's warnings and errors, kept instead of printed. */
function quietLogger(): { logger: DefaultLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { logger: new DefaultLogger('WARN', (entry) => entries.push(entry)), entries };
}

const input = { month: '2026-10', repo: REPO, window: OCTOBER };

test('a heartbeat naming pages this host has no journal of: the repository is read from its first page, each commit once', async () => {
  const reader = new ThreePages();
  // What an attempt on another host heartbeated after two pages.
  const { logger, entries } = quietLogger();
  const env = new MockActivityEnvironment({ heartbeatDetails: { stage: 'commits', cursor: '3', commitsBytes: 900, approvalsBytes: 0, commits: 4, pages: 2 } }, { logger });
  const read = await env.run(activities(reader).collectRepository, input);
  expect(reader.asked).toEqual(['commits 1', 'commits 2', 'commits 3', 'approvals']);
  expect(entries.map((e) => e.message)).toEqual([expect.stringContaining('reading the repository from its first page')]);
  expect(read).toMatchObject({ status: 'read', commits: 6, counted: 6, pages: 4 });
});

test('a heartbeat this host journalled: the reading goes on at its cursor, with the pages read before', async () => {
  const reader = new ThreePages();
  const first = new MockActivityEnvironment(undefined, { logger: quietLogger().logger });
  const beats: unknown[] = [];
  first.on('heartbeat', (d: unknown) => beats.push(d));
  await first.run(activities(reader).collectRepository, input);
  // The checkpoint at the end of the commits: resume an attempt from there.
  const atApprovals = beats.find((b) => (b as { stage: string }).stage === 'approvals');
  expect(atApprovals).toBeDefined();
  reader.asked.length = 0;
  const again = new MockActivityEnvironment({ heartbeatDetails: atApprovals }, { logger: quietLogger().logger });
  const read = await again.run(activities(reader).collectRepository, input);
  expect(reader.asked).toEqual(['approvals']);
  expect(read).toMatchObject({ status: 'read', commits: 6, counted: 6, pages: 4 });
});
