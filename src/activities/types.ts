import type { RebaseOutcome } from '../git/workspace';
import type { Approvals, MergeAttemptResult, MergeRequest, MergeRequestRef, Pipeline } from '../domain/types';

// The activity contract workflows see (they `import type` it). Arguments and results carry no
// secrets: tokens stay in the worker's configuration.

export interface WorkerSettings {
  botUsername: string;
  botName: string;
  ciTimeoutMs: number;
  ciPollIntervalMs: number;
}

export interface LoadedMergeRequest {
  mr: MergeRequest;
  approvals: Approvals;
}

export interface MergeQueueActivities {
  workerSettings(): Promise<WorkerSettings>;
  loadMergeRequest(ref: MergeRequestRef): Promise<LoadedMergeRequest>;
  rebaseMergeRequest(args: {
    ref: MergeRequestRef;
    sourceBranch: string;
    targetBranch: string;
    expectedSourceSha: string;
  }): Promise<RebaseOutcome>;
  latestPipeline(args: { ref: MergeRequestRef; sha: string }): Promise<Pipeline | null>;
  branchHead(args: { ref: MergeRequestRef; branch: string }): Promise<string | null>;
  mergeMergeRequest(args: { ref: MergeRequestRef; sha: string }): Promise<MergeAttemptResult>;
  /** Posts `body` unless a comment with the same key is already there. */
  commentOnce(args: { ref: MergeRequestRef; key: string; body: string }): Promise<void>;
  /** Removes the bot from the assignees, if it is still one. */
  unassignBot(args: { ref: MergeRequestRef }): Promise<void>;
  /** Puts the MR into its target branch's queue (starting the queue if needed); answers its position. */
  enqueueMergeRequest(args: { ref: MergeRequestRef; targetBranch: string; attempt: number }): Promise<{ position: number }>;
}
