// `npm run demo`: Shepherd against a fake GitLab on loopback, with merge requests to look after.
//
//   npm run demo                       runs until Ctrl-C; watch the merge requests change
//   npm run demo -- --once             exits 0 once every demo MR is merged or refused with a
//                                      comment, non-zero after 3 minutes (SHEPHERD_DEMO_ONCE=1 too)
//   npm run demo -- --temporal-port 17233 --temporal-ui-port 18233 --api-port 13000
//                                      any Shepherd option works, e.g. when the default ports are busy
//
// Order matters: the project exists first, then Shepherd starts and the fake's webhook points at
// it, and only then are the merge requests opened and assigned (their webhooks start the work).
// State lives in .data/demo, wiped at every start; `npm start`'s .data is left alone.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runUntilSignalled, startShepherd, type Running } from '../src/cli';
import { ConfigError, loadConfig, type ShepherdConfig } from '../src/config';
import { FakeGitLab, type FakeMergeRequest, type FakePipeline } from '../test/fakes/gitlab';
import {
  BOT_USERNAME,
  DEMO_MERGE_REQUESTS,
  DEMO_PROJECT,
  demoPipelinePolicy,
  openDemoMergeRequests,
  seedDemoProject,
  type DemoExpectation,
} from '../test/fakes/gitlab/seeds/demo';

const ROOT = path.resolve(__dirname, '..');
const DEMO_DATA_DIR = path.join(ROOT, '.data', 'demo');
/** --once gives up after this long (SHEPHERD_DEMO_TIMEOUT_MS overrides it, e.g. to test the failure path). */
const ONCE_TIMEOUT_MS = Number(process.env.SHEPHERD_DEMO_TIMEOUT_MS) > 0 ? Number(process.env.SHEPHERD_DEMO_TIMEOUT_MS) : 3 * 60 * 1000;
const POLL_MS = 1000;
/** The demo's pipelines finish in 3 s and send webhooks; polling is only the fallback. */
const DEMO_CI_POLL_INTERVAL_MS = 5000;

const HELP = `Usage: npm run demo -- [--once] [shepherd options]

Starts a fake GitLab with project ${DEMO_PROJECT} and a few merge requests assigned to @${BOT_USERNAME},
and Shepherd (embedded Temporal dev server, worker, webhook API) to merge them.

  --once    exit 0 once every demo merge request is merged or refused with a comment,
            1 if that takes more than 3 minutes (also: SHEPHERD_DEMO_ONCE=1;
            SHEPHERD_DEMO_TIMEOUT_MS changes the 3 minutes)

Shepherd options (see \`npm run shepherd -- help\`) work as for \`shepherd start\`, e.g.
  --temporal-port 17233 --temporal-ui-port 18233 --api-port 13000
gitlab-url, auth-token, gitlab-webhook-secret and data-dir are set by the demo (${path.relative(ROOT, DEMO_DATA_DIR)}).
`;

const started = Date.now();

