// Frozen copy of the first released workflows (before issue 6). Running executions started on
// that code replay through here (see the dispatchers in ../mergeRequest.ts etc., patched()).
// Do not change: a change here breaks the replay of their recorded histories.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { orderQueue, type MergeOrder } from '../../domain/mergeOrder';
import type { ForgeKind } from '../../domain/types';
import { mergeJobWorkflowId, mergeRequestWorkflowId } from '../../domain/workflowIds';
import { mergeRequestSearchAttributes } from '../../temporal/searchAttributeValues';
import {
  dequeueSignal,
  enqueueUpdate,
  jobFinishedSignal,
  pipelineSignal,
  snapshotQuery,
  type JobOutcome,
  type QueueEntry,
  type QueueSnapshot,
} from './definitions';
import type { mergeJobWorkflowV1 } from './mergeJob';

export interface MergeQueueInput {
  forge: ForgeKind;
  project: string;
  targetBranch: string;
  /** marge-bot's merge-order: which waiting MR goes next. */
  mergeOrder?: MergeOrder;
  /** Carried over continue-as-new. */
  waiting?: QueueEntry[];
  jobsRun?: number;
  /** Start a fresh run after this many jobs, to keep histories short. */
  jobsPerRun?: number;
  /** End the queue after this long with nothing to do; the next enqueue starts it again. */
  idleMs?: number;
}

/**
 * One queue per target branch: merges into one branch happen strictly one at a time, while
 * different branches and projects proceed in parallel.
 */
export async function mergeQueueWorkflowV1(input: MergeQueueInput): Promise<void> {
  let waiting: QueueEntry[] = [...(input.waiting ?? [])];
  let running: QueueEntry | undefined;
  let runningJobId: string | undefined;
  let jobsRun = input.jobsRun ?? 0;
  const jobsPerRun = input.jobsPerRun ?? 50;
  const order: MergeOrder = input.mergeOrder ?? 'created_at';
  const sorted = (entries: QueueEntry[]): QueueEntry[] =>
    orderQueue(
      entries.map((e) => ({ ...e, iid: e.ref.iid })),
      order,
    ).map(({ iid: _iid, ...e }) => e);

  setHandler(
    enqueueUpdate,
    (entry) => {
      // Enqueueing twice (a retried activity, a redelivered hook) keeps the first place;
      // position 0 means "being merged now".
      if (running?.ref.iid === entry.ref.iid) return { position: 0 };
      if (!waiting.some((e) => e.ref.iid === entry.ref.iid)) waiting = sorted([...waiting, entry]);
      const position = waiting.findIndex((e) => e.ref.iid === entry.ref.iid) + 1;
      return { position, running: running?.ref.iid };
    },
    {
      validator: (entry) => {
        if (entry.ref.project !== input.project) {
          throw ApplicationFailure.nonRetryable(`merge request of ${entry.ref.project} sent to the queue of ${input.project}`);
        }
      },
    },
  );
  setHandler(dequeueSignal, ({ iid }) => {
    waiting = waiting.filter((e) => e.ref.iid !== iid);
    // A running job is stopped by the MR's workflow itself (cancel signal to the job).
  });
  setHandler(pipelineSignal, async (evt) => {
    if (!runningJobId) return;
    try {
      await getExternalWorkflowHandle(runningJobId).signal(pipelineSignal, evt);
    } catch {
      // The job finished meanwhile; its polling would have seen the pipeline anyway.
    }
  });
  setHandler(snapshotQuery, (): QueueSnapshot => ({ running, waiting: [...waiting], jobsRun }));

  for (;;) {
    const hasWork = await condition(() => waiting.length > 0, input.idleMs ?? 60 * 60 * 1000);
    if (!hasWork) {
      await condition(allHandlersFinished);
      if (waiting.length === 0) return;
    }
    if (jobsRun >= jobsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof mergeQueueWorkflowV1>({ ...input, waiting, jobsRun: 0 });
    }
    const entry = waiting.shift();
    if (!entry) continue;
    running = entry;
    runningJobId = mergeJobWorkflowId(entry.ref, entry.attempt);
    let outcome: JobOutcome;
    try {
      outcome = await executeChild<typeof mergeJobWorkflowV1>('mergeJobWorkflow', {
        workflowId: runningJobId,
        args: [{ ref: entry.ref, trigger: entry.trigger }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        // Searchable like the MR itself: ShepherdProject="group/app" lists its merge attempts too.
        typedSearchAttributes: mergeRequestSearchAttributes(entry.ref, input.targetBranch),
      });
    } catch (err) {
      // The job failed unexpectedly (an activity kept failing): the MR's workflow tells the
      // people, the queue moves on to the next MR.
      outcome = { kind: 'error', message: describeFailure(err) };
    }
    jobsRun++;
    running = undefined;
    runningJobId = undefined;
    try {
      await getExternalWorkflowHandle(mergeRequestWorkflowId(entry.ref)).signal(jobFinishedSignal, {
        attempt: entry.attempt,
        outcome,
      });
    } catch {
      // The MR's workflow is gone (closed meanwhile): nobody is waiting for this answer.
    }
  }
}

function describeFailure(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}
