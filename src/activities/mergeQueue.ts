import { ApplicationFailure, Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { commentMarker, withMarker } from '../domain/comments';
import type { ForgeKind, MergeRequestRef } from '../domain/types';
import { mergeQueueWorkflowId } from '../domain/workflowIds';
import { ForgeError, type Forge, type ForgeErrorKind } from '../forges/forge';
import type { GitWorkspace } from '../git/workspace';
import { queueSearchAttributes } from '../temporal/searchAttributeValues';
import { enqueueUpdate } from '../workflows/definitions';
import type { MergeQueueActivities, WorkerSettings } from './types';

export interface MergeQueueActivityDeps {
  /** Configured forges; a merge request of a forge that is not configured fails with a clear reason. */
  forges: Partial<Record<ForgeKind, Forge>>;
  git: GitWorkspace;
  /** Clone URL with credentials, built in the worker so the token never enters Temporal. */
  authenticatedCloneUrl(forge: ForgeKind, project: string): Promise<string>;
  temporal: Client;
  taskQueue: string;
  ciTimeoutMs: number;
  ciPollIntervalMs: number;
  botName?: string;
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
      return {
        botUsername: bot.username,
        botName: deps.botName ?? bot.name,
        ciTimeoutMs: deps.ciTimeoutMs,
        ciPollIntervalMs: deps.ciPollIntervalMs,
      };
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

    rebaseMergeRequest: ({ ref, sourceBranch, targetBranch, expectedSourceSha }) =>
      guarded(async () => {
        const ctx = Context.current();
        const remoteUrl = await deps.authenticatedCloneUrl(ref.forge, ref.project);
        return deps.git.rebaseAndPush(
          { projectKey: `${ref.forge}/${ref.project}`, remoteUrl, sourceBranch, targetBranch, expectedSourceSha },
          () => ctx.heartbeat(),
        );
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
        if (!mr.assignees.includes(bot.username)) return;
        await forge.setAssignees(
          ref.project,
          ref.iid,
          mr.assignees.filter((u) => u !== bot.username),
        );
      }),

    async enqueueMergeRequest({ ref, targetBranch, attempt }: { ref: MergeRequestRef; targetBranch: string; attempt: number }) {
      const workflowId = mergeQueueWorkflowId(ref.forge, ref.project, targetBranch);
      return deps.temporal.workflow.executeUpdateWithStart(enqueueUpdate, {
        args: [{ ref, attempt }],
        // The same id on a retry: Temporal then answers the first update instead of adding one.
        updateId: `enqueue:${ref.iid}:${attempt}`,
        startWorkflowOperation: new WithStartWorkflowOperation('mergeQueueWorkflow', {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ forge: ref.forge, project: ref.project, targetBranch }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: queueSearchAttributes(ref.forge, ref.project, targetBranch),
        }),
      });
    },
  };
}