function say(line: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[demo ${t}s] ${line}\n`);
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 8) : '-';
}

/** First meaningful line of a comment, without Shepherd's hidden marker. */
function firstLine(body: string): string {
  const line =
    body
      .replace(/<!--[\s\S]*?-->/g, '')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

type Outcome = 'merged' | 'closed' | DemoExpectation | 'other comment';

interface Tracked {
  iid: number;
  title: string;
  expect: DemoExpectation;
  state?: string;
  headSha?: string;
  assignees: string[];
  notesSeen: Set<number>;
  botComments: string[];
}

/** Polls the fake every second and prints one line per change of a demo merge request. */
class Watcher {
  private readonly tracked = new Map<number, Tracked>();
  private readonly pipelinesSeen = new Map<number, string>();
  private readonly ignoredPipelines = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private announcedFinal = false;

  constructor(private readonly fake: FakeGitLab) {
    // Pipelines of the seed's own pushes are not news.
    for (const pl of fake.pipelines(DEMO_PROJECT)) this.ignoredPipelines.add(pl.id);
  }

  track(iid: number, title: string, expect: DemoExpectation): void {
    const mr = this.fake.mergeRequest(DEMO_PROJECT, iid);
    this.tracked.set(iid, {
      iid,
      title,
      expect,
      state: mr.state,
      headSha: mr.headSha,
      assignees: mr.assignees,
      notesSeen: new Set(this.fake.notes(DEMO_PROJECT, iid).map((n) => n.id)),
      botComments: [],
    });
  }

  /** Polls every second; unless `quiet`, says once when every merge request has reached a final state. */
  start(quiet: boolean): void {
    this.timer = setInterval(() => {
      this.poll();
      if (quiet || this.announcedFinal || !this.allFinal()) return;
      this.announcedFinal = true;
      say('every demo merge request reached a final state:');
      for (const line of this.summary()) say(line);
      say('the workflows stay in the Temporal Web UI; press Ctrl-C to stop');
    }, POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  poll(): void {
    try {
      for (const t of this.tracked.values()) this.pollMergeRequest(t, this.fake.mergeRequest(DEMO_PROJECT, t.iid));
      this.pollPipelines();
    } catch (err) {
      say(`could not read the fake GitLab: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private label(t: Tracked): string {
    return `!${t.iid} "${t.title}"`;
  }

  private pollMergeRequest(t: Tracked, mr: FakeMergeRequest): void {
    if (mr.headSha !== t.headSha) {
      say(`${this.label(t)}: source branch now at ${short(mr.headSha)} (was ${short(t.headSha)}): rebased and pushed`);
      t.headSha = mr.headSha;
    }
    for (const note of this.fake.notes(DEMO_PROJECT, t.iid)) {
      if (t.notesSeen.has(note.id)) continue;
      t.notesSeen.add(note.id);
      if (note.system) continue;
      if (note.author === BOT_USERNAME) t.botComments.push(note.body);
      say(`${this.label(t)}: comment by @${note.author}: ${firstLine(note.body)}`);
    }
    const removed = t.assignees.filter((u) => !mr.assignees.includes(u));
    const added = mr.assignees.filter((u) => !t.assignees.includes(u));
    for (const u of removed) say(`${this.label(t)}: @${u} unassigned`);
    for (const u of added) say(`${this.label(t)}: assigned to @${u}`);
    t.assignees = mr.assignees;
    if (mr.state !== t.state) {
      const into = mr.state === 'merged' ? ` into ${mr.targetBranch} (now at ${short(mr.mergedCommitSha)})` : '';
      say(`${this.label(t)}: ${mr.state}${into}`);
      t.state = mr.state;
    }
  }

  private pollPipelines(): void {
    const heads = new Map<string, Tracked>();
    for (const t of this.tracked.values()) {
      const mr = this.fake.mergeRequest(DEMO_PROJECT, t.iid);
      heads.set(mr.sourceBranch, t);
    }
    for (const pl of this.fake.pipelines(DEMO_PROJECT)) {
      if (this.ignoredPipelines.has(pl.id) || this.pipelinesSeen.get(pl.id) === pl.status) continue;
      this.pipelinesSeen.set(pl.id, pl.status);
      say(`pipeline #${pl.id} on ${pl.ref} at ${short(pl.sha)}${this.forMr(heads, pl)}: ${pl.status}`);
    }
  }

  private forMr(heads: Map<string, Tracked>, pl: FakePipeline): string {
    const t = heads.get(pl.ref);
    return t ? ` (!${t.iid})` : '';
  }

  outcome(t: Tracked): Outcome | undefined {
    if (t.state === 'merged') return 'merged';
    if (t.state === 'closed') return 'closed';
    // Refused: the bot said why and handed the merge request back.
    if (t.botComments.length === 0 || t.assignees.includes(BOT_USERNAME)) return undefined;
    const said = t.botComments.join('\n');
    if (/conflict/i.test(said)) return 'conflict comment';
    if (/CI failed/i.test(said)) return 'CI failure comment';
    return 'other comment';
  }

  all(): Tracked[] {
    return [...this.tracked.values()];
  }

  allFinal(): boolean {
    // Only once all of them are open: the first can be merged before the last is assigned.
    return this.tracked.size === DEMO_MERGE_REQUESTS.length && this.all().every((t) => this.outcome(t) !== undefined);
  }

  summary(): string[] {
    return this.all().map((t) => {
      const got = this.outcome(t) ?? `not finished (${t.state}, assignees: ${t.assignees.join(', ') || 'none'})`;
      const note = got === t.expect ? '' : `   (the demo expected: ${t.expect})`;
      return `  ${this.label(t)}: ${got}${note}`;
    });
  }
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * Refuses to start on busy ports. Without this a demo next to `npm start` could quietly use the
 * other Temporal dev server (and its task queue) or report an API port another process holds.
 */
async function busyPorts(config: ShepherdConfig): Promise<string[]> {
  const wanted: Array<[string, string, number]> = [['api-port', config.apiHost, config.apiPort]];
  if (!config.temporalAddress) {
    wanted.push(['temporal-port', '127.0.0.1', config.temporalPort], ['temporal-ui-port', '127.0.0.1', config.temporalUiPort]);
  }
  const busy: string[] = [];
  for (const [name, host, port] of wanted) {
    if (port !== 0 && !(await portIsFree(host, port))) busy.push(`${name} ${port}`);
  }
  return busy;
}

function demoConfig(argv: string[]): ShepherdConfig {
  const loaded = loadConfig({ argv, env: process.env, cwd: ROOT });
  if (loaded.rest.length) throw new ConfigError(`unexpected argument(s): ${loaded.rest.join(' ')}`);
  const config: ShepherdConfig = { ...loaded.config, dataDir: DEMO_DATA_DIR };
  if (loaded.sources['ci-poll-interval'].from === 'default') config.ciPollIntervalMs = DEMO_CI_POLL_INTERVAL_MS;
  return config;
}

function uiHints(config: ShepherdConfig, running: Running): string[] {
  const ui = running.uiUrl ?? (config.temporalAddress ? undefined : `http://127.0.0.1:${config.temporalUiPort}`);
  const ns = encodeURIComponent(config.temporalNamespace);
  const query = encodeURIComponent(`ShepherdProject="${DEMO_PROJECT}"`);
  const wfId = `mr:gitlab:${DEMO_PROJECT}:1`;
  if (!ui) {
    return [
      `Temporal: ${running.temporalAddress} (open your Temporal Web UI; workflow id ${wfId}, or search ShepherdProject="${DEMO_PROJECT}")`,
    ];
  }
  return [
    `Temporal Web UI:   ${ui}`,
    `  all demo workflows: ${ui}/namespaces/${ns}/workflows?query=${query}`,
    `  one MR's workflow:  search for workflow id "${wfId}" (MR !1), or ShepherdProject="${DEMO_PROJECT}"`,
    `  the merge queue:    workflow id "queue:gitlab:${DEMO_PROJECT}:main"; each attempt is a child "merge:gitlab:${DEMO_PROJECT}:<iid>:<n>"`,
  ];
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const envOnce = process.env.SHEPHERD_DEMO_ONCE;
  const once = args.includes('--once') || (envOnce !== undefined && !['', '0', 'false', 'no'].includes(envOnce.toLowerCase()));
  let config: ShepherdConfig;
  try {
    config = demoConfig(args.filter((a) => a !== '--once'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`demo: ${err.message}\n(npm run demo -- --help lists the demo's own options)\n`);
      return 2;
    }
    throw err;
  }

  const busy = await busyPorts(config);
  if (busy.length) {
    process.stderr.write(
      `demo: in use already: ${busy.join(', ')}. Choose free ports, e.g. --temporal-port 17233 --temporal-ui-port 18233 --api-port 13000\n`,
    );
    return 1;
  }

  // A fresh world every time: the Temporal database, git clones and the fake's repositories.
  fs.rmSync(DEMO_DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(DEMO_DATA_DIR, { recursive: true });

  const fake = await FakeGitLab.start({
    dataDir: path.join(DEMO_DATA_DIR, 'gitlab'),
    log: (m) => say(m.replace(/^fake gitlab: /, 'fake GitLab: ')),
  });
  fake.setPipelinePolicy(demoPipelinePolicy(fake, 3000));
  const seeded = await seedDemoProject(fake);

  const webhookSecret = crypto.randomBytes(24).toString('hex');
  let running: Running;
  try {
    running = await startShepherd(
      { ...config, gitlabUrl: fake.url, authToken: seeded.bot.token, gitlabWebhookSecret: webhookSecret },
      { api: true, worker: true, embedded: true },
    );
  } catch (err) {
    await fake.stop();
    process.stderr.write(
      `demo: Shepherd did not start: ${err instanceof Error ? err.message : String(err)}\n` +
        `  (Temporal's log: ${path.join(DEMO_DATA_DIR, 'temporal.log')}; busy ports? try --temporal-port 17233 --temporal-ui-port 18233 --api-port 13000)\n`,
    );
    return 1;
  }
  if (!running.apiUrl) throw new Error('startShepherd returned no API URL');
  const hookUrl = `${running.apiUrl}/webhooks/gitlab`;
  fake.setWebhook(hookUrl, webhookSecret);

  const watcher = new Watcher(fake);
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      watcher.stop();
      try {
        await running.stop();
      } finally {
        await fake.stop();
      }
    })());

  say(`fake GitLab:       ${fake.url}  (project ${seeded.webUrl}; bot @${BOT_USERNAME}, people @alice and @bob)`);
  for (const line of uiHints(config, running)) say(line);
  say(`webhooks:          ${fake.url} -> ${hookUrl}`);
  say(`state:             ${path.relative(ROOT, DEMO_DATA_DIR)} (wiped at each demo start)`);
  say(`opening ${DEMO_MERGE_REQUESTS.length} merge requests as @alice, approved by @bob, assigned to @${BOT_USERNAME}:`);

  watcher.start(once);
  try {
    await openDemoMergeRequests(fake, {
      gapMs: 1000,
      onAssigned: (iid, plan) => {
        watcher.track(iid, plan.title, plan.expect);
        say(`  !${iid} "${plan.title}" (${plan.sourceBranch}) assigned to @${BOT_USERNAME}; expected: ${plan.expect}`);
      },
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  if (!once) {
    say('watching the merge requests; press Ctrl-C to stop');
    await runUntilSignalled({ ...running, stop: stopAll });
    return 0;
  }

  say(`--once: waiting until every merge request is merged or refused with a comment (at most ${(ONCE_TIMEOUT_MS / 1000).toFixed(0)} s)`);
  const result = await new Promise<'done' | 'timeout' | 'signal'>((resolve) => {
    const deadline = setTimeout(() => finish('timeout'), ONCE_TIMEOUT_MS);
    const check = setInterval(() => {
      if (watcher.allFinal()) finish('done');
    }, POLL_MS / 4);
    const onSignal = (): void => finish('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    function finish(r: 'done' | 'timeout' | 'signal'): void {
      clearTimeout(deadline);
      clearInterval(check);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(r);
    }
  });
  watcher.stop();
  say(result === 'done' ? 'every demo merge request reached a final state:' : `stopped (${result}); where the merge requests are:`);
  for (const line of watcher.summary()) say(line);
  say('stopping Shepherd and the fake GitLab...');
  await stopAll();
  say('stopped');
  return result === 'done' ? 0 : result === 'signal' ? 130 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
