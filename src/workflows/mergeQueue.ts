import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { MergeOrder } from '../domain/mergeOrder';
import { MergeQueueMachine, type QueueCommand, type QueueSnapshot } from '../domain/mergeQueueMachine';
import type { ForgeKind } from '../domain/types';
import { mergeJobWorkflowId, mergeRequestWorkflowId } from '../domain/workflowIds';
import { mergeRequestSearchAttributes } from '../temporal/searchAttributeValues';
import { forge, queue } from './activities';
import {
  attemptEndedSignal,
  cancelJobSignal,
  dequeueSignal,
  enqueueUpdate,
  jobFinishedSignal,
  snapshotQuery,
  targetPushedSignal,
} from './definitions';
import type { mergeJobWorkflow } from './mergeJob';
import { mergeQueueWorkflowV1 } from './v1/mergeQueue';
import type { QueueEntry as QueueEntryV1 } from './v1/definitions';
import { runTrainQueue, type TrainQueueCarried } from './trainQueue';
import { PATCH_ISSUE_6, PATCH_ISSUE_7 } from './versions';
import type { TrainSettings } from '../domain/mergeTrain';

export interface MergeQueueInput {
  forge: ForgeKind;
  project: string;
  targetBranch: string;
  /** marge-bot's merge-order: which waiting MR goes next. */
  mergeOrder?: MergeOrder;
  /** Batch and train modes (absent or serial: one MR at a time, marge-bot's way). */
  train?: TrainSettings;
  /** A batch or train queue's state, carried over continue-as-new. */
  trainCarried?: TrainQueueCarried;
  /** The machine's state, carried over continue-as-new. */
  carried?: QueueSnapshot;
  /** End the queue after this long with nothing to do; the next enqueue starts it again. */
  idleMs?: number;
  /** How often to check running jobs with Temporal and waiting MRs with the forge. */
  checkIntervalMs?: number;
  /** Continue as new once the history has this many events (Temporal also suggests it). */
  maxHistoryEvents?: number;
  /** First release: waiting entries carried over its continue-as-new. */
  waiting?: QueueEntryV1[];
  jobsRun?: number;
  jobsPerRun?: number;
}

/**
 * One queue per target branch. The pure MergeQueueMachine decides (who waits, who runs, whom to
 * cancel); this workflow only feeds it events and carries out its commands. Jobs run as abandoned
 * children that report back by signal, so the queue can continue as new while a job waits for
 * days (an embargo, long CI) without its history growing.
 */
export async function mergeQueueWorkflow(input: MergeQueueInput): Promise<void> {
  // Executions started on the first release replay its code; new runs (continued-as-new ones
  // too) take this one.
  if (!patched(PATCH_ISSUE_6)) return mergeQueueWorkflowV1(input);
  const { train } = input;
  // Only queues started in batch or train mode take this path, so earlier histories never meet it.
  if (train && train.mode !== 'serial' && patched(PATCH_ISSUE_7)) {
    return runTrainQueue({ ...input, train }, (carried) =>
      continueAsNew<typeof mergeQueueWorkflow>({
        forge: input.forge,
        project: input.project,
        targetBranch: input.targetBranch,
        mergeOrder: input.mergeOrder,
        train,
        trainCarried: carried,
        idleMs: input.idleMs,
        checkIntervalMs: input.checkIntervalMs,
        maxHistoryEvents: input.maxHistoryEvents,
      }),
    );
  }
  return runQueue(input);
}

