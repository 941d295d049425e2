import type { ForgeKind, MergeRequestRef } from './types';

// Workflow ids are the idempotency keys of the whole system: a redelivered webhook lands on the
// same workflow, and a person finds an MR's workflow in the Web UI by typing its id.

export function mergeRequestWorkflowId(ref: MergeRequestRef): string {
  return `mr:${ref.forge}:${ref.project}:${ref.iid}`;
}

export function mergeQueueWorkflowId(forge: ForgeKind, project: string, targetBranch: string): string {
  return `queue:${forge}:${project}:${targetBranch}`;
}

export function mergeJobWorkflowId(ref: MergeRequestRef, attempt: number | string): string {
  return `merge:${ref.forge}:${ref.project}:${ref.iid}:${attempt}`;
}

/** One per forge and deployment (task queue): lists the bot's MRs to find those whose hook was lost. */
export function mergeRequestPollWorkflowId(forge: ForgeKind, taskQueue: string): string {
  return `poll:${forge}:${taskQueue}`;
}

/** A car of a batch or train queue (`car`: the queue's life and the car's number): building its state and waiting for its pipeline (`run` > 1: a retry). */
export function carWorkflowId(forge: ForgeKind, project: string, targetBranch: string, car: string, run = 1): string {
  return `car:${forge}:${project}:${targetBranch}:${car}${run > 1 ? `:run${run}` : ''}`;
}

/** Landing a tested state of a batch or train queue on its target branch. */
export function landWorkflowId(forge: ForgeKind, project: string, targetBranch: string, car: string): string {
  return `land:${forge}:${project}:${targetBranch}:${car}`;
}

/** One backport of a merged MR to one destination branch. */
export function backportWorkflowId(ref: MergeRequestRef, destination: string): string {
  return `backport:${ref.forge}:${ref.project}:${ref.iid}:${destination}`;
}

/** The monthly evidence report of one month (`YYYY-MM`), however it was started. */
export function evidenceReportWorkflowId(month: string): string {
  return `evidence:${month}`;
}

/** The Temporal Schedule that starts the evidence report each month (evidence-cron). */
export const EVIDENCE_SCHEDULE_ID = 'shepherd-evidence';
