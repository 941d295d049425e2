import type { MergeOrder } from '../domain/mergeOrder';
import type { EnqueueAnswer, QueueEntryRequest } from '../domain/mergeQueueMachine';
import type { JobOutcome } from '../domain/jobOutcome';
import type { CarReport, LandReport } from '../temporal/messages';
import type { MergeTrigger } from '../domain/readiness';
import type { ScopeRules } from '../domain/scope';
import type { BackportPick } from '../domain/backportPicks';
import type { Approvals, ForgeKind, LandedChanges, MergeRequest, MergeRequestRef, MergeRequestSummary, MergeResult, NewMergeRequest, Pipeline } from '../domain/types';
import type { BackportOutcome } from '../git/backport';

// The activity contract workflows see (they `import type` it), in small groups by what each
// touches: the forge, git, and Temporal itself (the queue). Each group is proxied once, with its
// own timeouts (src/workflows/activities.ts). Arguments and results carry no secrets.

/** The worker's configuration as workflows need it: read through an activity, so it is recorded. */
export interface WorkerSettings {
  /** The bot's identity on this forge (who the configured token belongs to). */
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
  /** A label that puts a requested MR ahead of the waiting ones; undefined for none. */
  priorityLabel?: string;
  scope: ScopeRules;
  mergeOrder: MergeOrder;
  /** The requester must be allowed to merge into the target branch (require-merge-permission). */
  requireMergePermission: boolean;
  /** How often a queued MR checks with its queue, and the queue with the forge. */
  queueCheckIntervalMs: number;
  /** How often the bot's merge requests are listed to find those whose hook was lost; 0: never. */
  mergeRequestPollIntervalMs: number;
  /** Backports (the backport-* options); absent: the defaults. */
  backport?: BackportSettings;
}

