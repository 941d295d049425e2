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
  /** GitLab's `detailed_merge_status` (e.g. `mergeable`, `ci_must_pass`, `not_approved`). */
  detailedMergeStatus: string;
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

/** What a merge attempt with the SHA guard came to, as the forge reports it. */
export type MergeAttemptResult =
  | { kind: 'merged'; mergeCommitSha?: string }
  /** 409: the source branch head is no longer the SHA we asked to merge. */
  | { kind: 'sha-mismatch'; message: string }
  /** 405: the forge will not merge it in its current state (draft, closed, push rule, ...). */
  | { kind: 'not-allowed'; message: string }
  /** 406: the branch cannot be merged (conflict, or the target moved and fast-forward is required). */
  | { kind: 'cannot-merge'; message: string }
  /** 404 after a merge: usually it is already merged. */
  | { kind: 'not-found'; message: string };
