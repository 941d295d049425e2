import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LoadedMergeRequest, RebaseResult, WorkerSettings } from '../activities/types';
import {
  ciCanceledComment,
  ciFailedComment,
  ciTimeoutComment,
  conflictComment,
  embargoComment,
  forkNotWritableComment,
  mergedComment,
  mergeRefusedComment,
  missingBranchComment,
  notAllowedComment,
  notMergeableComment,
  protectedSourceComment,
  rebaseFailedRemotelyComment,
  refusalComment,
  sourcePushedComment,
  startedComment,
  targetKeptMovingComment,
} from '../domain/comments';
import { formatDuration } from '../domain/duration';
import { parseEmbargo } from '../domain/embargo';
import { isPipelineFinished, isPipelinePassed } from '../domain/events';
import type { JobOutcome, RefusalReason } from '../domain/jobOutcome';
import { checkReadiness, type MergeTrigger } from '../domain/readiness';
import type { MergeRequest, MergeRequestRef, Pipeline } from '../domain/types';
import { HEAD_SHA } from '../temporal/searchAttributeKeys';
import { forge, git } from './activities';
import { attemptEndedSignal, cancelJobSignal, jobPhaseQuery, pipelineSignal, type JobPhase } from './definitions';
import { showPhase } from './phase';
import { trailerPlan } from './trailerPlan';
import { mergeJobWorkflowV1 } from './v1/mergeJob';
import { PATCH_ISSUE_6 } from './versions';

export interface MergeJobInput {
  ref: MergeRequestRef;
  /** What asked for the merge; it must still hold right before merging. */
  trigger?: MergeTrigger;
  /** How many times to rebase again because the target moved before giving up. */
  maxRebases?: number;
  /** The queue's attempt number; with `queueWorkflowId`, the job reports its end to the queue. */
  attempt?: number;
  targetBranch?: string;
  queueWorkflowId?: string;
  /** How long the forge may keep checking mergeability (after a push) before the bot gives up. */
  mergeabilityWaitMs?: number;
}

type Ready = { ok: true; loaded: LoadedMergeRequest } | { ok: false; outcome: JobOutcome };

/**
 * One attempt at merging one merge request: rebase onto the latest target, push, wait for CI on
 * exactly that commit, re-check, merge with the SHA guard. If the target moves meanwhile, rebase
 * again. Every way this can fail ends in a comment and the bot handing the MR back.
 */
export async function mergeJobWorkflow(input: MergeJobInput): Promise<JobOutcome> {
  if (!patched(PATCH_ISSUE_6)) return mergeJobWorkflowV1(input);
  const outcome = await runJob(input);
  if (input.queueWorkflowId && input.attempt !== undefined) {
    // The queue also finds this by its periodic check, should the signal not get through.
    await getExternalWorkflowHandle(input.queueWorkflowId)
      .signal(attemptEndedSignal, { iid: input.ref.iid, attempt: input.attempt, outcome })
      .catch(() => undefined);
  }
  return outcome;
}

