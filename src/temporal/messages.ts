import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MergeRequestWorkflowEvent, PipelineEvent } from '../domain/events';
import type { JobOutcome } from '../domain/jobOutcome';
import type { EnqueueAnswer, QueueEntryRequest, QueueSnapshot } from '../domain/mergeQueueMachine';
import type { MergeRequestRef } from '../domain/types';

// Signals, updates and queries: the only ways in and out of the workflows besides their input.
// The names are those of the first release: executions started on it (src/workflows/v1) get the
// same signals.

export type { JobOutcome } from '../domain/jobOutcome';
export type { EnqueueAnswer, QueueEntryRequest, QueueSnapshot } from '../domain/mergeQueueMachine';

export type MergeRequestPhase = 'idle' | 'queued' | 'merged' | 'closed';

export interface MergeRequestSnapshot {
  ref: MergeRequestRef;
  phase: MergeRequestPhase;
  /** The bot is asked to merge it (assigned, labelled, or by command), as last read from the forge. */
  requested: boolean;
  targetBranch?: string;
  attempts: number;
  lastOutcome?: JobOutcome;
}

export type JobPhase = 'checking' | 'embargo' | 'rebasing' | 'waiting-for-ci' | 'merging' | 'done';

/** How an attempt ended, from the queue to the MR's workflow (and from a job to its queue). */
export interface AttemptEnded {
  iid: number;
  attempt: number;
  outcome: JobOutcome;
}

// mergeRequestWorkflow
export const eventSignal = defineSignal<[MergeRequestWorkflowEvent]>('event');
export const jobFinishedSignal = defineSignal<[AttemptEnded]>('jobFinished');
export const stateQuery = defineQuery<MergeRequestSnapshot>('state');

// mergeQueueWorkflow
export const enqueueUpdate = defineUpdate<EnqueueAnswer, [QueueEntryRequest]>('enqueue');
export const dequeueSignal = defineSignal<[{ iid: number; attempt?: number }]>('dequeue');
/** A job tells its queue it has ended (the queue also checks, in case this never arrives). */
export const attemptEndedSignal = defineSignal<[AttemptEnded]>('attemptEnded');
export const snapshotQuery = defineQuery<QueueSnapshot>('snapshot');

// mergeJobWorkflow
export const pipelineSignal = defineSignal<[PipelineEvent]>('pipeline');
export const jobPhaseQuery = defineQuery<JobPhase>('phase');
/** Asks a running job to stop at its next safe point (before pushing, merging, or while waiting). */
export const cancelJobSignal = defineSignal('cancel');
