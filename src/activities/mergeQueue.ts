import { ApplicationFailure, Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { commentMarker, withMarker } from '../domain/comments';
import { setTrailers } from '../domain/trailers';
import type { ForgeKind } from '../domain/types';
import { mergeQueueWorkflowId } from '../domain/workflowIds';
import { ForgeError, type Forge, type ForgeErrorKind } from '../forges/forge';
import type { GitWorkspace } from '../git/workspace';
import { queueSearchAttributes } from '../temporal/searchAttributeValues';
import { enqueueUpdate } from '../workflows/definitions';
import type { MergeQueueInput } from '../workflows/mergeQueue';
import type { MergeQueueActivities, RebaseResult, TrailerPlan, WorkerSettings } from './types';

/** The merge-queue part of the worker's configuration (everything but the bot's identity). */
export type MergeQueueSettings = Omit<WorkerSettings, 'botUsername' | 'botName'> & { botName?: string };

export interface MergeQueueActivityDeps {
  /** Configured forges; a merge request of a forge that is not configured fails with a clear reason. */
  forges: Partial<Record<ForgeKind, Forge>>;
  git: GitWorkspace;
  /** Clone URL with credentials, built in the worker so the token never enters Temporal. */
  authenticatedCloneUrl(forge: ForgeKind, project: string): Promise<string>;
  temporal: Client;
  taskQueue: string;
  settings: MergeQueueSettings;
}

/** Defaults for everything marge-bot users may leave unset; tests override what they need. */
export function mergeQueueSettings(over: Partial<MergeQueueSettings> = {}): MergeQueueSettings {
  return {
    ciTimeoutMs: 15 * 60_000,
    ciPollIntervalMs: 30_000,
    embargo: '',
    addTested: false,
    addPartOf: false,
    addReviewers: false,
    useMergeStrategy: false,
    rebaseRemotely: false,
    impersonateApprovers: false,
    approvalResetTimeoutMs: 0,
    scope: { projectRegexp: '.*', branchRegexp: '.*', sourceBranchRegexp: '.*' },
    mergeOrder: 'created_at',
    ...over,
  };
}

const FAILURE_TYPES: Record<ForgeErrorKind, string> = {
  'not-found': 'ForgeNotFound',
  forbidden: 'ForgeForbidden',
  unauthorized: 'ForgeUnauthorized',
  invalid: 'ForgeInvalidRequest',
};

/** Expected failures are final: retrying a 404 or a 403 only delays the comment that explains it. */
function rethrow(err: unknown): never {
  if (err instanceof ForgeError) {
    throw ApplicationFailure.nonRetryable(err.message, FAILURE_TYPES[err.kind]);
  }
  throw err;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return rethrow(err);
  }
}

/** Deterministic, so a retried rebase computes the same commits as the try that pushed. */
function messageRewriter(plan: TrailerPlan | undefined): ((message: string, index: number, total: number) => string) | undefined {
  if (!plan) return undefined;
  return (message, index, total) => {
    const trailers: Record<string, string[]> = {};
    if (plan.reviewedBy) trailers['Reviewed-by'] = plan.reviewedBy;
    if (plan.partOf) trailers['Part-of'] = [plan.partOf];
    // Tested-by only on the last commit: the one CI runs on and the target branch ends at.
    if (plan.testedBy && index === total - 1) trailers['Tested-by'] = [plan.testedBy];
    return Object.keys(trailers).length ? setTrailers(message, trailers) : message;
  };
}

