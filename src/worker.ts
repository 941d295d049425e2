import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type MergeQueueSettings } from './activities';
import { createEvidenceActivities, type EvidenceDeps } from './activities/evidenceActivities';
import { evidenceDepsFrom } from './evidence/fromConfig';
import { queueSettingsFor } from './config/queueSettings';
import { cannotLandMessage } from './domain/comments';
import type { ShepherdConfig } from './config';
import type { ForgeKind } from './domain/types';
import { mergeRequestPollWorkflowId } from './domain/workflowIds';
import type { Forge } from './forges/forge';
import { GitLabForge } from './forges/gitlab';
import { GitWorkspace } from './git/workspace';
import { createAdminMailer, type AdminMailer } from './notify/adminMail';

export interface ShepherdWorkerOptions {
  config: ShepherdConfig;
  /** Temporal address (host:port). */
  address: string;
  /** Pre-bundled workflow code (tests bundle once per file); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Overrides the task queue from the configuration (tests use one per test). */
  taskQueue?: string;
  /** The evidence report's clients; built from the configuration when absent. */
  evidence?: EvidenceDeps;
}

export interface RunningWorker {
  worker: Worker;
  client: Client;
  /** Resolves when the worker has stopped (after shutdown()). */
  run: Promise<void>;
  shutdown(): Promise<void>;
}

export const WORKFLOWS_PATH = path.join(__dirname, 'workflows', 'index');

/**
 * The key file git's ssh uses, or undefined for HTTPS. The key is written by Shepherd itself with
 * owner-only permissions (ssh refuses keys others can read), whether it came from ssh-key or
 * ssh-key-file, so a key file with loose permissions still works.
 */
export function gitSshKeyFile(config: ShepherdConfig): string | undefined {
  if (config.useHttps || !config.sshKey) return undefined;
  const dir = path.join(config.dataDir, 'ssh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'id_shepherd');
  fs.writeFileSync(file, config.sshKey.endsWith('\n') ? config.sshKey : `${config.sshKey}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/** Credentials go into the URL only here, inside the worker: never into Temporal payloads. */
export function withToken(cloneUrl: string, token: string): string {
  const url = new URL(cloneUrl);
  url.username = 'oauth2';
  url.password = token;
  return url.toString();
}

export function configuredForges(config: ShepherdConfig): Partial<Record<ForgeKind, Forge>> {
  const forges: Partial<Record<ForgeKind, Forge>> = {};
  if (config.gitlabUrl && config.authToken) {
    forges.gitlab = new GitLabForge({ url: config.gitlabUrl, token: config.authToken });
  }
  return forges;
}

/**
 * Start-up checks that need the forge: options that only work with powers the token may lack.
 * Failing here, with the fix, beats failing on the first merge request hours later.
 */
export async function checkForgePermissions(config: ShepherdConfig): Promise<void> {
  const gitlab = configuredForges(config).gitlab;
  if (!gitlab || !config.impersonateApprovers) return;
  if (!(await gitlab.canImpersonate())) {
    const bot = await gitlab.currentUser();
    throw new Error(
      `impersonate-approvers needs a token that may act as other users (sudo), but @${bot.username}'s token may not. ` +
        'Make the bot an administrator and give it an impersonation token with the api and sudo scopes, or turn impersonate-approvers off.',
    );
  }
}

/** Mail to admin-email over smtp-url (both or neither, as the configuration checks). */
export function adminMailerFrom(config: ShepherdConfig): AdminMailer | undefined {
  if (!config.adminEmail || !config.smtpUrl) return undefined;
  return createAdminMailer({
    smtpUrl: config.smtpUrl,
    adminEmail: config.adminEmail,
    from: `${config.botName ?? 'Shepherd'} <shepherd@localhost>`,
    secrets: [config.authToken, config.gitlabWebhookSecret, config.sshKey].filter((v): v is string => !!v),
  });
}

