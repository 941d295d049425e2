// Frozen copy of the first released workflows (before issue 6). Running executions started on
// that code replay through here (see the dispatchers in ../mergeRequest.ts etc., patched()).
// Do not change: a change here breaks the replay of their recorded histories.
import { CancellationScope, condition, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { MergeQueueActivities, RebaseResult, TrailerPlan, WorkerSettings } from '../../activities/v1Types';
import {
  ciCanceledComment,
  ciFailedComment,
  ciTimeoutComment,
  conflictComment,
  embargoComment,
  mergedComment,
  missingBranchComment,
  notAllowedComment,
  protectedSourceComment,
  rebaseFailedRemotelyComment,
  refusalComment,
  sourcePushedComment,
  startedComment,
  targetKeptMovingComment,
} from '../../domain/comments';
import { formatDuration } from '../../domain/duration';
import { parseEmbargo } from '../../domain/embargo';
import type { PipelineEvent } from '../../domain/events';
import { isPipelineFinished, isPipelinePassed } from '../../domain/events';
import { checkReadiness, type MergeTrigger } from '../../domain/readiness';
import { partOfTrailer, reviewedByTrailers, testedByTrailer } from '../../domain/trailers';
import type { LoadedMergeRequest } from '../../activities/v1Types';
import type { MergeRequestRef, Pipeline } from '../../domain/types';
import { cancelJobSignal, jobPhaseQuery, pipelineSignal, type JobOutcome, type JobPhase } from './definitions';
import { showPhase } from '../phase';

export interface MergeJobInput {
  ref: MergeRequestRef;
  /** What asked for the merge; it must still hold right before merging. */
  trigger?: MergeTrigger;
  /** How many times to rebase again because the target moved before giving up. */
  maxRebases?: number;
}

const forge = proxyActivities<MergeQueueActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});
const git = proxyActivities<MergeQueueActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 5 },
});

type RefusalReason = Extract<JobOutcome, { kind: 'refused' }>['reason'];
type Ready = { ok: true; loaded: LoadedMergeRequest } | { ok: false; outcome: JobOutcome };

/**
 * One attempt at merging one merge request: rebase onto the latest target, push, wait for CI on
 * exactly that commit, re-check, merge with the SHA guard. If the target moves meanwhile, rebase
 * again. Every way this can fail ends in a comment and the bot unassigning itself.
 */
