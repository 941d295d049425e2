import type { MergeRequestRef, MergeRequestState, PipelineStatus } from './types';

// Normalised forge events: what the api hands to workflows. Small, forge-neutral, secret-free.

export interface MergeRequestEvent {
  kind: 'merge-request';
  /** Same for every delivery of one forge event (redeliveries are recognised by it). */
  eventId: string;
  ref: MergeRequestRef;
  /** What happened, in the forge's words (`open`, `update`, `approved`, `merge`, `close`, ...). */
  action: string;
  state: MergeRequestState;
  title: string;
  url: string;
  sourceBranch: string;
  targetBranch: string;
  headSha: string;
  draft: boolean;
  /** Usernames assigned now. */
  assignees: string[];
  /** Label titles now. */
  labels: string[];
  /** ISO 8601 instants. */
  createdAt: string;
  updatedAt: string;
  /** Who caused the event; empty when nobody is known to have (the MR was found by polling). */
  actor: string;
}

export interface CommentEvent {
  kind: 'comment';
  eventId: string;
  ref: MergeRequestRef;
  noteId: number;
  author: string;
  body: string;
}

export interface PipelineEvent {
  kind: 'pipeline';
  eventId: string;
  /** The merge request the pipeline ran for, when the forge says. */
  ref?: MergeRequestRef;
  targetBranch?: string;
  project: string;
  pipelineId: number;
  sha: string;
  status: PipelineStatus;
  url: string;
}

/** A branch moved (a push). What matters is a target branch moved under a batch or train. */
export interface BranchPushedEvent {
  kind: 'branch-pushed';
  eventId: string;
  forge: 'gitlab';
  project: string;
  branch: string;
  /** The branch's new head; all zeros when the branch was deleted. */
  sha: string;
}

/** Shepherd itself asks for the merge (a backport MR with backport-merge): as if by command. */
export interface MergeAskedEvent {
  kind: 'merge-asked';
  eventId: string;
  ref: MergeRequestRef;
  /** Who the request is made for (the one who asked for the backport, or the bot). */
  by: string;
}

export type MergeRequestWorkflowEvent = MergeRequestEvent | CommentEvent | MergeAskedEvent;
export type DomainEvent = MergeRequestEvent | CommentEvent | PipelineEvent | BranchPushedEvent;

const FINISHED: ReadonlySet<PipelineStatus> = new Set(['success', 'failed', 'canceled', 'skipped']);

/** A pipeline in one of these states will not change any more on its own. */
export function isPipelineFinished(status: PipelineStatus): boolean {
  return FINISHED.has(status);
}

/** Skipped pipelines count as passed, as GitLab itself treats them for "pipelines must succeed". */
export function isPipelinePassed(status: PipelineStatus): boolean {
  return status === 'success' || status === 'skipped';
}