export interface BackportSettings {
  /** backport-label: sends a merged MR to every branch of `branches`. */
  candidateLabel: string;
  /** backport-branches. */
  branches: string[];
  /** backport-label-pattern, as written (its one capturing group is the destination). */
  labelPattern: string;
  /** Labels every backport MR gets. */
  mrLabels: string[];
  /** The backport MR is handed to Shepherd's own merge queue. */
  merge: boolean;
  /** A conflict: explained in a comment, or committed with its markers into a draft MR. */
  conflicts: 'comment' | 'draft';
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
  | { kind: 'pushed'; sha: string; targetSha: string }
  | { kind: 'up-to-date'; sha: string; targetSha: string }
  | { kind: 'conflict'; files: string[]; targetSha: string }
  | { kind: 'source-moved'; actualSha: string }
  | { kind: 'missing-branch'; branch: string }
  | { kind: 'protected-source'; branch: string }
  /** A fork's source branch the bot may not push to. */
  | { kind: 'fork-not-writable'; sourceProject: string; branch: string }
  | { kind: 'remote-rebase-failed'; error: string };

/** The pipeline that counts for a commit, as the forge says now. */
export type CiStatus = { pipeline: Pipeline | null };

export interface ForgeActivities {
  settingsFor(args: { forge: ForgeKind }): Promise<WorkerSettings>;
  /** The MR as the forge has it now (no approvals): what its workflow decides from. */
  getMergeRequest(ref: MergeRequestRef): Promise<MergeRequest>;
  /** The MR and its approvals: what a job checks readiness with. */
  loadMergeRequest(ref: MergeRequestRef): Promise<LoadedMergeRequest>;
  /**
   * The pipeline that counts for `sha`: the MR's head pipeline when its head is `sha` (merge
   * request and merged-results pipelines run on other SHAs), else the newest pipeline of `sha`.
   */
  ciStatus(args: { ref: MergeRequestRef; sha: string }): Promise<CiStatus>;
  /** Head of `branch` in the MR's project, or in `project` (a fork's source branch). */
  branchHead(args: { ref: MergeRequestRef; branch: string; project?: string }): Promise<string | null>;
  /** Merges with the SHA guard; a retry after a merge that went through answers merged. */
  merge(args: { ref: MergeRequestRef; sha: string }): Promise<MergeResult>;
  /** Posts `body` unless the bot already posted a comment with the same key. */
  commentOnce(args: { ref: MergeRequestRef; key: string; body: string }): Promise<void>;
  /**
   * Hands the MR back: removes the bot from the assignees and the merge label, where present.
   * Answers the MR's updatedAt afterwards: a later update is someone asking again.
   */
  unassignBot(args: { ref: MergeRequestRef }): Promise<{ updatedAt: string }>;
  /** May this user ask the bot to merge (Developer or more in the project)? */
  mayRequest(args: { ref: MergeRequestRef; username: string }): Promise<boolean>;
  /** May this user merge into `branch` by its protection rules? */
  mayMerge(args: { ref: MergeRequestRef; username: string; branch: string }): Promise<boolean>;
  /**
   * Approves again as each of `usernames` (impersonate-approvers) after the bot pushed `sha`;
   * waits for the forge to see `sha` as the head first. 'head-moved' when someone else pushed.
   */
  reapprove(args: { ref: MergeRequestRef; usernames: string[]; sha: string }): Promise<'approved' | 'head-moved'>;
  /** Of these MRs, those no longer open, asking the bot, and targeting `targetBranch`. */
  noLongerRequested(args: {
    forge: ForgeKind;
    project: string;
    targetBranch: string;
    entries: { iid: number; trigger: MergeTrigger }[];
  }): Promise<number[]>;
}

export interface GitActivities {
  rebaseMergeRequest(args: {
    ref: MergeRequestRef;
    sourceBranch: string;
    targetBranch: string;
    expectedSourceSha: string;
    /** The project the source branch lives in, when it is a fork. */
    sourceProject?: string;
    strategy?: 'rebase' | 'merge';
    trailers?: TrailerPlan;
  }): Promise<RebaseResult>;
  /** The forge's own rebase (rebase-remotely): no local clone, no trailers. */
  rebaseRemotely(args: { ref: MergeRequestRef; targetBranch: string; expectedSourceSha: string }): Promise<RebaseResult>;
}

/** Where an attempt stands, as the queue and Temporal see it (the MR's periodic check). */
export type AttemptStatus =
  | { kind: 'queued' }
  | { kind: 'ended'; outcome: JobOutcome }
  /** Neither the queue nor Temporal knows it: it was lost and must be asked for again. */
  | { kind: 'unknown' };

/** A batch or train queue's children that have ended, with what they would have reported. */
export interface TrainChildResults {
  cars: Array<{ car: number; run: number; built?: Extract<CarReport, { kind: 'built' }>; final: CarReport }>;
  lands: Array<{ car: number; report: LandReport }>;
}

export interface QueueActivities {
  /** Puts the MR into its target branch's queue (starting the queue if needed); answers its position. */
  enqueue(args: { targetBranch: string; entry: QueueEntryRequest }): Promise<EnqueueAnswer>;
  attemptStatus(args: { ref: MergeRequestRef; targetBranch: string; attempt: number; attemptKey: string }): Promise<AttemptStatus>;
  /** How each of these jobs ended, for those that have (the queue's periodic check). */
  endedJobs(args: { ref: MergeRequestRef; attempt: number; attemptKey: string }[]): Promise<{ iid: number; attempt: number; outcome: JobOutcome }[]>;
  /** Of these car and land workflows, those that have ended and how (the train queue's periodic check). */
  trainChildResults(args: {
    cars: Array<{ car: number; run: number; workflowId: string }>;
    lands: Array<{ car: number; workflowId: string }>;
  }): Promise<TrainChildResults>;
}

/** One merge request of a queue state, as the state is built: its head as the forge reported it. */
export interface StateMember {
  iid: number;
  expectedSourceSha: string;
  /** Trailers for its commits in the state, as in serial mode: the tested commits are the ones that land. */
  trailers?: TrailerPlan;
}

export type QueueStateResult =
  | { kind: 'built'; sha: string; targetSha: string; heads: Array<{ iid: number; sha: string }> }
  | { kind: 'conflict'; iid: number; files: string[]; targetSha: string }
  | { kind: 'missing-commit'; iid: number; sha: string }
  | { kind: 'missing-branch'; branch: string };

export interface TrainActivities {
  /** Target (at `baseSha`) + the MRs, rebased in order, force-pushed to the queue's `stateBranch`. */
  buildQueueState(args: {
    forge: ForgeKind;
    project: string;
    targetBranch: string;
    stateBranch: string;
    baseSha?: string;
    mergeRequests: StateMember[];
  }): Promise<QueueStateResult>;
  /** The newest pipeline of exactly this commit. */
  stateCiStatus(args: { forge: ForgeKind; project: string; sha: string }): Promise<CiStatus>;
  /** Runs a failed pipeline's jobs again (the same pipeline, ci-retries). */
  retryPipeline(args: { forge: ForgeKind; project: string; pipelineId: number }): Promise<void>;
  /** Stops a pipeline nobody waits for any more (a stale state); finished ones are left alone. */
  cancelPipeline(args: { forge: ForgeKind; project: string; pipelineId: number }): Promise<void>;
  targetHead(args: { forge: ForgeKind; project: string; targetBranch: string }): Promise<string | null>;
  /** May the bot push to the target branch (how batches and trains land)? */
  mayLandDirectly(args: { forge: ForgeKind; project: string; targetBranch: string }): Promise<boolean>;
  /** Each source branch to its head in the tested state: leased on the head the state was built from, all or none. */
  updateSourceBranches(args: {
    forge: ForgeKind;
    project: string;
    updates: Array<{ branch: string; expectedSha: string; sha: string }>;
  }): Promise<{ kind: 'updated' } | { kind: 'source-moved'; branch: string; actualSha: string }>;
  /** Moves the target to the tested `sha`, only from `baseSha`; idempotent. */
  fastForwardTarget(args: {
    forge: ForgeKind;
    project: string;
    targetBranch: string;
    sha: string;
    baseSha: string;
  }): Promise<{ kind: 'landed' } | { kind: 'target-moved'; actualSha: string } | { kind: 'not-built-on-base' }>;
}

export interface PollActivities {
  /**
   * Lists the open MRs that ask the bot (assigned, or carrying merge-label) and tells the
   * workflow of each that is not queued to look at it, and of each queued one that is not listed
   * (any more): the fallback for lost hooks. Answers when to look again (0: polling is off).
   */
  lookForLostRequests(args: { forge: ForgeKind }): Promise<{ listed: number; lookedAt: number; nextInMs: number }>;
}

/** Backports: what landed, the git work on the backport branch, and the MR it becomes. */
export interface BackportActivities {
  /** What landed when the MR was merged (so what to pick). */
  landedChanges(args: { ref: MergeRequestRef }): Promise<LandedChanges>;
  /** The branch's head, or null when the project has no such branch. */
  destinationHead(args: { forge: ForgeKind; project: string; branch: string }): Promise<string | null>;
  /** Cherry-picks onto the backport branch and pushes it (see GitWorkspace.backportAndPush). */
  backportAndPush(args: {
    forge: ForgeKind;
    project: string;
    destination: string;
    backportBranch: string;
    picks: BackportPick[];
    onConflict: 'stop' | 'commit-conflict';
  }): Promise<BackportOutcome>;
  /** MRs from the backport branch into the destination, any state, newest first. */
  backportMergeRequests(args: { forge: ForgeKind; project: string; backportBranch: string; destination: string }): Promise<MergeRequestSummary[]>;
  /**
   * Opens the backport MR, or answers the one already open or merged between those branches (a
   * retry after the forge opened it, or a run before this one): never a second MR.
   */
  openBackportMergeRequest(args: { forge: ForgeKind; project: string; mr: NewMergeRequest }): Promise<{ iid: number; webUrl: string; opened: boolean }>;
  /** Hands the MR to Shepherd's own merge queue, as `@bot merge` by `by` would (backport-merge). */
  askToMerge(args: { ref: MergeRequestRef; by: string }): Promise<void>;
  /**
   * Mails the administrator (admin-email) about an error that is not the MR's fault; the same
   * `key` gives the same Message-ID, so a retried send shows as one mail. 'not-configured'
   * without admin-email (the error is logged either way).
   */
  mailAdmin(args: { key: string; ref: MergeRequestRef; mergeRequestUrl?: string; what: string; error: string }): Promise<'sent' | 'not-configured'>;
}
