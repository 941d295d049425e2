// (e) The monthly evidence report against a loopback Bitbucket Cloud that answers every request
// after `latencyMs`: N repositories of M commits in the month (plus some of the month before, so
// every chain of pages has to cross the month's start), 30 commits a page, and a few merged pull
// requests with approvers. The baseline, in the same process against the same fake, is the seed's
// script: one token, then each repository after the other, page after page with plain fetch,
// everything in memory, per-person text files and zips (the same crediting, rendering and zip code
// as ours), no uploads. Ours is evidenceReportWorkflow on a Temporal dev server with the real
// evidence activities and BitbucketReader (no S3, Drive or Slack configured either). The floor ours
// can reach is the longest single repository's chain of requests, measured here by reading that
// repository alone with the BitbucketReader, page after page. The fake runs in a child process
// (see startRemoteFake), so its CPU is not charged to either side.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createEvidenceActivities, type EvidenceDeps } from '../src/activities/evidenceActivities';
import { creditCommits } from '../src/domain/evidence/credit';
import { inWindow, monthWindow } from '../src/domain/evidence/month';
import { evidenceFileName, groupEvidence, personSlug, renderEvidenceFile } from '../src/domain/evidence/render';
import { parseEvidenceRepo } from '../src/domain/evidence/repos';
import type { CollectedCommit, EvidencePerson, EvidenceRepo, Identity } from '../src/domain/evidence/types';
import { BitbucketReader } from '../src/evidence/readers/bitbucket';
import { parseRawAuthor } from '../src/evidence/readers/types';
import type { EvidenceSettings, EvidenceSummary } from '../src/evidence/types';
import { writeZip } from '../src/evidence/zip';
import { startDevServer, stopChild } from '../src/temporal/devServer';
import { freePort } from '../src/temporal/freePort';
import { evidenceReportWorkflow } from '../src/workflows/evidenceReport';
import { startFakeBitbucket, type AddCommitInput, type FakeBitbucket } from '../test/fakes/bitbucket';

const MONTH = '2026-10';
const TIME_ZONE = 'UTC';
/** Commits of late September on every repository, behind the month's: the chain must cross the start. */
const SEPTEMBER_COMMITS = 40;
const PEOPLE = 15;

export interface EvidenceBenchOptions {
  repos: number;
  commitsPerRepo: number;
  latencyMs: number;
  /**
   * How long the fake keeps an idle connection (ms); absent: the fake's own 1 s. Its answers then
   * say `Keep-Alive: timeout=1`, which Node's fetch (undici, reusing a socket only until 2 s
   * before the hinted timeout) takes as "do not reuse": every request opens a new connection.
   */
  keepAliveMs?: number;
  /** Measured runs of ours at the first concurrency (the median is reported); one at the others. */
  runs: number;
  /** The evidence-concurrency values to measure, the first being the headline. */
  concurrencies: number[];
}

/** Where the time of one run of ours went, from its workflow history (ms). */
export interface OursSplit {
  /** Workflow started to the first collectRepository scheduled (the plan activity and two workflow tasks). */
  planning: number;
  /** First collectRepository scheduled to the last one completed. */
  reading: number;
  /** The slowest single collectRepository, started to completed. */
  slowestRepo: number;
  /** The longest a collectRepository waited between being scheduled and started. */
  maxScheduleToStart: number;
  /** buildEvidence, scheduled to completed. */
  building: number;
  /** buildEvidence completed to the workflow completed (summary, post, clean). */
  finishing: number;
  /** CPU time during the run: this process (worker, client, activities) and the fake's. */
  cpuOurs: number;
  cpuFake: number;
  /** The dev server's CPU time during the run (Linux only: from /proc). */
  cpuTemporal?: number;
  /** Of the machine's CPU time during the run, the share the hypervisor gave to others (%; Linux only). */
  stealPercent?: number;
}

