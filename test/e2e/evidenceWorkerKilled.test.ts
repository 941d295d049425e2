// A worker killed in the middle of a repository: `shepherd evidence --month` is SIGKILLed while
// it reads a long Bitbucket repository, and the same command run again joins the month's run and
// finishes it, reading that repository on from the page its last heartbeat named instead of from
// the first page, with the same result as a run nobody interrupted.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { startFakeBitbucket, type FakeBitbucket } from '../fakes/bitbucket';
import { startS3rver } from '../helpers/s3rver';
import { eventually } from '../helpers/eventually';
import { devServerAddress, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '..', '..');
// A month of its own: the other end-to-end report runs 2026-10 on the same server.
const MONTH = '2026-08';
const REPO = 'team/long';
const COMMITS = 1_800; // 60 pages of 30

const BUCKET = 'evidence-killed';
let bb: FakeBitbucket;
let s3: Awaited<ReturnType<typeof startS3rver>>;
let work: string;
let env: NodeJS.ProcessEnv;
let connection: Connection;
let client: Client;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [bb, s3] = await Promise.all([startFakeBitbucket(), startS3rver({ buckets: [BUCKET] })]);
  bb.addRepo(REPO);
  const since = Date.parse(`${MONTH}-01T00:00:00Z`);
  const monthMs = Date.parse('2026-09-01T00:00:00Z') - since;
  bb.addCommits(REPO, [
    { date: new Date(since - 3_600_000).toISOString(), message: 'July', author: { name: 'Ana García', email: 'ana@example.com' } },
    ...Array.from({ length: COMMITS }, (_, i) => ({
      date: new Date(since + Math.floor(((i + 0.5) * monthMs) / COMMITS)).toISOString(),
      message: `Change ${i}`,
      author: i % 3 ? { name: 'Ana García', email: 'ana@example.com' } : { name: 'Joan Puig', email: 'joan@example.com' },
    })),
  ]);
  // Slow enough that the first attempt is still reading when it is killed.
  bb.latencyMs = 40;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-killed-'));
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SHEPHERD_TEMPORAL_ADDRESS: devServerAddress(),
    SHEPHERD_TASK_QUEUE: uniqueTaskQueue('evidence-killed'),
    SHEPHERD_DATA_DIR: path.join(work, 'data'),
    SHEPHERD_EVIDENCE_REPOS: `bitbucket:${REPO}`,
    SHEPHERD_EVIDENCE_PEOPLE: 'Ana García <ana@example.com>; Joan Puig <joan@example.com>',
    SHEPHERD_BITBUCKET_URL: bb.url,
    SHEPHERD_BITBUCKET_TOKEN_URL: bb.tokenUrl,
    SHEPHERD_BITBUCKET_OAUTH_KEY: bb.consumer.key,
    SHEPHERD_BITBUCKET_OAUTH_SECRET: bb.consumer.secret,
    SHEPHERD_EVIDENCE_S3_BUCKET: BUCKET,
    SHEPHERD_EVIDENCE_S3_ENDPOINT: s3.endpoint,
    SHEPHERD_EVIDENCE_S3_REGION: s3.region,
    SHEPHERD_EVIDENCE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    SHEPHERD_EVIDENCE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
  connection = await Connection.connect({ address: devServerAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await connection?.close();
  await Promise.all([bb?.stop(), s3?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const shepherdArgs = [path.join(ROOT, 'bin', 'shepherd.js'), 'evidence', '--month', MONTH];

interface ReadProgress {
  stage: string;
  cursor?: string;
  pages: number;
}

/** The reading activity's last heartbeat, once it has sent one. */
async function heartbeat(): Promise<ReadProgress | undefined> {
  try {
    const { raw } = await client.workflow.getHandle(`evidence:${MONTH}`).describe();
    const payload = raw.pendingActivities?.find((a) => a.activityType?.name === 'collectRepository')?.heartbeatDetails?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload<ReadProgress>(payload) : undefined;
  } catch {
    return undefined; // not started yet
  }
}

const pageOf = (url: string): string | null => new URL(url, 'http://fake').searchParams.get('page');
const commitRequests = (): Array<{ page: string | null; at: number }> =>
  bb.requests.filter((r) => r.method === 'GET' && new URL(r.url, 'http://fake').pathname.endsWith(`/repositories/${REPO}/commits`)).map((r) => ({ page: pageOf(r.url), at: r.at }));

test('killed while reading a repository, the next run resumes at the page of its last heartbeat and reports the same month', async () => {
  const first = spawn(process.execPath, shepherdArgs, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(first);
  let firstOutput = '';
  first.stdout?.on('data', (d: Buffer) => (firstOutput += d.toString()));
  first.stderr?.on('data', (d: Buffer) => (firstOutput += d.toString()));

  const seen = await eventually(
    async () => (first.exitCode !== null ? 'exited' : await heartbeat()),
    (p) => p === 'exited' || (p !== undefined && p.stage === 'commits' && p.pages > 0 && p.cursor !== undefined),
    120_000,
  );
  if (seen === 'exited' || seen === undefined) throw new Error(`shepherd evidence exited before it read a page: ${firstOutput}`);
  const beat = seen;
  first.kill('SIGKILL');
  await new Promise((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve(undefined) : first.once('exit', resolve)));
  const killedAt = Date.now();
  const before = commitRequests();
  expect(before.length).toBeLessThan(Math.ceil((COMMITS + 1) / 30)); // killed before the last page
  expect(firstOutput).not.toContain(`evidence of ${MONTH}`);

  const second = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, shepherdArgs, { cwd: work, env, timeout: 200_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
  expect({ code: second.code, stderr: second.code === 0 ? '' : second.stderr }).toEqual({ code: 0, stderr: '' });
  expect(second.stdout).toContain(`evidence of ${MONTH}: 2 people, ${COMMITS} commits, 1 repositories read`);

  // After the kill, the first page was not asked for again: the reading went on at the cursor
  // the last heartbeat named, and from there to the end.
  const after = commitRequests().filter((r) => r.at > killedAt);
  expect(after.length).toBeGreaterThan(0);
  expect(after[0].page).toBe(pageOf(beat.cursor as string));
  expect(after.filter((r) => r.page === null)).toEqual([]);
  expect(commitRequests().filter((r) => r.page === null)).toHaveLength(1);
  expect((await s3.listKeys(BUCKET)).sort()).toEqual([`evidences/${MONTH}/ana-garcia.zip`, `evidences/${MONTH}/joan-puig.zip`]);
  // Each of Ana's commits once: the pages read twice (after the heartbeat, before the kill) are not counted twice.
  const zip = path.join(work, 'ana.zip');
  fs.writeFileSync(zip, await s3.getObject(BUCKET, `evidences/${MONTH}/ana-garcia.zip`));
  const changes = execFileSync('unzip', ['-p', zip, 'bitbucket_team_long.txt'], { encoding: 'utf8' }).match(/Change \d+/g) ?? [];
  expect(changes).toHaveLength((COMMITS * 2) / 3);
  expect(new Set(changes).size).toBe(changes.length);
  // July's commit is on the last page, which ends the reading.
  expect(after).toHaveLength(Math.ceil((COMMITS + 1) / 30) - beat.pages);
});
