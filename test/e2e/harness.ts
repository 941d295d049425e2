import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/createApp';
import { temporalEventSink } from '../../src/api/temporalEventSink';
import { loadConfig, type ShepherdConfig } from '../../src/config';
import { mergeRequestWorkflowId } from '../../src/domain/workflowIds';
import type { MergeRequestSnapshot } from '../../src/workflows/definitions';
import { startMergeRequestPolling, startWorker, type RunningWorker } from '../../src/worker';
import { FakeGitLab, type AddProjectOptions, type FakeMergeRequest, type FakeNote, type FakeUser, type HookDeliveryOptions } from '../fakes/gitlab';
import { eventually } from '../helpers/eventually';
import { devServerAddress, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

/**
 * Everything a user runs, wired as in production but on loopback: the fake GitLab sends real
 * webhooks to the real API, which hands them to the real Temporal dev server, where a real worker
 * rebases in real git and talks to the fake through @gitbeaker/rest.
 */
export interface Shepherd {
  gitlab: FakeGitLab;
  bot: FakeUser;
  alice: FakeUser;
  apiUrl: string;
  client: Client;
  taskQueue: string;
  worker: RunningWorker;
  /** Stops the worker (as a crash or a deploy would) and starts a new one with nothing in memory. */
  restartWorker(whileStopped?: () => Promise<void>): Promise<void>;
  /** Where the worker keeps its clones and keys. */
  dataDir: string;
  /** The configuration the worker runs with. */
  config: ShepherdConfig;
  /** A fresh project (one per test keeps tests apart); alice and bob develop, rita reports. */
  newProject(name: string, options?: AddProjectOptions): string;
  /** Resolves with the MR's workflow result once it has finished (merged or closed). */
  mergeRequestResult(project: string, iid: number): Promise<MergeRequestSnapshot>;
  /** Comments people wrote or the bot wrote to explain something: all but GitLab's system notes and the bot's progress notes. */
  explanations(project: string, iid: number): FakeNote[];
  /** Every comment the bot wrote, progress notes included. */
  botComments(project: string, iid: number): FakeNote[];
  /** Polls until `read()` gives a value `ok` accepts; fails with the last value after `ms`. */
  eventually<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms?: number): Promise<T>;
  /** Polls the fake until `ok` holds for the MR. */
  waitForMergeRequest(project: string, iid: number, ok: (mr: FakeMergeRequest) => boolean, ms?: number): Promise<FakeMergeRequest>;
  stop(): Promise<void>;
}

const SECRET = 'e2e-webhook-secret';

export interface ShepherdOptions {
  /** Extra SHEPHERD_* settings, as a user would set them. */
  env?: Record<string, string>;
  /** The bot is a GitLab administrator (may use sudo, sees emails). */
  botAdmin?: boolean;
  /** The fake GitLab also serves git over SSH. */
  gitlabSsh?: boolean;
  /** Hooks delivered as GitLab's background workers do (any order, some twice, some never); serial by default. */
  hookDelivery?: HookDeliveryOptions;
  /** Runs once the fake GitLab and its users exist, before Shepherd is configured from `env`. */
  beforeStart?: (gitlab: FakeGitLab, env: Record<string, string>) => Promise<void>;
}

export async function startShepherdAgainstFakeGitLab(opts: ShepherdOptions = {}): Promise<Shepherd> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-e2e-'));
  const gitlab = await FakeGitLab.start({ log: () => undefined, ssh: opts.gitlabSsh });
  if (opts.hookDelivery) {
    gitlab.setHookDelivery(opts.hookDelivery);
    // A failing order can be replayed with this seed.
    console.info(`fake GitLab delivers hooks GitLab-like, seed ${gitlab.hookDeliverySeed}`);
  }
  const bot = gitlab.addUser({ username: 'shepherd-bot', name: 'Shepherd', admin: opts.botAdmin ?? false });
  const alice = gitlab.addUser({ username: 'alice', name: 'Alice Liddell', email: 'alice@example.com' });
  gitlab.addUser({ username: 'bob', name: 'Bob Reviewer', email: 'bob@example.com', publicEmail: 'bob@example.com' });
  gitlab.addUser({ username: 'rita', name: 'Rita Reporter' });
  const taskQueue = uniqueTaskQueue('e2e');
  const address = devServerAddress();

  const env: Record<string, string> = {
    SHEPHERD_GITLAB_URL: gitlab.url,
    SHEPHERD_AUTH_TOKEN: bot.token,
    SHEPHERD_GITLAB_WEBHOOK_SECRET: SECRET,
    SHEPHERD_DATA_DIR: dataDir,
    SHEPHERD_TASK_QUEUE: taskQueue,
    SHEPHERD_TEMPORAL_ADDRESS: address,
    SHEPHERD_CI_TIMEOUT: '2min',
    ...opts.env,
  };
  await opts.beforeStart?.(gitlab, env);
  const { config } = loadConfig({ argv: [], env });
  let worker = await startWorker({ config, address, workflowBundle: await workflowBundle() });
  // As `npm start` does: polling is the fallback for hooks the fake drops.
  await startMergeRequestPolling(worker.client, config, taskQueue);

  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const app = createApp({ sink: temporalEventSink(client, taskQueue), gitlabWebhookSecret: SECRET });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const addr = server.address();
  const apiUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  gitlab.setWebhook(`${apiUrl}/webhooks/gitlab`, SECRET);

  let projects = 0;
  return {
    gitlab,
    bot,
    alice,
    apiUrl,
    client,
    taskQueue,
    get worker() {
      return worker;
    },
    async restartWorker(whileStopped) {
      await worker.shutdown();
      // A new cache directory: the new worker has no clone, as on another machine.
      const fresh = loadConfig({ argv: [], env: { ...env, SHEPHERD_DATA_DIR: fs.mkdtempSync(path.join(dataDir, 'w-')) } });
      await whileStopped?.();
      worker = await startWorker({ config: fresh.config, address, workflowBundle: await workflowBundle() });
    },
    config,
    dataDir,
    newProject(name, options = {}) {
      const projectPath = `group/${name}-${++projects}`;
      gitlab.addProject(projectPath, {
        members: { 'shepherd-bot': 'maintainer', alice: 'developer', bob: 'developer', rita: 'reporter' },
        files: { 'README.md': '# app\n', 'src/app.txt': 'line 1\nline 2\nline 3\n' },
        ...options,
      });
      return projectPath;
    },
    explanations(project, iid) {
      return gitlab.notes(project, iid).filter((n) => !n.system && !/:(started|merged) -->$/.test(n.body));
    },
    botComments(project, iid) {
      return gitlab.notes(project, iid).filter((n) => !n.system && n.author === 'shepherd-bot');
    },
    mergeRequestResult(project, iid) {
      return client.workflow
        .getHandle<() => Promise<MergeRequestSnapshot>>(mergeRequestWorkflowId({ forge: 'gitlab', project, iid }))
        .result();
    },
    eventually,
    waitForMergeRequest(project, iid, ok, ms = 60_000) {
      return eventually(() => gitlab.mergeRequest(project, iid), ok, ms);
    },
    async stop() {
      gitlab.setWebhook(undefined);
      // Merge jobs outlive their queue's runs: end whatever this test left running.
      for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
        await client.workflow.getHandle(wf.workflowId).terminate('test over').catch(() => undefined);
      }
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await worker.shutdown();
      await connection.close();
      await gitlab.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
