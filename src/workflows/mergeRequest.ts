import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { MergeQueueActivities } from '../activities/types';
import { unexpectedErrorComment } from '../domain/comments';
import type { MergeRequestWorkflowEvent } from '../domain/events';
import type { MergeRequestRef } from '../domain/types';
import { mergeQueueWorkflowId } from '../domain/workflowIds';
import {
  dequeueSignal,
  eventSignal,
  jobFinishedSignal,
  stateQuery,
  type JobOutcome,
  type MergeRequestPhase,
  type MergeRequestSnapshot,
} from './definitions';
import { showPhase } from './phase';

/** What survives continue-as-new. */
export interface MergeRequestCarried {
  phase: MergeRequestPhase;
  assignedToBot: boolean;
  /** The bot gave the MR back; it waits to be unassigned and assigned again. */
  handedBack: boolean;
  targetBranch?: string;
  attempts: number;
  queuedAttempt?: number;
  lastOutcome?: JobOutcome;
  seenEventIds: string[];
}

export interface MergeRequestInput {
  ref: MergeRequestRef;
  carried?: MergeRequestCarried;
  /** End the workflow after this long without events while nothing is queued. */
  idleMs?: number;
}

const act = proxyActivities<MergeQueueActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 20 },
});

const SEEN_EVENTS_KEPT = 200;

/**
 * The life of one merge request as Shepherd sees it: from its first event until it is merged or
 * closed. It turns forge events into queue membership; the queue does the merging.
 */
export async function mergeRequestWorkflow(input: MergeRequestInput): Promise<MergeRequestSnapshot> {
  const { ref } = input;
  const s: MergeRequestCarried = input.carried ?? {
    phase: 'idle',
    assignedToBot: false,
    handedBack: false,
    attempts: 0,
    seenEventIds: [],
  };
  const inbox: MergeRequestWorkflowEvent[] = [];
  const finished: { attempt: number; outcome: JobOutcome }[] = [];
  const seen = new Set(s.seenEventIds);

  const snapshot = (): MergeRequestSnapshot => ({
    ref,
    phase: s.phase,
    assignedToBot: s.assignedToBot,
    targetBranch: s.targetBranch,
    attempts: s.attempts,
    lastOutcome: s.lastOutcome,
  });
  setHandler(stateQuery, snapshot);
  setHandler(eventSignal, (evt) => {
    // A redelivered webhook carries the same event id: it changes nothing.
    if (seen.has(evt.eventId)) return;
    seen.add(evt.eventId);
    s.seenEventIds.push(evt.eventId);
    if (s.seenEventIds.length > SEEN_EVENTS_KEPT) s.seenEventIds.splice(0, s.seenEventIds.length - SEEN_EVENTS_KEPT);
    inbox.push(evt);
  });
  setHandler(jobFinishedSignal, (msg) => {
    finished.push(msg);
  });

  const settings = await act.workerSettings();
  const setPhase = (phase: MergeRequestPhase): void => {
    s.phase = phase;
    showPhase(phase);
  };
  const queueId = (branch: string): string => mergeQueueWorkflowId(ref.forge, ref.project, branch);

  const leaveQueue = async (): Promise<void> => {
    if (s.phase !== 'queued' || !s.targetBranch) return;
    try {
      await getExternalWorkflowHandle(queueId(s.targetBranch)).signal(dequeueSignal, { iid: ref.iid });
    } catch {
      // The queue is not running: nothing to leave.
    }
    s.queuedAttempt = undefined;
    setPhase('idle');
  };

  for (;;) {
    const woke = await condition(() => inbox.length > 0 || finished.length > 0, input.idleMs ?? 30 * 24 * 3600 * 1000);
    if (!woke && s.phase !== 'queued') {
      // Nothing happened for a month and nothing is queued: stop; the next event starts afresh.
      await condition(allHandlersFinished);
      if (inbox.length === 0 && finished.length === 0) return snapshot();
    }

    for (const msg of finished.splice(0)) {
      if (msg.attempt !== s.queuedAttempt) continue; // an answer to an attempt we already left
      s.queuedAttempt = undefined;
      s.lastOutcome = msg.outcome;
      if (msg.outcome.kind === 'merged') {
        setPhase('merged');
        await condition(allHandlersFinished);
        return snapshot();
      }
      setPhase('idle');
      if (msg.outcome.kind === 'error') {
        await act.commentOnce({
          ref,
          key: `${workflowInfo().workflowId}:error:${msg.attempt}`,
          body: unexpectedErrorComment(`something went wrong while merging (${msg.outcome.message})`),
        });
        await act.unassignBot({ ref });
      }
      // The bot handed the MR back (or was unassigned): it takes it again only when a person
      // assigns it again, not because an older event still lists it.
      if (msg.outcome.kind === 'refused' || msg.outcome.kind === 'error') s.handedBack = true;
    }

    for (const evt of inbox.splice(0)) {
      if (evt.kind !== 'merge-request') continue; // comment commands come with the merge queue issue
      if (evt.state === 'merged' || evt.state === 'closed') {
        await leaveQueue();
        setPhase(evt.state);
        await condition(allHandlersFinished);
        return snapshot();
      }
      const assigned = evt.assignees.includes(settings.botUsername);
      if (s.phase === 'queued' && s.targetBranch !== evt.targetBranch) await leaveQueue();
      s.targetBranch = evt.targetBranch;
      s.assignedToBot = assigned;
      if (!assigned) {
        s.handedBack = false;
        await leaveQueue();
      }
    }

    if (s.assignedToBot && !s.handedBack && s.phase === 'idle' && s.targetBranch) {
      s.attempts++;
      s.queuedAttempt = s.attempts;
      await act.enqueueMergeRequest({ ref, targetBranch: s.targetBranch, attempt: s.attempts });
      setPhase('queued');
    }

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // Events that arrived meanwhile must not be lost: they go on in the next run's inbox via
      // the forge's next delivery; to be safe, only continue when the inbox is empty.
      if (inbox.length === 0 && finished.length === 0) {
        return continueAsNew<typeof mergeRequestWorkflow>({ ...input, carried: s });
      }
    }
  }
}