async function runJob(input: MergeJobInput): Promise<JobOutcome> {
  const { ref } = input;
  const trigger: MergeTrigger = input.trigger ?? { kind: 'assignment' };
  const maxRebases = input.maxRebases ?? 5;
  const mergeabilityWaitMs = input.mergeabilityWaitMs ?? 5 * 60_000;
  let phase: JobPhase = 'checking';
  let cancelled = false;
  /** Bumped by every pipeline hook for this job: a reason to ask the forge, not an answer. */
  let pokes = 0;
  setHandler(jobPhaseQuery, () => phase);
  setHandler(pipelineSignal, () => {
    pokes++;
  });
  setHandler(cancelJobSignal, () => {
    cancelled = true;
  });
  const enter = (p: JobPhase): void => {
    phase = p;
    showPhase(p);
  };

  const settings = await forge.settingsFor({ forge: ref.forge });
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
    const { updatedAt } = await forge.unassignBot({ ref });
    enter('done');
    return { kind: 'refused', reason, handedBackAt: updatedAt };
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

  /** The source branch's head as git has it (the MR's `sha` may lag a push for a moment). */
  const sourceHead = async (mr: MergeRequest): Promise<string | null> =>
    forge.branchHead({ ref, branch: mr.sourceBranch, project: mr.sourceProject });

  let targetBranch = input.targetBranch ?? '';
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
          ...(mr.sourceProject !== ref.project ? { sourceProject: mr.sourceProject } : {}),
          strategy: settings.useMergeStrategy ? 'merge' : 'rebase',
          trailers: settings.rebaseRemotely ? undefined : trailerPlan(settings, mr.webUrl, approvals.approvedBy),
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
      case 'fork-not-writable':
        return refuse('fork-not-writable', forkNotWritableComment(rebased.sourceProject, rebased.branch, settings.botUsername));
    }
    const { sha, targetSha } = rebased;

    if (rebased.kind === 'pushed' && settings.impersonateApprovers && approvals.approvedBy.length > 0) {
      // The forge resets approvals after a push; approve again as the approvers once it has seen
      // the push, so the bot's own push does not cost the MR its approvals.
      if (settings.approvalResetTimeoutMs > 0) await sleep(settings.approvalResetTimeoutMs);
      const re = await forge.reapprove({ ref, usernames: approvals.approvedBy.map((u) => u.username), sha });
      if (re === 'head-moved') return refuse('source-pushed', sourcePushedComment());
    }

    enter('waiting-for-ci');
    // Pipeline hooks are routed to the job waiting on this project and SHA (see the api).
    upsertSearchAttributes([{ key: HEAD_SHA, value: sha }]);
    const ci = await waitForPipeline(ref, sha, settings, () => pokes, () => cancelled);
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
    if (after.loaded.mr.headSha !== sha && (await sourceHead(after.loaded.mr)) !== sha) {
      return refuse('source-pushed', sourcePushedComment());
    }

    // The target moved while CI ran: what CI tested is not what would land. Rebase again.
    const targetNow = await forge.branchHead({ ref, branch: targetBranch });
    if (targetNow !== targetSha) continue;

    const merged = await mergeWhenChecked(sha);
    if (merged === 'rebase-again') continue;
    return merged;
  }
  return refuse('target-kept-moving', targetKeptMovingComment(targetBranch, maxRebases));

  /**
   * Merges `sha`. A forge still checking mergeability (after a push, or CI still being counted)
   * is waited out with backoff; what it refuses is explained from its own message.
   */
  async function mergeWhenChecked(sha: string): Promise<JobOutcome | 'rebase-again'> {
    let waitedMs = 0;
    let delayMs = 1_000;
    for (;;) {
      if (cancelled) return stopped();
      const merged = await forge.merge({ ref, sha });
      switch (merged.kind) {
        case 'merged':
          return done(sha);
        case 'head-moved': {
          const { mr: now } = await forge.loadMergeRequest(ref);
          if (now.state === 'merged') return done(sha);
          if ((await sourceHead(now)) !== sha) return refuse('source-pushed', sourcePushedComment());
          // GitLab had not caught up with our push yet: look again shortly.
          break;
        }
        case 'not-found': {
          const { mr: now } = await forge.loadMergeRequest(ref);
          if (now.state === 'merged') return done(sha);
          if (now.state === 'closed' || now.state === 'locked') {
            enter('done');
            return { kind: 'stopped', reason: 'closed' };
          }
          return refuse('not-allowed', notAllowedComment(merged.message));
        }
        case 'refused':
          // A push rule or server hook said no: rebasing again gives the same answer.
          return refuse('merge-refused', mergeRefusedComment(merged.message));
        case 'not-mergeable':
          switch (merged.reason) {
            case 'merged':
              return done(sha);
            case 'closed':
              enter('done');
              return { kind: 'stopped', reason: 'closed' };
            case 'conflict':
            case 'needs-rebase':
              return 'rebase-again';
            case 'draft':
            case 'approvals':
            case 'discussions': {
              // Said by the forge after our last look: our own check explains it best.
              const now = await ready(':merge-refused');
              if (!now.ok) return now.outcome;
              return refuse('not-mergeable', notMergeableComment(merged.message));
            }
            case 'checking':
            case 'ci':
              break; // the forge has not finished looking: wait, below
            case 'other':
              return refuse('not-allowed', notAllowedComment(merged.message));
          }
          break;
      }
      if (waitedMs >= mergeabilityWaitMs) return refuse('not-mergeable', notMergeableComment(`it was still not mergeable after ${formatDuration(waitedMs)} of waiting`));
      await condition(() => cancelled, delayMs);
      waitedMs += delayMs;
      delayMs = Math.min(delayMs * 2, 30_000);
    }
  }

  async function done(sha: string): Promise<JobOutcome> {
    await forge.commentOnce({ ref, key: `${jobKey}:merged`, body: mergedComment(targetBranch, sha) });
    enter('done');
    return { kind: 'merged', sha };
  }
}

type CiResult = { kind: 'finished'; pipeline: Pipeline } | { kind: 'timeout'; last?: Pipeline } | { kind: 'cancelled' };

/**
 * Waits for the pipeline that counts for exactly `sha`: it asks the forge whenever a pipeline hook
 * arrives for it, and every poll interval in case a hook never comes. Gives up after the CI
 * timeout (a durable timer, so a restart loses nothing).
 */
async function waitForPipeline(
  ref: MergeRequestRef,
  sha: string,
  settings: WorkerSettings,
  pokes: () => number,
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
      const seen = pokes();
      const { pipeline } = await forge.ciStatus({ ref, sha });
      if (pipeline) {
        last = pipeline;
        if (isPipelineFinished(pipeline.status)) return { kind: 'finished', pipeline };
      }
      if (timedOut) return { kind: 'timeout', last };
      await condition(() => timedOut || pokes() !== seen || isCancelled(), settings.ciPollIntervalMs);
    }
  } finally {
    deadline.cancel();
  }
}