export function createMergeQueueActivities(deps: MergeQueueActivityDeps): MergeQueueActivities {
  const bots = new Map<ForgeKind, Promise<{ username: string; name: string }>>();

  const forgeOf = (ref: { forge: ForgeKind }): Forge => {
    const forge = deps.forges[ref.forge];
    if (!forge) {
      throw ApplicationFailure.nonRetryable(
        `Shepherd has no ${ref.forge} configured (set ${ref.forge}-url and auth-token / auth-token-file)`,
        'ForgeNotConfigured',
      );
    }
    return forge;
  };
  const botOf = (kind: ForgeKind): Promise<{ username: string; name: string }> => {
    let bot = bots.get(kind);
    if (!bot) {
      bot = forgeOf({ forge: kind }).currentUser();
      bots.set(kind, bot);
      bot.catch(() => bots.delete(kind));
    }
    return bot;
  };

  return {
    async workerSettings(): Promise<WorkerSettings> {
      // Only GitLab is wired so far; the bot is whoever the configured token belongs to.
      const bot = await guarded(() => botOf('gitlab'));
      return { ...deps.settings, botUsername: bot.username, botName: deps.settings.botName ?? bot.name };
    },

    loadMergeRequest: (ref) =>
      guarded(async () => {
        const forge = forgeOf(ref);
        const [mr, approvals] = await Promise.all([
          forge.getMergeRequest(ref.project, ref.iid),
          forge.getApprovals(ref.project, ref.iid),
        ]);
        return { mr, approvals };
      }),

    rebaseMergeRequest: ({ ref, sourceBranch, targetBranch, expectedSourceSha, strategy, trailers }) =>
      guarded(async (): Promise<RebaseResult> => {
        const ctx = Context.current();
        const forge = forgeOf(ref);
        if (await forge.isProtectedBranch(ref.project, sourceBranch)) return { kind: 'protected-source', branch: sourceBranch };
        const remoteUrl = await deps.authenticatedCloneUrl(ref.forge, ref.project);
        return deps.git.rebaseAndPush(
          {
            projectKey: `${ref.forge}/${ref.project}`,
            remoteUrl,
            sourceBranch,
            targetBranch,
            expectedSourceSha,
            strategy: strategy ?? 'rebase',
            rewriteMessage: messageRewriter(trailers),
          },
          () => ctx.heartbeat(),
        );
      }),

    rebaseRemotely: ({ ref, targetBranch, expectedSourceSha }) =>
      guarded(async (): Promise<RebaseResult> => {
        const ctx = Context.current();
        const forge = forgeOf(ref);
        const targetSha = await forge.branchHead(ref.project, targetBranch);
        if (!targetSha) return { kind: 'missing-branch', branch: targetBranch };
        const before = await forge.getMergeRequest(ref.project, ref.iid);
        if (before.headSha !== expectedSourceSha && !before.rebaseInProgress) return { kind: 'source-moved', actualSha: before.headSha };
        if (!before.rebaseInProgress) await forge.requestRebase(ref.project, ref.iid);
        // GitLab rebases in the background; heartbeats keep the activity alive while we look.
        for (;;) {
          ctx.heartbeat();
          await new Promise((r) => setTimeout(r, 500));
          const mr = await forge.getMergeRequest(ref.project, ref.iid);
          if (mr.rebaseInProgress) continue;
          if (mr.mergeError) return { kind: 'remote-rebase-failed', error: mr.mergeError };
          const kind = mr.headSha === expectedSourceSha ? 'up-to-date' : 'pushed';
          return { kind, sha: mr.headSha, targetSha };
        }
      }),

    reapprove: ({ ref, usernames, sha }) =>
      guarded(async () => {
        const forge = forgeOf(ref);
        for (const username of usernames) await forge.approveAs(ref.project, ref.iid, username, sha);
      }),

    latestPipeline: ({ ref, sha }) =>
      guarded(async () => (await forgeOf(ref).pipelinesForSha(ref.project, sha))[0] ?? null),

    branchHead: ({ ref, branch }) => guarded(async () => (await forgeOf(ref).branchHead(ref.project, branch)) ?? null),

    mergeMergeRequest: ({ ref, sha }) =>
      guarded(async () => {
        const forge = forgeOf(ref);
        // Retried after a crash that happened after the merge: it is done, do not try again.
        const mr = await forge.getMergeRequest(ref.project, ref.iid);
        if (mr.state === 'merged') return { kind: 'merged' as const };
        return forge.merge(ref.project, ref.iid, sha);
      }),

    commentOnce: ({ ref, key, body }) =>
      guarded(async () => {
        const forge = forgeOf(ref);
        const marker = commentMarker(key);
        const notes = await forge.listNotes(ref.project, ref.iid);
        if (notes.some((n) => n.body.includes(marker))) return;
        await forge.createNote(ref.project, ref.iid, withMarker(key, body));
      }),

    unassignBot: ({ ref }) =>
      guarded(async () => {
        const forge = forgeOf(ref);
        const bot = await botOf(ref.forge);
        const mr = await forge.getMergeRequest(ref.project, ref.iid);
        // Handing back means taking off whatever asked for the merge: the bot and the merge label.
        const label = deps.settings.mergeLabel;
        if (label && mr.labels.includes(label)) await forge.removeLabel(ref.project, ref.iid, label);
        if (!mr.assignees.includes(bot.username)) return;
        await forge.setAssignees(
          ref.project,
          ref.iid,
          mr.assignees.filter((u) => u !== bot.username),
        );
      }),

    accessLevel: ({ ref, username }) => guarded(() => forgeOf(ref).memberAccessLevel(ref.project, username)),

    async enqueueMergeRequest({ ref, targetBranch, entry }) {
      const workflowId = mergeQueueWorkflowId(ref.forge, ref.project, targetBranch);
      const queueInput: MergeQueueInput = { forge: ref.forge, project: ref.project, targetBranch, mergeOrder: deps.settings.mergeOrder };
      return deps.temporal.workflow.executeUpdateWithStart(enqueueUpdate, {
        args: [{ ref, ...entry }],
        // The same id on a retry: Temporal then answers the first update instead of adding one.
        updateId: `enqueue:${ref.iid}:${entry.attempt}`,
        startWorkflowOperation: new WithStartWorkflowOperation('mergeQueueWorkflow', {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [queueInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: queueSearchAttributes(ref.forge, ref.project, targetBranch),
        }),
      });
    },
  };
}