async function runQueue(input: MergeQueueInput): Promise<void> {
  const { project, targetBranch } = input;
  const machine = new MergeQueueMachine(
    { mergeOrder: input.mergeOrder ?? 'created_at', capacity: 1 },
    input.carried ?? fromFirstRelease(input.waiting ?? []),
  );
  const pending: QueueCommand[] = [];
  const queueId = workflowInfo().workflowId;
  const checkIntervalMs = input.checkIntervalMs ?? 10 * 60_000;
  const maxHistoryEvents = input.maxHistoryEvents ?? 5_000;

  setHandler(
    enqueueUpdate,
    (entry) => {
      const { commands, answer } = machine.apply({ kind: 'enqueue', entry });
      pending.push(...commands);
      return answer ?? { position: 1 };
    },
    {
      validator: (entry) => {
        if (entry.ref.project !== project || entry.ref.forge !== input.forge) {
          throw ApplicationFailure.nonRetryable(`merge request of ${entry.ref.project} sent to the queue of ${project}`);
        }
      },
    },
  );
  setHandler(dequeueSignal, ({ iid, attempt }) => {
    pending.push(...machine.apply({ kind: 'dequeue', iid, attempt }).commands);
  });
  setHandler(attemptEndedSignal, ({ iid, attempt, outcome }) => {
    pending.push(...machine.apply({ kind: 'job-finished', iid, attempt, outcome }).commands);
  });
  setHandler(snapshotQuery, () => machine.snapshot());
  // Each job rebases onto the target's head and checks it again before merging: a push is no news.
  setHandler(targetPushedSignal, () => undefined);

  const jobId = (iid: number, attemptKey: string): string =>
    mergeJobWorkflowId({ forge: input.forge, project, iid }, attemptKey);

  const carryOut = async (command: QueueCommand): Promise<void> => {
    switch (command.kind) {
      case 'start-job': {
        const { entry } = command;
        try {
          await startChild<typeof mergeJobWorkflow>('mergeJobWorkflow', {
            workflowId: jobId(entry.ref.iid, entry.attemptKey),
            args: [{ ref: entry.ref, trigger: entry.trigger, attempt: entry.attempt, targetBranch, queueWorkflowId: queueId }],
            // The job outlives a continue-as-new of the queue and reports back by signal.
            parentClosePolicy: ParentClosePolicy.ABANDON,
            typedSearchAttributes: mergeRequestSearchAttributes(entry.ref, targetBranch),
          });
          pending.push(...machine.apply({ kind: 'job-started', iid: entry.ref.iid, attempt: entry.attempt }).commands);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          pending.push(...machine.apply({ kind: 'job-start-failed', iid: entry.ref.iid, attempt: entry.attempt, message }).commands);
        }
        return;
      }
      case 'cancel-job': {
        const e = machine.find(command.iid, command.attempt);
        if (!e) return;
        // Gone already: its end is reported by its own signal or found by the periodic check.
        await getExternalWorkflowHandle(jobId(e.ref.iid, e.attemptKey))
          .signal(cancelJobSignal)
          .catch(() => undefined);
        return;
      }
      case 'attempt-ended':
        await getExternalWorkflowHandle(mergeRequestWorkflowId(command.ref))
          .signal(jobFinishedSignal, { iid: command.ref.iid, attempt: command.attempt, outcome: command.outcome })
          .catch(() => undefined); // the MR's workflow has ended (closed meanwhile): nobody waits
        return;
    }
  };

  /** Repairs what a lost signal or a lost webhook would leave wrong. */
  const check = async (): Promise<void> => {
    const running = machine.active().filter((e) => e.state === 'running');
    if (running.length > 0) {
      const ended = await queue.endedJobs(running.map((e) => ({ ref: e.ref, attempt: e.attempt, attemptKey: e.attemptKey })));
      for (const { iid, attempt, outcome } of ended) {
        pending.push(...machine.apply({ kind: 'job-finished', iid, attempt, outcome }).commands);
      }
    }
    const waiting = machine.waiting();
    if (waiting.length > 0) {
      const iids = await forge.noLongerRequested({
        forge: input.forge,
        project,
        targetBranch,
        entries: waiting.map((e) => ({ iid: e.ref.iid, trigger: e.trigger })),
      });
      if (iids.length > 0) pending.push(...machine.apply({ kind: 'no-longer-requested', iids }).commands);
    }
  };

  for (;;) {
    while (pending.length > 0) await carryOut(pending.shift()!);
    const idle = machine.isIdle();
    const woke = await condition(() => pending.length > 0, idle ? (input.idleMs ?? 60 * 60_000) : checkIntervalMs);
    if (!woke) {
      if (machine.isIdle()) {
        await condition(allHandlersFinished);
        if (machine.isIdle() && pending.length === 0) return;
        continue;
      }
      await check();
    }
    const info = workflowInfo();
    if (pending.length === 0 && (info.continueAsNewSuggested || info.historyLength >= maxHistoryEvents)) {
      await condition(allHandlersFinished);
      if (pending.length === 0) {
        return continueAsNew<typeof mergeQueueWorkflow>({
          forge: input.forge,
          project,
          targetBranch,
          mergeOrder: input.mergeOrder,
          idleMs: input.idleMs,
          checkIntervalMs: input.checkIntervalMs,
          maxHistoryEvents: input.maxHistoryEvents,
          carried: machine.snapshot(),
        });
      }
    }
  }
}

/** Waiting entries of a first-release run, continued as new into this code. */
function fromFirstRelease(waiting: QueueEntryV1[]): QueueSnapshot {
  return {
    jobsStarted: 0,
    entries: waiting.map((e) => ({ ...e, attemptKey: String(e.attempt), state: 'waiting' as const, cancelRequested: false })),
  };
}