/** The merge queue's part of the configuration, as workflows read it through an activity. */
export function mergeQueueSettingsFrom(config: ShepherdConfig): MergeQueueSettings {
  return {
    ciTimeoutMs: config.ciTimeoutMs,
    ciPollIntervalMs: config.ciPollIntervalMs,
    botName: config.botName,
    embargo: config.embargo,
    addTested: config.addTested,
    addPartOf: config.addPartOf,
    addReviewers: config.addReviewers,
    useMergeStrategy: config.useMergeStrategy,
    rebaseRemotely: config.rebaseRemotely,
    impersonateApprovers: config.impersonateApprovers,
    approvalResetTimeoutMs: config.approvalResetTimeoutMs,
    mergeLabel: config.mergeLabel,
    priorityLabel: config.priorityLabel,
    scope: { projectRegexp: config.projectRegexp, branchRegexp: config.branchRegexp, sourceBranchRegexp: config.sourceBranchRegexp },
    mergeOrder: config.mergeOrder,
    requireMergePermission: config.requireMergePermission,
    queueCheckIntervalMs: config.queueCheckIntervalMs,
    mergeRequestPollIntervalMs: config.mergeRequestPollIntervalMs,
    backport: {
      candidateLabel: config.backportLabel,
      branches: config.backportBranches,
      labelPattern: config.backportLabelPattern,
      mrLabels: config.backportMrLabels,
      merge: config.backportMerge,
      conflicts: config.backportConflicts,
    },
  };
}

/**
 * Starts, once per forge and task queue, the workflow that polls for merge requests whose hook was
 * lost (merge-request-poll-interval). Idempotent: a running one is kept (it reads the interval
 * anew each round). run-once does not poll.
 */
export async function startMergeRequestPolling(client: Client, config: ShepherdConfig, taskQueue = config.taskQueue): Promise<void> {
  if (config.mergeRequestPollIntervalMs <= 0) return;
  for (const forge of Object.keys(configuredForges(config)) as ForgeKind[]) {
    await client.workflow.start('mergeRequestPollWorkflow', {
      workflowId: mergeRequestPollWorkflowId(forge, taskQueue),
      taskQueue,
      args: [{ forge }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }
}

/**
 * Batch and train queues land by pushing the tested commit to the target branch: say at start-up
 * which of the bot's projects have such a queue on their default branch where the bot may not
 * push, and what to change. Warnings, not errors: the rights may be granted later, and until
 * then each merge request of such a queue is refused with the same explanation.
 */
export async function queueModeWarnings(config: ShepherdConfig): Promise<string[]> {
  const gitlab = configuredForges(config).gitlab;
  if (!gitlab) return [];
  const everySerial = config.queueMode === 'serial' && config.queueOverrides.every((r) => r.settings.mode === undefined || r.settings.mode === 'serial');
  if (everySerial) return [];
  const bot = await gitlab.currentUser();
  const warnings: string[] = [];
  for (const { path: project, defaultBranch } of await gitlab.projectsOfBot()) {
    const { mode } = queueSettingsFor(config, project, defaultBranch);
    if (mode === 'serial' || (await gitlab.mayPush(project, bot.username, defaultBranch))) continue;
    warnings.push(cannotLandMessage(project, defaultBranch, mode, bot.username));
  }
  return warnings;
}

export async function startWorker(opts: ShepherdWorkerOptions): Promise<RunningWorker> {
  const { config } = opts;
  const taskQueue = opts.taskQueue ?? config.taskQueue;
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
  const forges = configuredForges(config);
  const sshKeyFile = gitSshKeyFile(config);
  const activities = createActivities({
    forges,
    git: new GitWorkspace({
      cacheDir: path.join(config.dataDir, 'git'),
      gitTimeoutMs: config.gitTimeoutMs,
      committer: { name: config.botName ?? 'Shepherd', email: 'shepherd@localhost' },
      referenceRepo: config.gitReferenceRepo,
      sshKeyFile,
    }),
    async authenticatedCloneUrl(kind, project) {
      const forge = forges[kind];
      if (!forge || !config.authToken) throw new Error(`${kind} is not configured`);
      // SSH as marge-bot does by default, when there is a key; HTTPS with the token otherwise.
      if (sshKeyFile) return forge.sshCloneUrl(project);
      return withToken(await forge.httpCloneUrl(project), config.authToken);
    },
    temporal: client,
    taskQueue,
    settings: mergeQueueSettingsFrom(config),
    queueSettings: (project, targetBranch) => queueSettingsFor(config, project, targetBranch),
    adminMailer: adminMailerFrom(config),
  });
  const evidence = createEvidenceActivities(opts.evidence ?? evidenceDepsFrom(config));
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue,
    activities: { ...activities, ...evidence },
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve(WORKFLOWS_PATH) }),
  });
  const run = worker.run().finally(async () => {
    await connection.close();
    await clientConnection.close();
  });
  return {
    worker,
    client,
    run,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run;
    },
  };
}
