// Domain types shared by the api, workflows, activities and forge adapters.
// Plain data only: these travel through Temporal payloads, so they stay small and secret-free.

export type ForgeKind = 'gitlab' | 'github';

export interface MergeRequestRef {
  forge: ForgeKind;
  /** Full path of the project, e.g. `group/app`. */
  project: string;
  /** The merge request's number within its project (GitLab's iid, GitHub's PR number). */
  iid: number;
}

export interface UserRef {
  id: number;
  username: string;
  name: string;
  email?: string;
}

export type MergeRequestState = 'opened' | 'closed' | 'merged' | 'locked';

export interface MergeRequest {
  project: string;
  iid: number;
  title: string;
  webUrl: string;
  state: MergeRequestState;
  draft: boolean;
  sourceBranch: string;
  targetBranch: string;
  /** Path of the project the source branch lives in (differs from `project` for forks). */
  sourceProject: string;
  /** Current head commit of the source branch as the forge sees it. */
  headSha: string;
  authorUsername: string;
  /** Usernames of the assignees. */
  assignees: string[];
  /** The MR is set to squash on merge. */
  squash: boolean;
  /** False while a discussion that must be resolved before merging is still open. */
  blockingDiscussionsResolved: boolean;
  /** Whether the forge would merge it as it is now, as far as the forge has checked. */
  mergeability: Mergeability;
  /**
   * People who may merge into the target branch may also push to the source branch (GitLab's
   * "Allow commits from members who can merge to the target branch" on fork MRs).
   */
  allowCollaboration: boolean;
  /** The pipeline the forge counts for this MR (GitLab's head_pipeline); null when none yet. */
  headPipeline: Pipeline | null;
  /** Label titles. */
  labels: string[];
  /** The forge is rebasing the source branch on request (GitLab's rebase API) and has not finished. */
  rebaseInProgress: boolean;
  /** Why the forge's last rebase or merge of this MR failed (GitLab's `merge_error`); null when none. */
  mergeError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Approvals {
  required: number;
  /** How many more approvals are needed (0 when approved). */
  left: number;
  approvedBy: UserRef[];
  /** Usernames of people who could still approve, when the forge says so. */
  eligibleApprovers: string[];
}

export type PipelineStatus =
  | 'created'
  | 'waiting_for_resource'
  | 'preparing'
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'canceled'
  | 'skipped'
  | 'manual'
  | 'scheduled';

export interface Pipeline {
  id: number;
  sha: string;
  ref: string;
  status: PipelineStatus;
  webUrl: string;
}

export interface Note {
  id: number;
  body: string;
  authorUsername: string;
}

/**
 * Whether the forge would merge an MR now. `checking`: the forge has not finished looking since
 * the last push (GitLab's unchecked/checking/preparing), to be waited out, never a refusal.
 */
export type Mergeability =
  | 'checking'
  | 'mergeable'
  | 'conflict'
  /** The source branch must be rebased first (fast-forward merge method, target moved). */
  | 'needs-rebase'
  /** Something else the forge enforces: CI must pass, approvals, draft, discussions, ... */
  | 'blocked';

/** Why the forge would not merge, read from the MR's state after it said no. */
export type NotMergeableReason =
  | 'checking'
  | 'conflict'
  | 'needs-rebase'
  | 'draft'
  | 'closed'
  | 'merged'
  | 'ci'
  | 'approvals'
  | 'discussions'
  | 'other';

/**
 * What a merge with the SHA guard came to. The same meanings for every forge and every version
 * of it (GitLab's older 405/406/409 and current 405/409/422 both map here).
 */
export type MergeResult =
  | { kind: 'merged'; mergeCommitSha?: string }
  /** The source head is no longer the SHA that was tested (GitLab 409). */
  | { kind: 'head-moved'; message: string }
  /** The forge will not merge it in its current state (GitLab 405/406); why, from the MR. */
  | { kind: 'not-mergeable'; reason: NotMergeableReason; message: string }
  /**
   * The forge tried and something refused the merge itself: a push rule, a server hook, unmerged
   * dependencies (GitLab 422, or 200 with merge_error). Rebasing again will not help.
   */
  | { kind: 'refused'; message: string }
  /** 404: the MR is gone, or already merged (a retried merge). */
  | { kind: 'not-found'; message: string };

// --- backports -----------------------------------------------------------------------------

/** One commit of a merge request: its SHA and the first line of its message. */
export interface LandedCommit {
  sha: string;
  subject: string;
}

/**
 * How a merged MR's changes reached its target branch, and so what a backport picks:
 * - `merge-commit`: a merge commit landed them (merge methods "merge commit" and "merge commit
 *   with semi-linear history", squashed or not). Pick `mergeCommitSha` with mainline 1: its first
 *   parent is the target as it was, so that one pick carries exactly the MR's change.
 * - `fast-forward`: the target was moved onto the MR's commits (fast-forward merge without
 *   squash, or a push that merged it). Pick `commits`, oldest first.
 * - `squash`: one squash commit was fast-forwarded onto the target. Pick `squashCommitSha`.
 */
export type LandingKind = 'merge-commit' | 'fast-forward' | 'squash';

/** What landed on the target branch when an MR was merged (Forge.landedChanges). */
export interface LandedChanges {
  how: LandingKind;
  /** The merge commit (two parents); null when none was made. */
  mergeCommitSha: string | null;
  /**
   * The squash commit when the MR was squashed: with `squash`, the commit on the target; with
   * `merge-commit`, the merge commit's second parent. Null when not squashed, and with `squash`
   * only on forges too old to report it (then pick `commits`: together they hold the same change).
   */
  squashCommitSha: string | null;
  /**
   * The MR's own commits, oldest first. Without squash these are the commits as they are on the
   * target branch: after a rebase the forge did while merging, the rebased ones, unless the forge
   * does not say where they landed (then the MR's commits, which carry the same changes).
   * Squashed, they are the MR's commits as reviewed, which are not on the target.
   */
  commits: LandedCommit[];
  targetBranch: string;
}

/** An MR as a list shows it, enough to tell whether one already exists (Forge.mergeRequestsBetween). */
export interface MergeRequestSummary {
  iid: number;
  webUrl: string;
  state: MergeRequestState;
  draft: boolean;
}

/** What Forge.openMergeRequest opens. */
export interface NewMergeRequest {
  sourceBranch: string;
  targetBranch: string;
  /** Without a draft prefix: `draft` adds the forge's own. */
  title: string;
  description: string;
  /** Username; absent: nobody. */
  assignee?: string;
  /** Label titles; labels the project lacks are created by the forge. */
  labels: string[];
  draft: boolean;
}