export async function mergeJobWorkflowV1(input: MergeJobInput): Promise<JobOutcome> {
  const { ref } = input;
  const trigger: MergeTrigger = input.trigger ?? { kind: 'assignment' };
  const maxRebases = input.maxRebases ?? 5;
  let phase: JobPhase = 'checking';
  let cancelled = false;
  const pipelines = new Map<string, PipelineEvent>();
  setHandler(jobPhaseQuery, () => phase);
  setHandler(pipelineSignal, (evt) => {
    if (isPipelineFinished(evt.status)) pipelines.set(evt.sha, evt);
  });
  setHandler(cancelJobSignal, () => {
    cancelled = true;
  });
  const enter = (p: JobPhase): void => {
    phase = p;
    showPhase(p);
  };

  const settings = await forge.workerSettings();
  const jobKey = workflowInfo().workflowId;
  const trailersEnabled = !settings.rebaseRemotely && (settings.addTested || settings.addPartOf || settings.addReviewers);
  const embargo = parseEmbargo(settings.embargo);
  const stopped = (): JobOutcome => {
    enter('done');
    return { kind: 'stopped', reason: 'cancelled' };
  };

  /** Says why on the MR (once, even if retried) and hands the MR back to its people. */
  const refuse = async (reason: RefusalReason, body: string, step = ''): Promise<JobOutcome> => {
    await forge.commentOnce({ ref, key: `${jobKey}:${reason}${step}`, body });
    await forge.unassignBot({ ref });
    enter('done');
    return { kind: 'refused', reason };
  };

  /** Readiness, then the embargo: an MR that is ready during an embargo waits on a durable timer. */
  const ready = async (step: string): Promise<Ready> => {
    for (;;) {
      const loaded = await forge.loadMergeRequest(ref);
      const refusal = checkReadiness(loaded.mr, loaded.approvals, { botUsername: settings.botUsername, trigger, trailersEnabled });
      if (refusal?.silent) {
        enter('done');
        return { ok: false, outcome: { kind: 'stopped', reason: refusal.reason } };
      }
      if (refusal) return { ok: false, outcome: await refuse(refusal.reason, refusalComment(refusal) ?? '', step) };
      const now = new Date();
      const until = embargo.covers(now) ? embargo.nextEnd(now) : null;
      if (!until) return { ok: true, loaded };
      enter('embargo');
      await forge.commentOnce({ ref, key: `${jobKey}:embargo:${until.toISOString()}`, body: embargoComment(until, settings.embargo) });
      await condition(() => cancelled, until.getTime() - now.getTime());
      if (cancelled) return { ok: false, outcome: stopped() };
      enter('checking');
    }
  };

  let targetBranch = '';
  for (let round = 1; round <= maxRebases; round++) {
    enter('checking');
    if (cancelled) return stopped();
    const before = await ready(`:check${round}`);
    if (!before.ok) return before.outcome;
    const { mr, approvals } = before.loaded;
    targetBranch = mr.targetBranch;
    if (round === 1) await forge.commentOnce({ ref, key: `${jobKey}:started`, body: startedComment(targetBranch) });

    enter('rebasing');
    if (cancelled) return stopped();
    const rebased: RebaseResult = settings.rebaseRemotely
      ? await git.rebaseRemotely({ ref, targetBranch, expectedSourceSha: mr.headSha })
      : await git.rebaseMergeRequest({
          ref,
          sourceBranch: mr.sourceBranch,
          targetBranch,
          expectedSourceSha: mr.headSha,
          strategy: settings.useMergeStrategy ? 'merge' : 'rebase',
          trailers: trailerPlan(settings, mr.webUrl, approvals.approvedBy),
        });
    switch (rebased.kind) {
      case 'conflict':
        return refuse('conflict', conflictComment(targetBranch, rebased.files));
      case 'remote-rebase-failed':
        return refuse('conflict', rebaseFailedRemotelyComment(targetBranch, rebased.error));
      case 'source-moved':
        return refuse('source-pushed', sourcePushedComment());
      case 'missing-branch':
        return refuse('missing-branch', missingBranchComment(rebased.branch));
      case 'protected-source':
        return refuse('protected-source', protectedSourceComment(rebased.branch));
    }
    const { sha, targetSha } = rebased;

    if (rebased.kind === 'pushed' && settings.impersonateApprovers && approvals.approvedBy.length > 0) {
      // GitLab resets approvals asynchronously after a push; approve again as the approvers
      // once it has, so the bot's own push does not cost the MR its approvals.
      if (settings.approvalResetTimeoutMs > 0) await sleep(settings.approvalResetTimeoutMs);
      await forge.reapprove({ ref, usernames: approvals.approvedBy.map((u) => u.username), sha });
    }

    enter('waiting-for-ci');
    const ci = await waitForPipeline(ref, sha, settings, pipelines, () => cancelled);
    if (ci.kind === 'cancelled') return stopped();
    if (ci.kind === 'timeout') {
      return refuse('ci-timeout', ciTimeoutComment(formatDuration(settings.ciTimeoutMs), ci.last?.webUrl), `:${sha}`);
    }
    if (ci.pipeline.status === 'canceled') return refuse('ci-canceled', ciCanceledComment(ci.pipeline.webUrl), `:${sha}`);
    if (!isPipelinePassed(ci.pipeline.status)) return refuse('ci-failed', ciFailedComment(ci.pipeline.webUrl), `:${sha}`);

    enter('merging');
    if (cancelled) return stopped();
    const after = await ready(`:merge${round}`);
    if (!after.ok) return after.outcome;
    if (after.loaded.mr.headSha !== sha) return refuse('source-pushed', sourcePushedComment());

    // The target moved while CI ran: what CI tested is not what would land. Rebase again.
    const targetNow = await forge.branchHead({ ref, branch: targetBranch });
    if (targetNow !== targetSha) continue;

    const merged = await forge.mergeMergeRequest({ ref, sha });
    switch (merged.kind) {
      case 'merged':
        return done(sha);
      case 'cannot-merge':
        continue; // 406: the target moved between our check and the merge.
      case 'sha-mismatch': {
        const { mr: now } = await forge.loadMergeRequest(ref);
        if (now.state === 'merged') return done(sha);
        if (now.headSha !== sha) return refuse('source-pushed', sourcePushedComment());
        continue;
      }
      case 'not-allowed':
      case 'not-found': {
        // A retried merge whose first try went through answers like this: look before blaming,
        // and explain the refusal from the MR's state where it tells why.
        const { mr: now } = await forge.loadMergeRequest(ref);
        if (now.state === 'merged') return done(sha);
        if (now.state === 'closed' || now.state === 'locked') {
          enter('done');
          return { kind: 'stopped', reason: 'closed' };
        }
        if (now.draft) return refuse('draft', refusalComment({ reason: 'draft', silent: false }) ?? '', ':merge');
        return refuse('not-allowed', notAllowedComment(merged.message));
      }
    }
  }
  return refuse('target-kept-moving', targetKeptMovingComment(targetBranch, maxRebases));

  async function done(sha: string): Promise<JobOutcome> {
    await forge.commentOnce({ ref, key: `${jobKey}:merged`, body: mergedComment(targetBranch, sha) });
    enter('done');
    return { kind: 'merged', sha };
  }
}