export interface OursRun {
  concurrency: number;
  /** Every run's wall time, client start to result. */
  ms: number[];
  medianMs: number;
  /** The split of the median run. */
  split: OursSplit;
  summary: EvidenceSummary;
}

export interface EvidenceReport {
  repos: number;
  commitsPerRepo: number;
  latencyMs: number;
  baselineMs: number;
  baselineRequests: number;
  keepAliveMs?: number;
  baseline: BaselineResult;
  /** Every repository read by bare BitbucketReaders, `concurrency` at once: the machine's floor for reading. */
  bareRead: { concurrency: number; ms: number; cpuMs: number };
  ours: OursRun[];
  chain: {
    repo: string;
    commitPages: number;
    approvalRequests: number;
    /** Round trips one after the other: the commit pages, then the approvals stage's serial steps. */
    serialRequests: number;
    ms: number;
    msPerRequest: number;
  };
  /** What differs between the two sides' results; empty when they agree. */
  mismatches: string[];
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

/** The machine's CPU time so far, in clock ticks: all of it, and what was stolen (Linux only: /proc/stat). */
function machineTicks(): { total: number; steal: number } | undefined {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const ticks = fields.slice(0, 8).map(Number);
    return { total: ticks.reduce((a, b) => a + b, 0), steal: ticks[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** Another process's CPU time in ms, where /proc tells it (Linux), else undefined. */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // utime and stime, the 14th and 15th fields (12th and 13th after the name), in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const person = (i: number): EvidencePerson => ({
  name: `Person ${String(i).padStart(2, '0')}`,
  email: `p${i}@example.com`,
  aliases: [`p${i}`],
});

const repoPath = (r: number): string => `bench/repo-${String(r).padStart(2, '0')}`;

/** The fake's data: who committed what and when, plus the pull requests. */
function seed(fake: FakeBitbucket, repos: number, commitsPerRepo: number): void {
  const since = Date.parse(`${MONTH}-01T00:00:00Z`);
  const monthMs = Date.parse('2026-11-01T00:00:00Z') - since;
  for (let r = 0; r < repos; r++) {
    const p = repoPath(r);
    fake.addRepo(p);
    const list: AddCommitInput[] = [];
    for (let i = 0; i < SEPTEMBER_COMMITS; i++) {
      const at = since - (SEPTEMBER_COMMITS - i) * 3_600_000; // the last hours of 30 September
      list.push({ date: new Date(at).toISOString(), message: `September change ${i}`, author: { name: `Person ${i % PEOPLE}`, email: `p${i % PEOPLE}@example.com` } });
    }
    for (let i = 0; i < commitsPerRepo; i++) {
      // Spread over the month, each repository a little shifted, none at the very edges.
      const at = since + Math.floor(((i + 0.5 + r / repos / 2) * monthMs) / commitsPerRepo);
      const who = (i * 7 + r) % (PEOPLE + 2); // two of every seventeen are committers nobody is
      const email = who < PEOPLE ? `p${who}@example.com` : `external${who - PEOPLE}@elsewhere.example`;
      const pair = i % 25 === 0 ? `\n\nCo-authored-by: Person ${(who + 1) % PEOPLE} <p${(who + 1) % PEOPLE}@example.com>` : '';
      list.push({ date: new Date(at).toISOString(), message: `Change ${i} of ${p}${pair}`, author: { name: `Person ${who}`, email } });
    }
    const made = fake.addCommits(p, list);
    if (r % 6 !== 0) continue;
    // Every sixth repository: three pull requests merged in the month, one before it.
    const october = made.slice(SEPTEMBER_COMMITS);
    for (let k = 0; k < 3; k++) {
      const merged = october[october.length - 1 - k * 40];
      fake.addPullRequest(p, {
        commits: october.slice(october.length - 4 - k * 40, october.length - 1 - k * 40).map((c) => c.sha).reverse(),
        mergeCommit: merged.sha,
        updatedOn: merged.date,
        participants: [
          { user: { displayName: `Person ${(k + r) % PEOPLE}`, nickname: `p${(k + r) % PEOPLE}` }, approved: true },
          { user: { displayName: `Person ${(k + r + 3) % PEOPLE}`, nickname: `p${(k + r + 3) % PEOPLE}` }, approved: true },
          { user: { displayName: 'Someone Else', nickname: 'someone' }, approved: false },
        ],
      });
    }
    fake.addPullRequest(p, { commits: [made[0].sha], mergeCommit: made[1].sha, updatedOn: made[1].date, participants: [{ user: { displayName: 'Person 01', nickname: 'p1' }, approved: true }] });
  }
}

// ---- the fake, in a process of its own ------------------------------------------------------
// In this process its CPU (express, the walk, serialising every page) would be charged to ours:
// 30 readers at once keep one event loop busy with the fake's work, which Bitbucket does on its
// own machines. So it runs in a child process, answering over loopback as before.

/** What the benchmark needs of the fake across the process boundary. */
interface RemoteFake {
  url: string;
  tokenUrl: string;
  consumer: { key: string; secret: string };
  /** How many requests the fake has answered so far (token requests included), and its CPU time (ms). */
  requestCount(): Promise<number>;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

type ToChild = { type: 'count'; id: number } | { type: 'stop' };
type FromChild = { type: 'ready'; url: string; tokenUrl: string; consumer: { key: string; secret: string } } | { type: 'count'; id: number; count: number; cpuMs: number };

const FAKE_FLAG = '--bench-fake-bitbucket';

interface FakeSetup {
  repos: number;
  commitsPerRepo: number;
  latencyMs: number;
  keepAliveMs?: number;
}

async function startRemoteFake(seedWith: FakeSetup): Promise<RemoteFake> {
  // The same loader this process runs under (tsx), so the child can run this TypeScript file.
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, __filename, FAKE_FLAG, JSON.stringify(seedWith)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (answer: { count: number; cpuMs: number }) => void>();
  const ready = await new Promise<Extract<FromChild, { type: 'ready' }>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`the fake Bitbucket exited with ${signal ?? code} before it answered`)));
    child.on('message', (m: FromChild) => {
      if (m.type === 'ready') resolve(m);
      else waiting.get(m.id)?.(m);
    });
  });
  let n = 0;
  const send = (m: ToChild): void => void child.send(m);
  const ask = (): Promise<{ count: number; cpuMs: number }> =>
    new Promise((resolve) => {
      const id = ++n;
      waiting.set(id, (answer) => {
        waiting.delete(id);
        resolve(answer);
      });
      send({ type: 'count', id });
    });
  return {
    url: ready.url,
    tokenUrl: ready.tokenUrl,
    consumer: ready.consumer,
    requestCount: async () => (await ask()).count,
    cpuMs: async () => (await ask()).cpuMs,
    stop: async () => {
      if (child.connected) send({ type: 'stop' });
      await stopChild(child, 5_000);
    },
  };
}

