import {
  CancellationScope,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { MergeQueueActivities } from '../activities/types';
import {
  ciCanceledComment,
  ciFailedComment,
  ciTimeoutComment,
  conflictComment,
  missingBranchComment,
  notAllowedComment,
  refusalComment,
  sourcePushedComment,
  targetKeptMovingComment,
} from '../domain/comments';
import { formatDuration } from '../domain/duration';
import type { PipelineEvent } from '../domain/events';
import { isPipelineFinished, isPipelinePassed } from '../domain/events';
import { checkReadiness } from '../domain/readiness';
import type { MergeRequestRef, Pipeline } from '../domain/types';
import { jobPhaseQuery, pipelineSignal, type JobOutcome, type JobPhase } from './definitions';
import { showPhase } from './phase';

export interface MergeJobInput {
  ref: MergeRequestRef;
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

/**
 * One attempt at merging one merge request: rebase onto the latest target, push, wait for CI on
 * exactly that commit, re-check, merge with the SHA guard. If the target moves meanwhile, rebase
 * again. Every way this can fail ends in a comment and the bot unassigning itself.
 */
export async function mergeJobWorkflow(input: MergeJobInput): Promise<JobOutcome> {
  const { ref } = input;
  const maxRebases = input.maxRebases ?? 5;
  let phase: JobPhase = 'checking';
  const pipelines = new Map<string, PipelineEvent>();
  setHandler(jobPhaseQuery, () => phase);
  setHandler(pipelineSignal, (evt) => {
    if (isPipelineFinished(evt.status)) pipelines.set(evt.sha, evt);
  });
  const enter = (p: JobPhase): void => {
    phase = p;
    showPhase(p);
  };

  const settings = await forge.workerSettings();
  const jobKey = workflowInfo().workflowId;

  /** Says why on the MR (once, even if retried) and hands the MR back to its people. */
  const refuse = async (reason: RefusalReason, body: string, step = ''): Promise<JobOutcome> => {
    await forge.commentOnce({ ref, key: `${jobKey}:${reason}${step}`, body });
    await forge.unassignBot({ ref });
    enter('done');
    return { kind: 'refused', reason };
  };

  const ready = async (step: string): Promise<{ ok: true; headSha: string; sourceBranch: string; targetBranch: string } | { ok: false; outcome: JobOutcome }> => {
    const { mr, approvals } = await forge.loadMergeRequest(ref);
    const refusal = checkReadiness(mr, approvals, settings.botUsername);
    if (!refusal) return { ok: true, headSha: mr.headSha, sourceBranch: mr.sourceBranch, targetBranch: mr.targetBranch };
    if (refusal.silent) {
      enter('done');
      return { ok: false, outcome: { kind: 'stopped', reason: refusal.reason } };
    }
    const body = refusalComment(refusal) ?? '';
    return { ok: false, outcome: await refuse(refusal.reason, body, step) };
  };

  let targetBranch = '';
  for (let round = 1; round <= maxRebases; round++) {
    enter('checking');
    const before = await ready(`:check${round}`);
    if (!before.ok) return before.outcome;
    targetBranch = before.targetBranch;

    enter('rebasing');
    const rebased = await git.rebaseMergeRequest({
      ref,
      sourceBranch: before.sourceBranch,
      targetBranch: before.targetBranch,
      expectedSourceSha: before.headSha,
    });
    if (rebased.kind === 'conflict') return refuse('conflict', conflictComment(before.targetBranch, rebased.files));
    if (rebased.kind === 'source-moved') return refuse('source-pushed', sourcePushedComment());
    if (rebased.kind === 'missing-branch') return refuse('missing-branch', missingBranchComment(rebased.branch));
    const { sha, targetSha } = rebased;

    enter('waiting-for-ci');
    const ci = await waitForPipeline(ref, sha, settings.ciTimeoutMs, settings.ciPollIntervalMs, pipelines);
    if (ci.kind === 'timeout') {
      return refuse('ci-timeout', ciTimeoutComment(formatDuration(settings.ciTimeoutMs), ci.last?.webUrl), `:${sha}`);
    }
    if (ci.pipeline.status === 'canceled') return refuse('ci-canceled', ciCanceledComment(ci.pipeline.webUrl), `:${sha}`);
    if (!isPipelinePassed(ci.pipeline.status)) return refuse('ci-failed', ciFailedComment(ci.pipeline.webUrl), `:${sha}`);

    enter('merging');
    const after = await ready(`:merge${round}`);
    if (!after.ok) return after.outcome;
    if (after.headSha !== sha) return refuse('source-pushed', sourcePushedComment());

    // The target moved while CI ran: what CI tested is not what would land. Rebase again.
    const targetNow = await forge.branchHead({ ref, branch: before.targetBranch });
    if (targetNow !== targetSha) continue;

    const merged = await forge.mergeMergeRequest({ ref, sha });
    switch (merged.kind) {
      case 'merged':
        enter('done');
        return { kind: 'merged', sha };
      case 'cannot-merge':
        continue; // 406: the target moved between our check and the merge.
      case 'sha-mismatch': {
        const { mr } = await forge.loadMergeRequest(ref);
        if (mr.state === 'merged') return { kind: 'merged', sha };
        if (mr.headSha !== sha) return refuse('source-pushed', sourcePushedComment());
        continue;
      }
      case 'not-allowed':
      case 'not-found': {
        // A retried merge whose first try went through answers like this: look before blaming.
        const { mr } = await forge.loadMergeRequest(ref);
        if (mr.state === 'merged') {
          enter('done');
          return { kind: 'merged', sha };
        }
        return refuse('not-allowed', notAllowedComment(merged.message));
      }
    }
  }
  return refuse('target-kept-moving', targetKeptMovingComment(targetBranch, maxRebases));
}

type CiResult = { kind: 'finished'; pipeline: Pipeline } | { kind: 'timeout'; last?: Pipeline };

/**
 * Waits for the pipeline of exactly `sha`: woken by pipeline webhooks, and polling in case a
 * webhook never comes. Gives up after the CI timeout (a durable timer, so a restart loses nothing).
 */
async function waitForPipeline(
  ref: MergeRequestRef,
  sha: string,
  timeoutMs: number,
  pollMs: number,
  signalled: Map<string, PipelineEvent>,
): Promise<CiResult> {
  let timedOut = false;
  const deadline = new CancellationScope();
  deadline
    .run(() => sleep(timeoutMs))
    .then(
      () => (timedOut = true),
      () => undefined,
    );
  let last: Pipeline | undefined;
  try {
    for (;;) {
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
      await condition(() => timedOut || signalled.has(sha), pollMs);
    }
  } finally {
    deadline.cancel();
  }
}