function trailerPlan(settings: WorkerSettings, mrUrl: string, approvedBy: LoadedMergeRequest['approvals']['approvedBy']): TrailerPlan | undefined {
  if (settings.rebaseRemotely) return undefined;
  const plan: TrailerPlan = {};
  if (settings.addReviewers && approvedBy.length > 0) plan.reviewedBy = reviewedByTrailers(approvedBy);
  if (settings.addPartOf) plan.partOf = partOfTrailer(mrUrl);
  if (settings.addTested) plan.testedBy = testedByTrailer(settings.botName, mrUrl);
  return Object.keys(plan).length > 0 ? plan : undefined;
}

type CiResult = { kind: 'finished'; pipeline: Pipeline } | { kind: 'timeout'; last?: Pipeline } | { kind: 'cancelled' };

/**
 * Waits for the pipeline of exactly `sha`: woken by pipeline webhooks, and polling in case a
 * webhook never comes. Gives up after the CI timeout (a durable timer, so a restart loses nothing).
 */
async function waitForPipeline(
  ref: MergeRequestRef,
  sha: string,
  settings: WorkerSettings,
  signalled: Map<string, PipelineEvent>,
  isCancelled: () => boolean,
): Promise<CiResult> {
  let timedOut = false;
  const deadline = new CancellationScope();
  deadline
    .run(() => sleep(settings.ciTimeoutMs))
    .then(
      () => (timedOut = true),
      () => undefined,
    );
  let last: Pipeline | undefined;
  try {
    for (;;) {
      if (isCancelled()) return { kind: 'cancelled' };
      const fromSignal = signalled.get(sha);
      if (fromSignal) {
        return {
          kind: 'finished',
          pipeline: { id: fromSignal.pipelineId, sha, ref: '', status: fromSignal.status, webUrl: fromSignal.url },
        };
      }
      const polled = await forge.latestPipeline({ ref, sha });
      if (polled) {
        last = polled;
        if (isPipelineFinished(polled.status)) return { kind: 'finished', pipeline: polled };
      }
      if (timedOut) return { kind: 'timeout', last };
      await condition(() => timedOut || signalled.has(sha) || isCancelled(), settings.ciPollIntervalMs);
    }
  } finally {
    deadline.cancel();
  }
}
