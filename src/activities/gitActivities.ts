import { Context } from '@temporalio/activity';
import { setTrailers } from '../domain/trailers';
import { guarded, type ActivityDeps, type Forges } from './deps';
import type { GitActivities, RebaseResult, TrailerPlan } from './types';

/** Deterministic, so a retried rebase computes the same commits as the try that pushed. */
export function messageRewriter(plan: TrailerPlan | undefined): ((message: string, index: number, total: number) => string) | undefined {
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

/** What a remote rebase attempt left in its heartbeat, so its retry recognises its own work. */
interface RemoteRebaseProgress {
  requestedFor: string;
}

export function createGitActivities(deps: ActivityDeps, forges: Forges): GitActivities {
  return {
    rebaseMergeRequest: ({ ref, sourceBranch, targetBranch, expectedSourceSha, sourceProject, strategy, trailers }) =>
      guarded(async (): Promise<RebaseResult> => {
        const ctx = Context.current();
        const forge = forges.of(ref.forge);
        const bot = await forges.bot(ref.forge);
        const fork = sourceProject !== undefined && sourceProject !== ref.project;
        if (fork) {
          // A fork's branch: the bot pushes there as a member of the fork, or because the author
          // allowed commits from those who may merge into the target.
          const mr = await forge.getMergeRequest(ref.project, ref.iid);
          const mayPush =
            (await forge.mayPush(sourceProject, bot.username, sourceBranch)) ||
            (mr.allowCollaboration && (await forge.mayMerge(ref.project, bot.username, targetBranch)));
          if (!mayPush) return { kind: 'fork-not-writable', sourceProject, branch: sourceBranch };
        } else if (!(await forge.mayPush(ref.project, bot.username, sourceBranch))) {
          return { kind: 'protected-source', branch: sourceBranch };
        }
        const remoteUrl = await deps.authenticatedCloneUrl(ref.forge, ref.project);
        const sourceRemoteUrl = fork ? await deps.authenticatedCloneUrl(ref.forge, sourceProject) : undefined;
        return deps.git.rebaseAndPush(
          {
            projectKey: `${ref.forge}/${ref.project}`,
            remoteUrl,
            ...(sourceRemoteUrl ? { sourceRemoteUrl } : {}),
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
        const forge = forges.of(ref.forge);
        const targetSha = await forge.branchHead(ref.project, targetBranch);
        if (!targetSha) return { kind: 'missing-branch', branch: targetBranch };
        const earlier = ctx.info.heartbeatDetails as RemoteRebaseProgress | undefined;
        const requestedBefore = earlier?.requestedFor === expectedSourceSha;
        const before = await forge.getMergeRequest(ref.project, ref.iid);
        if (before.headSha !== expectedSourceSha && !before.rebaseInProgress) {
          // A retry of an attempt that asked for the rebase: the new head is that rebase's result.
          // Onto which target commit is not known any more: none, so the job rebases once more
          // (a no-op if nothing moved) rather than merge what CI may not have tested.
          if (requestedBefore && !before.mergeError) return { kind: 'pushed', sha: before.headSha, targetSha: '' };
          return { kind: 'source-moved', actualSha: before.headSha };
        }
        if (!before.rebaseInProgress) {
          // Recorded before asking, so a retry after a crash in between knows it may have asked.
          ctx.heartbeat({ requestedFor: expectedSourceSha } satisfies RemoteRebaseProgress);
          await forge.requestRebase(ref.project, ref.iid);
        }
        // GitLab rebases in the background; heartbeats keep the activity alive while we look.
        for (;;) {
          ctx.heartbeat({ requestedFor: expectedSourceSha } satisfies RemoteRebaseProgress);
          await new Promise((r) => setTimeout(r, 500));
          const mr = await forge.getMergeRequest(ref.project, ref.iid);
          if (mr.rebaseInProgress) continue;
          if (mr.mergeError) return { kind: 'remote-rebase-failed', error: mr.mergeError };
          const kind = mr.headSha === expectedSourceSha ? 'up-to-date' : 'pushed';
          return { kind, sha: mr.headSha, targetSha };
        }
      }),
  };
}
