import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MergeRequestWorkflowEvent, PipelineEvent } from '../domain/events';
import type { JobOutcome } from '../domain/jobOutcome';
import type { EnqueueAnswer, QueueEntryRequest, QueueSnapshot } from '../domain/mergeQueueMachine';
import type { TrailerPlan } from '../activities/types';
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

// Batches and trains (mergeQueueWorkflow in batch or train mode, carWorkflow, landWorkflow)

/** What a car's workflow tells its queue: first that its state is built, then how its pipeline ended. */
export type CarReport =
  | {
      kind: 'built';
      sha: string;
      /** The target commit the state is built on. */
      baseSha: string;
      /** Each MR's rebased head inside the state, in order. */
      heads: Array<{ iid: number; sha: string }>;
      /** Each MR's source branch and the head the state was built from (what landing leases on). */
      sources: Array<{ iid: number; branch: string; sha: string; trailers?: TrailerPlan }>;
    }
  /** One of the car's own MRs may not ride (draft, approvals, fork...): commented and handed back. */
  | { kind: 'refused'; iid: number; outcome: JobOutcome }
  | { kind: 'conflict'; iid: number; files: string[] }
  | { kind: 'finished'; sha: string; passed: boolean; pipelineId?: number; pipelineUrl?: string }
  | { kind: 'cancelled' };

export interface CarReportMessage {
  /** The car's number in its queue. */
  car: number;
  run: number;
  report: CarReport;
}

export type LandReport =
  | { kind: 'landed' }
  | { kind: 'target-moved' }
  /** Someone pushed to an MR's source branch since its state was built: commented and handed back. */
  | { kind: 'source-moved'; iid: number; outcome: JobOutcome };

export interface LandReportMessage {
  car: number;
  report: LandReport;
}

export const carReportSignal = defineSignal<[CarReportMessage]>('carReport');
export const landReportSignal = defineSignal<[LandReportMessage]>('landReport');
/** A push to the target branch (a person's, or our own landing): the queue looks where it points. */
export const targetPushedSignal = defineSignal<[{ sha: string }]>('targetPushed');

/** To a running backport: another request (a comment) for the same destination, to be answered when it ends. */
export const backportAskedAgainSignal = defineSignal<[{ requestKey: string }]>('backportAskedAgain');
