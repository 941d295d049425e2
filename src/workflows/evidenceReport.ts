import {
  ApplicationFailure,
  ActivityFailure,
  executeChild,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { EvidenceActivities } from '../activities/evidenceActivities';
import { evidenceReportWorkflowId } from '../domain/workflowIds';
import type { EvidenceSummary, RepoRead } from '../evidence/types';
import { showPhase } from './phase';
import { PATCH_EVIDENCE_LOCAL_STEPS } from './versions';

// Transient failures (a forge or storage outage) are retried until they pass: they delay the
// report, never fail it. Only a repository that stays unreadable for hours is given up on, and
// the summary goes to the alert channel naming it.
const quick = proxyActivities<EvidenceActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
const reading = proxyActivities<EvidenceActivities>({
  startToCloseTimeout: '30 minutes',
  scheduleToCloseTimeout: '6 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// Steps that only compute or tidy the worker's own files: run in the workflow's worker, without
// a round trip through the server's task queue each.
const local = proxyLocalActivities<EvidenceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
const files = proxyActivities<EvidenceActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Set by Temporal on every workflow a Schedule starts: the run's nominal time. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface EvidenceReportInput {
  /** `YYYY-MM`; absent: the month before `scheduledAt` (or before now) in evidence-timezone. */
  month?: string;
  scheduledAt?: string;
}

/** One month's evidence: every repository read in parallel, zips built, uploaded, summarised. */
export async function evidenceReportWorkflow(input: EvidenceReportInput = {}): Promise<EvidenceSummary> {
  // Runs begun before the quick steps became local ones replay as they ran.
  const steps = patched(PATCH_EVIDENCE_LOCAL_STEPS) ? local : quick;
  showPhase('planning');
  const plan = await steps.evidencePlan(input);
  const { month, window } = plan;

  showPhase('reading');
  const reads = await inParallel(plan.repos, plan.concurrency, async (repo): Promise<RepoRead> => {
    try {
      return await reading.collectRepository({ month, repo, window });
    } catch (e) {
      if (!(e instanceof ActivityFailure)) throw e;
      return { repo, status: 'not-found', reason: e.cause?.message ?? e.message, commits: 0, pages: 0 };
    }
  });

  showPhase('zipping');
  const built = await files.buildEvidence({ month, reads });

  showPhase('uploading');
  const s3Keys = plan.outputs.s3 ? (await Promise.all(built.people.map((person) => files.uploadEvidenceToS3({ month, person })))).map((r) => r.key) : [];
  let driveFolderId: string | undefined;
  if (plan.outputs.drive) {
    driveFolderId = (await quick.prepareDriveFolder({ month })).folderId;
    const folderId = driveFolderId;
    await Promise.all(built.people.map((person) => files.uploadEvidenceToDrive({ month, folderId, person })));
  }

  showPhase('summarising');
  const { channel, text } = await steps.summariseEvidence({ month, reads, built });
  const { posted } = steps === quick || plan.outputs.slack ? await quick.postEvidenceSummary({ month, channel, text }) : { posted: false };
  await steps.cleanEvidenceRun({ month });
  showPhase('done');
  return {
    month,
    people: built.people.length,
    commits: built.commits,
    reposRead: reads.filter((r) => r.status === 'read').map((r) => r.repo),
    reposNotFound: reads.filter((r) => r.status === 'not-found').map((r) => r.repo),
    unknown: built.unknown,
    channel,
    text,
    s3Keys,
    ...(driveFolderId ? { driveFolderId } : {}),
    slackPosted: posted,
  };
}

/**
 * What the Schedule starts: Schedules name their runs `<id>-<time>`, while a month's report is
 * `evidence:<YYYY-MM>` however it was started; this picks the month from the nominal start time
 * and runs that report as a child.
 */
export async function evidenceScheduledWorkflow(): Promise<EvidenceSummary | { month: string; alreadyRunning: true }> {
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START) ?? new Date(workflowInfo().startTime);
  const { month } = await quick.evidencePlan({ scheduledAt: scheduled.toISOString() });
  try {
    return await executeChild(evidenceReportWorkflow, {
      workflowId: evidenceReportWorkflowId(month),
      args: [{ month }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (e) {
    // Someone runs that month by hand right now: theirs is the run, not a second one.
    if (e instanceof WorkflowExecutionAlreadyStartedError) return { month, alreadyRunning: true };
    throw e;
  }
}

/** Runs `fn` over `items` with at most `limit` at once; results in the order of `items`. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  if (limit < 1) throw ApplicationFailure.nonRetryable(`concurrency must be at least 1, not ${limit}`);
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
