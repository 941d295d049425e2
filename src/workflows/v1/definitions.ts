// Frozen copy of the first released workflows (before issue 6). Running executions started on
// that code replay through here (see the dispatchers in ../mergeRequest.ts etc., patched()).
// Do not change: a change here breaks the replay of their recorded histories.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EnqueueAnswer, QueueEntryInput } from '../../activities/v1Types';
import type { MergeRequestWorkflowEvent, PipelineEvent } from '../../domain/events';
import type { MergeRequestRef } from '../../domain/types';

// Signals, updates and queries: the only ways in and out of the workflows besides their input.

export type JobOutcome =
  | { kind: 'merged'; sha: string }
  /** Stopped without a comment: merged or closed by someone, the bot was unassigned, or cancelled. */
  | { kind: 'stopped'; reason: 'merged' | 'closed' | 'not-assigned' | 'cancelled' }
  /** The job broke down (e.g. the forge kept failing); the MR's workflow says so on the MR. */
  | { kind: 'error'; message: string }
  /** Stopped with a comment saying why; the bot unassigned itself. */
  | {
      kind: 'refused';
      reason:
        | 'draft'
        | 'squash-with-trailers'
        | 'approvals'
        | 'discussions'
        | 'ci-failed'
        | 'ci-canceled'
        | 'ci-timeout'
        | 'conflict'
        | 'source-pushed'
        | 'protected-source'
        | 'not-allowed'
        | 'missing-branch'
        | 'target-kept-moving';
    };

export type MergeRequestPhase = 'idle' | 'queued' | 'merged' | 'closed';

export interface MergeRequestSnapshot {
  ref: MergeRequestRef;
  phase: MergeRequestPhase;
  /** The bot is asked to merge it (assigned, labelled, or by command). */
  requested: boolean;
  targetBranch?: string;
  attempts: number;
  lastOutcome?: JobOutcome;
}

export interface QueueEntry extends QueueEntryInput {
  ref: MergeRequestRef;
}

export interface QueueSnapshot {
  running?: QueueEntry;
  waiting: QueueEntry[];
  jobsRun: number;
}

export type JobPhase = 'checking' | 'embargo' | 'rebasing' | 'waiting-for-ci' | 'merging' | 'done';

// mergeRequestWorkflow
export const eventSignal = defineSignal<[MergeRequestWorkflowEvent]>('event');
export const jobFinishedSignal = defineSignal<[{ attempt: number; outcome: JobOutcome }]>('jobFinished');
export const stateQuery = defineQuery<MergeRequestSnapshot>('state');

// mergeQueueWorkflow
export const enqueueUpdate = defineUpdate<EnqueueAnswer, [QueueEntry]>('enqueue');
export const dequeueSignal = defineSignal<[{ iid: number }]>('dequeue');
export const pipelineSignal = defineSignal<[PipelineEvent]>('pipeline');
export const snapshotQuery = defineQuery<QueueSnapshot>('snapshot');

// mergeJobWorkflow
export const jobPhaseQuery = defineQuery<JobPhase>('phase');
/** Asks a running job to stop at its next safe point (before pushing, merging, or while waiting). */
export const cancelJobSignal = defineSignal('cancel');
