type RebaseOutcome =
  | { kind: 'pushed'; sha: string; targetSha: string }
  | { kind: 'up-to-date'; sha: string; targetSha: string }
  | { kind: 'conflict'; files: string[]; targetSha: string }
  | { kind: 'source-moved'; actualSha: string }
  | { kind: 'missing-branch'; branch: string };
import type { MergeOrder } from '../domain/mergeOrder';
import type { MergeTrigger } from '../domain/readiness';
import type { ScopeRules } from '../domain/scope';
import type { Approvals, MergeRequest, MergeRequestRef, Pipeline } from '../domain/types';

// Frozen: the activity contract as the first released workflows (before issue 6) saw it. Only
// the replay of their histories uses it; new code uses src/activities/types.ts.

/** The merge result of the first release, in GitLab's older status codes. */
export type MergeAttemptResult =
  | { kind: 'merged'; mergeCommitSha?: string }
  | { kind: 'sha-mismatch'; message: string }
  | { kind: 'not-allowed'; message: string }
  | { kind: 'cannot-merge'; message: string }
  | { kind: 'not-found'; message: string };

// The activity contract workflows see (they `import type` it). Arguments and results carry no
// secrets: tokens stay in the worker's configuration.

/** The worker's configuration as workflows need it: read through an activity, so it is recorded. */
export interface WorkerSettings {
  botUsername: string;
  botName: string;
  ciTimeoutMs: number;
  ciPollIntervalMs: number;
  /** marge-bot's embargo spec; empty for none. */
  embargo: string;
  addTested: boolean;
  addPartOf: boolean;
  addReviewers: boolean;
  useMergeStrategy: boolean;
  rebaseRemotely: boolean;
  impersonateApprovers: boolean;
  approvalResetTimeoutMs: number;
  /** A label that asks for a merge like assigning the bot does; undefined for none. */
  mergeLabel?: string;
  scope: ScopeRules;
  mergeOrder: MergeOrder;
}

export interface LoadedMergeRequest {
  mr: MergeRequest;
  approvals: Approvals;
}

/** Trailers to write into the MR's commits while rebasing; values are complete trailer values. */
export interface TrailerPlan {
  /** On every commit. */
  reviewedBy?: string[];
  /** On every commit. */
  partOf?: string;
  /** On the last commit only: the one CI tests and the target branch ends at. */
  testedBy?: string;
}

export type RebaseResult =
  | RebaseOutcome
  | { kind: 'protected-source'; branch: string }
  | { kind: 'remote-rebase-failed'; error: string };

export interface MergeQueueActivities {
  workerSettings(): Promise<WorkerSettings>;
  loadMergeRequest(ref: MergeRequestRef): Promise<LoadedMergeRequest>;
  rebaseMergeRequest(args: {
    ref: MergeRequestRef;
    sourceBranch: string;
    targetBranch: string;
    expectedSourceSha: string;
    strategy?: 'rebase' | 'merge';
    trailers?: TrailerPlan;
  }): Promise<RebaseResult>;
  /** GitLab's own rebase API (rebase-remotely): no local clone, no trailers. */
  rebaseRemotely(args: { ref: MergeRequestRef; targetBranch: string; expectedSourceSha: string }): Promise<RebaseResult>;
  /** Approves again as each of `usernames` (impersonate-approvers), after the bot's push reset them. */
  reapprove(args: { ref: MergeRequestRef; usernames: string[]; sha: string }): Promise<void>;
  latestPipeline(args: { ref: MergeRequestRef; sha: string }): Promise<Pipeline | null>;
  branchHead(args: { ref: MergeRequestRef; branch: string }): Promise<string | null>;
  mergeMergeRequest(args: { ref: MergeRequestRef; sha: string }): Promise<MergeAttemptResult>;
  /** Posts `body` unless a comment with the same key is already there. */
  commentOnce(args: { ref: MergeRequestRef; key: string; body: string }): Promise<void>;
  /** Hands the MR back: removes the bot from the assignees and the merge label, where present. */
  unassignBot(args: { ref: MergeRequestRef }): Promise<void>;
  /** The access level (GitLab's numbers: 30 Developer, 40 Maintainer) of a user in the MR's project. */
  accessLevel(args: { ref: MergeRequestRef; username: string }): Promise<number>;
  /** Puts the MR into its target branch's queue (starting the queue if needed); answers its position. */
  enqueueMergeRequest(args: { ref: MergeRequestRef; targetBranch: string; entry: QueueEntryInput }): Promise<EnqueueAnswer>;
}

/** What the merge request's workflow tells its queue about the MR. */
export interface QueueEntryInput {
  attempt: number;
  trigger: MergeTrigger;
  createdAt: string;
  updatedAt: string;
  assignedAt: string;
}

export interface EnqueueAnswer {
  /** 1 = next; 0 = being merged now. */
  position: number;
  /** The MR being merged right now, if another one. */
  running?: number;
}