/** The child's side: start the fake, seed it, answer the parent's questions, stop when told (or orphaned). */
async function serveFake(seedWith: FakeSetup): Promise<void> {
  // The fake does not hand out its http.Server: note the one express makes, to set its keep-alive.
  const servers: http.Server[] = [];
  const createServer = http.createServer;
  (http as { createServer: unknown }).createServer = (...args: Parameters<typeof http.createServer>): http.Server => {
    const server = createServer(...args);
    servers.push(server);
    return server;
  };
  const fake = await startFakeBitbucket({ latencyMs: 0 });
  (http as { createServer: unknown }).createServer = createServer;
  if (seedWith.keepAliveMs !== undefined) for (const server of servers) server.keepAliveTimeout = seedWith.keepAliveMs;
  seed(fake, seedWith.repos, seedWith.commitsPerRepo);
  fake.latencyMs = seedWith.latencyMs;
  const stop = (): void => void fake.stop().finally(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('message', (m: ToChild) => {
    if (m.type === 'stop') stop();
    else process.send?.({ type: 'count', id: m.id, count: fake.requests.length, cpuMs: cpuMs(process.cpuUsage()) } satisfies FromChild);
  });
  process.send?.({ type: 'ready', url: fake.url, tokenUrl: fake.tokenUrl, consumer: fake.consumer } satisfies FromChild);
}

if (require.main === module && process.argv[2] === FAKE_FLAG) {
  serveFake(JSON.parse(process.argv[3] ?? '{}') as FakeSetup).catch((e: unknown) => {
    process.stderr.write(`bench fake bitbucket: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

// ---- the baseline: the seed's loop ---------------------------------------------------------

interface BbCommit {
  hash: string;
  date: string;
  message?: string;
  author?: { raw?: string; user?: { display_name?: string; nickname?: string } };
  parents?: Array<{ hash: string }>;
  links?: { html?: { href?: string } };
}
interface BbPullRequest {
  id: number;
  updated_on: string;
  merge_commit?: { hash?: string } | null;
  participants?: Array<{ user?: { display_name?: string; nickname?: string }; approved?: boolean }>;
}
interface Paged<T> {
  values: T[];
  next?: string;
}

const identityOf = (u: { display_name?: string; nickname?: string } | undefined): Identity =>
  u ? { ...(u.display_name ? { name: u.display_name } : {}), ...(u.nickname ? { username: u.nickname } : {}) } : {};

interface BaselineResult {
  commits: number;
  people: number;
  unknown: number;
  /** Of its time: reading (token to the last page) and building (crediting to the last zip). */
  readMs: number;
  buildMs: number;
}

/** The seed's script, serial from the token to the last zip. */
async function baselineRun(fake: RemoteFake, repos: EvidenceRepo[], people: EvidencePerson[], outDir: string): Promise<BaselineResult> {
  const window = monthWindow(MONTH, TIME_ZONE);
  const started = performance.now();
  const basic = Buffer.from(`${fake.consumer.key}:${fake.consumer.secret}`).toString('base64');
  const tokenAnswer = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenAnswer.json()) as { access_token: string };
  const get = async <T>(url: string): Promise<T> => {
    const answer = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    if (!answer.ok) throw new Error(`baseline: ${url} answered ${answer.status}`);
    return (await answer.json()) as T;
  };

  const commits: CollectedCommit[] = [];
  for (const repo of repos) {
    const approvers = new Map<string, Identity[]>();
    let url: string | undefined = `${fake.url}/repositories/${repo.path}/commits`;
    const mine: CollectedCommit[] = [];
    while (url) {
      const page: Paged<BbCommit> = await get<Paged<BbCommit>>(url);
      let past = false;
      for (const c of page.values) {
        if (Date.parse(c.date) < Date.parse(window.since)) past = true;
        if (!inWindow(c.date, window)) continue;
        mine.push({
          repo: repo.id,
          sha: c.hash,
          date: c.date,
          url: c.links?.html?.href ?? '',
          author: { ...parseRawAuthor(c.author?.raw ?? ''), ...identityOf(c.author?.user) },
          message: c.message ?? '',
          parentCount: c.parents?.length ?? 0,
          approvers: [],
        });
      }
      url = past ? undefined : page.next;
    }
    // The pull requests merged in the month, and who approved them.
    url = `${fake.url}/repositories/${repo.path}/pullrequests?state=MERGED&sort=-updated_on`;
    while (url) {
      const page: Paged<BbPullRequest> = await get<Paged<BbPullRequest>>(url);
      const recent = page.values.filter((pr) => Date.parse(pr.updated_on) >= Date.parse(window.since));
      for (const listed of recent) {
        const pr = await get<BbPullRequest>(`${fake.url}/repositories/${repo.path}/pullrequests/${listed.id}`);
        const who = (pr.participants ?? []).filter((x) => x.approved).map((x) => identityOf(x.user));
        if (!who.length) continue;
        let prCommits: string | undefined = `${fake.url}/repositories/${repo.path}/pullrequests/${listed.id}/commits`;
        const shas = new Set<string>();
        while (prCommits) {
          const cp: Paged<BbCommit> = await get<Paged<BbCommit>>(prCommits);
          for (const c of cp.values) shas.add(c.hash);
          prCommits = cp.next;
        }
        if (pr.merge_commit?.hash) shas.add(pr.merge_commit.hash);
        for (const sha of shas) approvers.set(sha, [...(approvers.get(sha) ?? []), ...who]);
      }
      url = recent.length < page.values.length ? undefined : page.next;
    }
    for (const c of mine) commits.push({ ...c, approvers: approvers.get(c.sha) ?? [] });
  }

  const read = performance.now();
  const credited = creditCommits(commits, people, { includeMerges: false });
  let written = 0;
  for (const [name, byRepo] of groupEvidence(credited.entries)) {
    const who = people.find((p) => p.name === name);
    if (!who) continue;
    const dir = path.join(outDir, personSlug(who));
    await fs.promises.mkdir(dir, { recursive: true });
    const files: Array<{ name: string; path: string }> = [];
    for (const [repo, entries] of byRepo) {
      const file = path.join(dir, evidenceFileName(repo));
      await fs.promises.writeFile(file, renderEvidenceFile(who, repo, MONTH, entries));
      files.push({ name: evidenceFileName(repo), path: file });
    }
    await writeZip(files, path.join(outDir, `${personSlug(who)}.zip`));
    written++;
  }
  return { commits: credited.commitsCounted, people: written, unknown: credited.unknown.length, readMs: read - started, buildMs: performance.now() - read };
}

// ---- ours ------------------------------------------------------------------------------------

function splitOf(history: temporal.api.history.v1.IHistory): Omit<OursSplit, 'cpuOurs' | 'cpuFake'> {
  const events = history.events ?? [];
  const at = (e: temporal.api.history.v1.IHistoryEvent): number => tsToMs(e.eventTime);
  const scheduled = new Map<string, { type: string; at: number; startedAt?: number; closedAt?: number }>();
  let workflowStarted = 0;
  let workflowClosed = 0;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) workflowStarted = at(e);
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes) workflowClosed = at(e);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', at: at(e) });
    const st = e.activityTaskStartedEventAttributes;
    if (st) scheduled.get(String(st.scheduledEventId))!.startedAt = at(e);
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (done) scheduled.get(String(done.scheduledEventId))!.closedAt = at(e);
  }
  const all = [...scheduled.values()];
  const collects = all.filter((a) => a.type === 'collectRepository');
  const build = all.find((a) => a.type === 'buildEvidence');
  const firstCollect = Math.min(...collects.map((a) => a.at));
  const lastCollect = Math.max(...collects.map((a) => a.closedAt ?? 0));
  return {
    planning: firstCollect - workflowStarted,
    reading: lastCollect - firstCollect,
    slowestRepo: Math.max(...collects.map((a) => (a.closedAt ?? 0) - (a.startedAt ?? 0))),
    maxScheduleToStart: Math.max(...collects.map((a) => (a.startedAt ?? 0) - a.at)),
    building: build ? (build.closedAt ?? 0) - build.at : 0,
    finishing: build ? workflowClosed - (build.closedAt ?? 0) : 0,
  };
}

/** Runs `fn` over `items`, at most `limit` at once (the workflow's lanes). */
async function inLanes<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Reads one repository alone, serially, with the reader ours uses: the floor of ours. */
async function readChain(reader: BitbucketReader, repo: EvidenceRepo): Promise<{ commitPages: number; approvalPages: number; ms: number }> {
  const window = monthWindow(MONTH, TIME_ZONE);
  const started = performance.now();
  let commitPages = 0;
  let approvalPages = 0;
  let cursor: string | undefined;
  do {
    cursor = (await reader.commitsPage(repo, window, cursor)).next;
    commitPages++;
  } while (cursor);
  do {
    cursor = (await reader.approvalsPage(repo, window, cursor)).next;
    approvalPages++;
  } while (cursor);
  return { commitPages, approvalPages, ms: performance.now() - started };
}

export async function benchEvidence(opts: EvidenceBenchOptions): Promise<EvidenceReport> {
  try {
    // Worker state changes are logged at INFO; a benchmark's output is its numbers.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already, by an earlier section of this run
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-bench-evidence-'));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const fake = await startRemoteFake({ repos: opts.repos, commitsPerRepo: opts.commitsPerRepo, latencyMs: opts.latencyMs, keepAliveMs: opts.keepAliveMs });
    stops.push(() => fake.stop());
    const temporalServer = await startDevServer({ port: await freePort(), logFile: path.join(dataDir, 'temporal.log') });
    stops.push(() => temporalServer.stop());

    const repos = Array.from({ length: opts.repos }, (_, r) => parseEvidenceRepo(`bitbucket:${repoPath(r)}`));
    const people = Array.from({ length: PEOPLE }, (_, i) => person(i));
    const readerFor = (): BitbucketReader => new BitbucketReader({ apiUrl: fake.url, tokenUrl: fake.tokenUrl, key: fake.consumer.key, secret: fake.consumer.secret });

    const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
      workflowsPath: require.resolve('../src/workflows/index'),
      logger: new DefaultLogger('WARN'),
    });
    const connection = await Connection.connect({ address: temporalServer.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });

    let n = 0;
    const withWorker = async <T>(concurrency: number, fn: (taskQueue: string) => Promise<T>): Promise<T> => {
      const settings: EvidenceSettings = {
        repos,
        people,
        includeMerges: false,
        concurrency,
        timeZone: TIME_ZONE,
        s3KeyTemplate: 'evidences/{month}/{person}.zip',
        slackChannel: '#events',
        slackAlertChannel: '#urgent',
      };
      // No s3, drive or slack: the baseline uploads nothing either.
      const deps: EvidenceDeps = { settings, readers: { bitbucket: readerFor() }, dataDir: path.join(dataDir, `ours-${concurrency}`) };
      const taskQueue = `bench-evidence-${concurrency}-${process.pid}`;
      const native = await NativeConnection.connect({ address: temporalServer.address });
      try {
        const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: bundle, activities: createEvidenceActivities(deps) });
        return await worker.runUntil(fn(taskQueue));
      } finally {
        await native.close();
      }
    };
    const runOurs = async (taskQueue: string, month: string): Promise<{ ms: number; summary: EvidenceSummary; split: OursSplit }> => {
      const workflowId = `bench-evidence-${month}-${++n}-${Date.now().toString(36)}`;
      const fakeCpu = await fake.cpuMs();
      const temporalCpu = processCpuMs(temporalServer.process.pid);
      const ticks = machineTicks();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const summary = await client.workflow.execute(evidenceReportWorkflow, { workflowId, taskQueue, args: [{ month }] });
      const ms = performance.now() - started;
      const cpuOurs = cpuMs(process.cpuUsage(cpu));
      const ticksNow = machineTicks();
      const stealPercent = ticks && ticksNow && ticksNow.total > ticks.total ? (100 * (ticksNow.steal - ticks.steal)) / (ticksNow.total - ticks.total) : undefined;
      const cpuFake = (await fake.cpuMs()) - fakeCpu;
      const temporalNow = processCpuMs(temporalServer.process.pid);
      const cpuTemporal = temporalCpu !== undefined && temporalNow !== undefined ? temporalNow - temporalCpu : undefined;
      const hist = await client.workflow.getHandle(workflowId).fetchHistory();
      const split = { ...splitOf(hist), cpuOurs, cpuFake, ...(cpuTemporal !== undefined ? { cpuTemporal } : {}), ...(stealPercent !== undefined ? { stealPercent } : {}) };
      return { ms, summary, split };
    };

    // The longest chain: every repository has as many commit pages; those with pull requests
    // add the approvals stage's requests (the list, then each pull request and its commits).
    const chainRepo = repos[0];
    const chainReader = readerFor();
    await chainReader.commitsPage(chainRepo, monthWindow('2026-12', TIME_ZONE), undefined); // the token, once
    const requestsBefore = await fake.requestCount();
    const chains = [];
    for (let i = 0; i < 3; i++) chains.push(await readChain(chainReader, chainRepo));
    const chainRequests = ((await fake.requestCount()) - requestsBefore) / chains.length;
    const chain = chains.sort((a, b) => a.ms - b.ms)[1];
    // The approvals stage fetches each recent pull request, then its commits, all of them at once:
    // per approvals page, three round trips one after the other when there are pull requests.
    const approvalRequests = chainRequests - chain.commitPages;
    const serialRequests = chain.commitPages + chain.approvalPages * (approvalRequests > chain.approvalPages ? 3 : 1);

    // What this machine can do at all: every repository read at once by bare readers, as ours
    // reads them, without Temporal, files or heartbeats. Ours cannot read faster than this.
    const bare = [];
    for (let i = 0; i < Math.max(1, Math.min(opts.runs, 3)); i++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await inLanes(repos, opts.concurrencies[0], (repo) => readChain(chainReader, repo));
      bare.push({ ms: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpu)) });
    }
    const bareRead = bare.sort((a, b) => a.ms - b.ms)[Math.floor(bare.length / 2)];

    const baselineDir = path.join(dataDir, 'baseline');
    const baselineRequestsBefore = await fake.requestCount();
    const baselineStarted = performance.now();
    const baseline = await baselineRun(fake, repos, people, baselineDir);
    const baselineMs = performance.now() - baselineStarted;
    const baselineRequests = (await fake.requestCount()) - baselineRequestsBefore;
    fs.rmSync(baselineDir, { recursive: true, force: true });

    const ours: OursRun[] = [];
    for (const concurrency of opts.concurrencies) {
      ours.push(
        await withWorker(concurrency, async (taskQueue) => {
          await runOurs(taskQueue, '2026-12'); // warm-up: a month with nothing in it, a page per repository
          const runs = [];
          for (let i = 0; i < (concurrency === opts.concurrencies[0] ? opts.runs : 1); i++) runs.push(await runOurs(taskQueue, MONTH));
          const mid = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
          return { concurrency, ms: runs.map((r) => r.ms), medianMs: median(runs.map((r) => r.ms)), split: mid.split, summary: mid.summary };
        }),
      );
    }

    const mismatches: string[] = [];
    const expected = opts.repos * opts.commitsPerRepo;
    if (baseline.commits !== expected) mismatches.push(`baseline counted ${baseline.commits} commits, the fake holds ${expected} in ${MONTH}`);
    for (const o of ours) {
      const s = o.summary;
      if (s.commits !== baseline.commits) mismatches.push(`commits: baseline ${baseline.commits}, ours (concurrency ${o.concurrency}) ${s.commits}`);
      if (s.people !== baseline.people) mismatches.push(`people: baseline ${baseline.people}, ours (concurrency ${o.concurrency}) ${s.people}`);
      if (s.unknown.length !== baseline.unknown) mismatches.push(`unknown committers: baseline ${baseline.unknown}, ours (concurrency ${o.concurrency}) ${s.unknown.length}`);
      if (s.reposRead.length !== opts.repos || s.reposNotFound.length) mismatches.push(`ours (concurrency ${o.concurrency}) read ${s.reposRead.length} of ${opts.repos} repositories (not found: ${s.reposNotFound.join(', ') || 'none'})`);
    }

    return {
      repos: opts.repos,
      commitsPerRepo: opts.commitsPerRepo,
      latencyMs: opts.latencyMs,
      keepAliveMs: opts.keepAliveMs,
      baselineMs,
      baselineRequests,
      baseline,
      bareRead: { concurrency: opts.concurrencies[0], ...bareRead },
      ours,
      chain: {
        repo: chainRepo.id,
        commitPages: chain.commitPages,
        approvalRequests,
        serialRequests,
        ms: chain.ms,
        msPerRequest: chain.ms / serialRequests,
      },
      mismatches,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The section's lines, in the style of the others. */
export function formatEvidenceReport(r: EvidenceReport): string {
  const lines = [
    ...(r.keepAliveMs !== undefined
      ? [`    (the fake, in a process of its own, keeps idle connections ${r.keepAliveMs} ms instead of its 1 s: with 1 s, Node's fetch reuses none and opens one per request)`]
      : []),
    `    baseline (the seed's serial loop, same fake): ${r.baselineMs.toFixed(0)} ms for ${r.baselineRequests} requests ` +
      `(reading ${r.baseline.readMs.toFixed(0)} ms, building ${r.baseline.buildMs.toFixed(0)} ms)`,
    `    longest single repository (${r.chain.repo}, read alone): ${r.chain.commitPages} commit pages + ${r.chain.approvalRequests} approvals requests ` +
      `(${r.chain.serialRequests} round trips one after the other) in ${r.chain.ms.toFixed(0)} ms, ${r.chain.msPerRequest.toFixed(1)} ms per round trip`,
    `    every repository read by bare BitbucketReaders, ${r.bareRead.concurrency} at once (no Temporal, no files): ${r.bareRead.ms.toFixed(0)} ms ` +
      `(${(r.bareRead.ms / r.chain.ms).toFixed(2)}x the longest chain; ${r.bareRead.cpuMs.toFixed(0)} ms CPU in this process): the floor of ours' reading on this machine`,
  ];
  for (const o of r.ours) {
    const s = o.split;
    lines.push(
      `    ours, evidence-concurrency ${o.concurrency}${o.concurrency === 8 ? ' (the default)' : ''}: median ${o.medianMs.toFixed(0)} ms (of ${o.ms.length}: ${o.ms.map((x) => x.toFixed(0)).join(', ')}); ` +
        `baseline/ours ${(r.baselineMs / o.medianMs).toFixed(1)}x (goal: at least 10x); ours/longest chain ${(o.medianMs / r.chain.ms).toFixed(2)}x (goal: at most 1.5x)`,
      `      where it went: planning ${s.planning} ms, reading ${s.reading} ms (slowest repository ${s.slowestRepo} ms, longest wait for a slot ${s.maxScheduleToStart} ms), ` +
        `building ${s.building} ms, summary and clean-up ${s.finishing} ms; CPU: this process ${s.cpuOurs.toFixed(0)} ms, the fake ${s.cpuFake.toFixed(0)} ms` +
        `${s.cpuTemporal !== undefined ? `, the Temporal server ${s.cpuTemporal.toFixed(0)} ms` : ''} (${os.cpus().length} CPUs` +
        `${s.stealPercent !== undefined ? `, ${s.stealPercent.toFixed(0)}% of their time stolen by the hypervisor` : ''})`,
    );
  }
  lines.push(
    `    both sides: ${r.baseline.commits} commits, ${r.baseline.people} people, ${r.baseline.unknown} unknown committers` +
      (r.mismatches.length ? `\n    !!! MISMATCH between the baseline and ours:\n${r.mismatches.map((m) => `    !!!   ${m}`).join('\n')}` : ''),
  );
  return `${lines.join('\n')}\n`;
}
