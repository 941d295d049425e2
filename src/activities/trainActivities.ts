import { Context } from '@temporalio/activity';
import { guarded, type ActivityDeps, type Forges } from './deps';
import { messageRewriter } from './gitActivities';
import type { TrainActivities } from './types';

/**
 * What batches and trains need beyond a single merge request: building a tested state on the
 * queue's own branch, its pipeline, and landing it by moving the source branches and the target.
 */
export function createTrainActivities(deps: ActivityDeps, forges: Forges): TrainActivities {
  const projectKey = (forge: string, project: string): string => `${forge}/${project}`;
  return {
    buildQueueState: ({ forge, project, targetBranch, stateBranch, baseSha, mergeRequests }) =>
      guarded(async () => {
        const ctx = Context.current();
        const remoteUrl = await deps.authenticatedCloneUrl(forge, project);
        return deps.git.buildQueueState(
          {
            projectKey: projectKey(forge, project),
            remoteUrl,
            targetBranch,
            stateBranch,
            baseSha,
            mergeRequests: mergeRequests.map((m) => ({ iid: m.iid, expectedSourceSha: m.expectedSourceSha, rewriteMessage: messageRewriter(m.trailers) })),
          },
          () => ctx.heartbeat(),
        );
      }),

    stateCiStatus: ({ forge, project, sha }) =>
      guarded(async () => {
        const [pipeline] = await forges.of(forge).pipelinesForSha(project, sha);
        return { pipeline: pipeline ?? null };
      }),

    retryPipeline: ({ forge, project, pipelineId }) =>
      guarded(async () => {
        await forges.of(forge).retryPipeline(project, pipelineId);
      }),

    cancelPipeline: ({ forge, project, pipelineId }) =>
      guarded(async () => {
        await forges.of(forge).cancelPipeline(project, pipelineId);
      }),

    targetHead: ({ forge, project, targetBranch }) =>
      guarded(async () => (await forges.of(forge).branchHead(project, targetBranch)) ?? null),

    mayLandDirectly: ({ forge, project, targetBranch }) =>
      guarded(async () => {
        const bot = await forges.bot(forge);
        return forges.of(forge).mayPush(project, bot.username, targetBranch);
      }),

    updateSourceBranches: ({ forge, project, updates }) =>
      guarded(async () => {
        const ctx = Context.current();
        const remoteUrl = await deps.authenticatedCloneUrl(forge, project);
        return deps.git.updateSourceBranches({ projectKey: projectKey(forge, project), remoteUrl, updates }, () => ctx.heartbeat());
      }),

    fastForwardTarget: ({ forge, project, targetBranch, sha, baseSha }) =>
      guarded(async () => {
        const ctx = Context.current();
        const remoteUrl = await deps.authenticatedCloneUrl(forge, project);
        return deps.git.fastForwardTarget({ projectKey: projectKey(forge, project), remoteUrl, targetBranch, sha, baseSha }, () =>
          ctx.heartbeat(),
        );
      }),
  };
}
