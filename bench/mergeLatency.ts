// (c) Latency from a pipeline's success hook to the merge call reaching GitLab, through
// everything a user runs: the fake GitLab sends the Pipeline Hook to the webhook API, which finds
// the merge job waiting on that (project, SHA) on a Temporal dev server; the job asks GitLab what
// passed, checks the MR once more and calls merge. CI polling is set to 10 minutes, so only the
// hook can explain a fast merge. The baseline, measured in the same process and interleaved, is
// a bot without durability: a bare HTTP receiver that calls the same merge API the moment the
// hook arrives. The ratio is what durability and the re-checks cost per merge.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from '../src/api/createApp';
import { temporalEventSink } from '../src/api/temporalEventSink';
import { loadConfig } from '../src/config';
import { GitLabForge } from '../src/forges/gitlab';
import { startDevServer } from '../src/temporal/devServer';
import { freePort } from '../src/temporal/freePort';
import { startWorker } from '../src/worker';
import { FakeGitLab } from '../test/fakes/gitlab';

const SECRET = 'bench-webhook-secret';

export interface LatencyReport {
  samples: number;
  oursMedianMs: number;
  oursMaxMs: number;
  baselineMedianMs: number;
  /** ours / baseline median latency: 1 = as fast as the bare receiver, 3 = three times as long. */
  ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function until<T>(what: string, read: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`bench: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function benchMergeLatency(samples: number): Promise<LatencyReport> {
  // Worker state changes are logged at INFO; a benchmark's output is its numbers.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-bench-'));
  const temporal = await startDevServer({ port: await freePort(), logFile: path.join(dataDir, 'temporal.log') });
  const gitlab = await FakeGitLab.start({ log: () => undefined });
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const bot = gitlab.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
    gitlab.addUser({ username: 'alice', name: 'Alice' });
    gitlab.setPipelinePolicy(() => 'manual');
    const members = { members: { 'shepherd-bot': 'maintainer' as const, alice: 'developer' as const } };
    const oursProject = 'bench/ours';
    const baseProject = 'bench/baseline';
    gitlab.addProject(oursProject, members);
    gitlab.addProject(baseProject, members);

    // Shepherd, as `npm start` wires it.
    const taskQueue = 'bench-merge-latency';
    const { config } = loadConfig({
      argv: [],
      env: {
        SHEPHERD_GITLAB_URL: gitlab.url,
        SHEPHERD_AUTH_TOKEN: bot.token,
        SHEPHERD_GITLAB_WEBHOOK_SECRET: SECRET,
        SHEPHERD_DATA_DIR: dataDir,
        SHEPHERD_TASK_QUEUE: taskQueue,
        SHEPHERD_CI_POLL_INTERVAL: '10min',
        SHEPHERD_MERGE_REQUEST_POLL_INTERVAL: '0',
      },
    });
    const worker = await startWorker({ config, address: temporal.address });
    stops.push(() => worker.shutdown());
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const api = http.createServer(createApp({ sink: temporalEventSink(client, taskQueue), gitlabWebhookSecret: SECRET }));
    const apiUrl = await listen(api);
    stops.push(() => new Promise((r) => api.close(r)));

    // The baseline: merge as soon as the hook says the pipeline passed; nothing durable.
    const forge = new GitLabForge({ url: gitlab.url, token: bot.token });
    const waiting = new Map<string, number>(); // sha -> iid
    const bare = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(202).end();
        if (req.headers['x-gitlab-event'] !== 'Pipeline Hook') return;
        const hook = JSON.parse(body) as { object_attributes: { sha: string; status: string } };
        const iid = waiting.get(hook.object_attributes.sha);
        if (hook.object_attributes.status === 'success' && iid !== undefined) {
          void forge.merge(baseProject, iid, hook.object_attributes.sha).catch((e: unknown) => process.stderr.write(`baseline merge: ${String(e)}\n`));
        }
      });
    });
    const bareUrl = await listen(bare);
    stops.push(() => new Promise((r) => bare.close(r)));

    const mergeCallAt = (project: string, iid: number): number | undefined =>
      gitlab.apiRequests.find((r) => r.method === 'PUT' && r.path === `/projects/${encodeURIComponent(project)}/merge_requests/${iid}/merge`)?.receivedAt;

    /** From the success hook being sent to the merge call arriving, in ms. */
    const timeMerge = async (project: string, iid: number, sha: string): Promise<number> => {
      await gitlab.mergeRequestUpdatesDone(); // GitLab has seen the push and checked mergeability, as it has long before CI ends
      const sentAt = Date.now();
      gitlab.finishPipeline(project, sha, 'success');
      const at = await until(`the merge of ${project}!${iid}`, () => mergeCallAt(project, iid));
      await until(`${project}!${iid} merged`, () => (gitlab.mergeRequest(project, iid).state === 'merged' ? true : undefined));
      return at - sentAt;
    };

    let n = 0;
    const ours = async (): Promise<number> => {
      const branch = `ours-${++n}`;
      gitlab.setWebhook(`${apiUrl}/webhooks/gitlab`, SECRET);
      const head = await gitlab.commit(oursProject, branch, { files: { [`${branch}.txt`]: 'x\n' }, message: branch, author: 'alice' });
      await gitlab.commit(oursProject, 'main', { files: { [`main-${branch}.txt`]: 'x\n' }, message: `main before ${branch}`, author: 'alice' });
      const { iid } = gitlab.createMergeRequest(oursProject, { sourceBranch: branch, title: branch, author: 'alice' });
      gitlab.assign(oursProject, iid, ['shepherd-bot'], 'alice');
      const pipeline = await gitlab.waitForPipeline(oursProject, (p) => p.ref === branch && p.sha !== head, 60_000);
      // The job is waiting on that SHA (in real life CI takes minutes; here it must not beat the job).
      const query = `WorkflowType = "mergeJobWorkflow" AND ExecutionStatus = "Running" AND ShepherdHeadSha = "${pipeline.sha}"`;
      await until('the job waiting for CI', async () => ((await client.workflow.count(query)).count > 0 ? true : undefined));
      return timeMerge(oursProject, iid, pipeline.sha);
    };
    const baseline = async (): Promise<number> => {
      const branch = `base-${++n}`;
      gitlab.setWebhook(bareUrl, SECRET);
      const head = await gitlab.commit(baseProject, branch, { files: { [`${branch}.txt`]: 'x\n' }, message: branch, author: 'alice' });
      const { iid } = gitlab.createMergeRequest(baseProject, { sourceBranch: branch, title: branch, author: 'alice' });
      waiting.set(head, iid);
      await gitlab.waitForPipeline(baseProject, head, 60_000);
      return timeMerge(baseProject, iid, head);
    };

    await ours(); // warm-up: bundling, first activities, clones
    await baseline();
    const o: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < samples; i++) {
      // Alternate which goes first, so drift over the run hits both sides alike.
      if (i % 2 === 0) {
        o.push(await ours());
        b.push(await baseline());
      } else {
        b.push(await baseline());
        o.push(await ours());
      }
    }
    const oursMedianMs = median(o);
    const baselineMedianMs = median(b);
    return { samples, oursMedianMs, oursMaxMs: Math.max(...o), baselineMedianMs, ratio: oursMedianMs / Math.max(baselineMedianMs, 1) };
  } finally {
    gitlab.setWebhook(undefined);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await gitlab.stop();
    await temporal.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
