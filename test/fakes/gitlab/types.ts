// Public types of the fake GitLab: what tests pass in and get back. Internal records live in
// store.ts; these are plain snapshots so a test can never mutate the fake's state by accident.

export type Role = 'guest' | 'reporter' | 'developer' | 'maintainer' | 'owner';

/** GitLab's numeric access levels, as the members API reports them. */
export const ACCESS_LEVEL: Readonly<Record<Role, number>> = {
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
};

export type MergeMethod = 'merge' | 'ff' | 'rebase_merge';

export type FakePipelineStatus =
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

export type FinalPipelineStatus = 'success' | 'failed' | 'canceled' | 'skipped';

/**
 * Decides how a new pipeline ends. 'manual' leaves it pending until the test calls
 * `finishPipeline`; otherwise it switches to `status` after `afterMs`.
 */
export type PipelinePolicy = (p: {
  project: string;
  sha: string;
  ref: string;
}) => { status: FinalPipelineStatus; afterMs: number } | 'manual';

export interface FakeGitLabOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Where bare repos live; a temp dir (removed on stop) when omitted. */
  dataDir?: string;
  pipelinePolicy?: PipelinePolicy;
  /** Where webhook failures and server errors are reported; console.warn by default. */
  log?: (message: string) => void;
}

export interface FakeUser {
  id: number;
  username: string;
  name: string;
  email: string;
  /** Personal access token: PRIVATE-TOKEN, Bearer, or the password for git over HTTP. */
  token: string;
  admin: boolean;
}

export interface AddProjectOptions {
  /** Default `main`. */
  defaultBranch?: string;
  members?: Record<string, Role>;
  /** Approvals needed before merging; default 0 (GitLab's default). */
  approvalsRequired?: number;
  /** Default 'merge'. */
  mergeMethod?: MergeMethod;
  /** Pushing needs maintainer, force-pushing and deleting are refused. Default: [defaultBranch]. */
  protectedBranches?: string[];
  /** Content of the initial commit; default a README.md. */
  files?: Record<string, string>;
  /** "Pipelines must succeed"; default true. */
  onlyAllowMergeIfPipelineSucceeds?: boolean;
  /** "All threads must be resolved"; default true. */
  onlyAllowMergeIfAllDiscussionsAreResolved?: boolean;
  /** Drop approvals when commits are pushed to the source branch; default false. */
  resetApprovalsOnPush?: boolean;
}

export interface FakeProject {
  id: number;
  path: string;
  defaultBranch: string;
  webUrl: string;
  /** Clone URL without credentials, like GitLab's http_url_to_repo. */
  httpUrl: string;
  /** The bare repository on disk. */
  repoDir: string;
}

export interface CommitOptions {
  /** Path → new content; null deletes the file. */
  files: Record<string, string | null>;
  message: string;
  /** Username of the author and pusher (hooks name them); default: the first user added. */
  author?: string;
  /** When `branch` does not exist yet, start it from this branch (default: the default branch). */
  from?: string;
}

export interface CreateMergeRequestOptions {
  sourceBranch: string;
  /** Default: the project's default branch. */
  targetBranch?: string;
  title: string;
  author: string;
  assignees?: string[];
  /** Prefixes the title with "Draft: ", as GitLab derives draft from the title. */
  draft?: boolean;
  squash?: boolean;
  description?: string;
}

export type MergeRequestState = 'opened' | 'closed' | 'merged' | 'locked';

export interface FakeMergeRequest {
  id: number;
  iid: number;
  project: string;
  title: string;
  description: string;
  state: MergeRequestState;
  draft: boolean;
  sourceBranch: string;
  targetBranch: string;
  headSha: string;
  author: string;
  assignees: string[];
  approvedBy: string[];
  squash: boolean;
  /** Set by 'merge' and 'rebase_merge' merges; null for fast-forward, as on GitLab. */
  mergeCommitSha: string | null;
  /** The target branch head the merge produced, whatever the method. */
  mergedCommitSha: string | null;
  webUrl: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeNote {
  id: number;
  body: string;
  author: string;
  system: boolean;
  createdAt: string;
}

export interface FakePipeline {
  id: number;
  iid: number;
  project: string;
  sha: string;
  ref: string;
  status: FakePipelineStatus;
  webUrl: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeCommit {
  sha: string;
  subject: string;
  parents: string[];
}

export type HookEvent = 'Merge Request Hook' | 'Note Hook' | 'Pipeline Hook' | 'Push Hook';

export interface WebhookDelivery {
  index: number;
  event: HookEvent;
  body: Record<string, unknown>;
  /** The headers sent (including X-Gitlab-Token). */
  headers: Record<string, string>;
  /** HTTP status of the receiver's answer; null until sent, or when sending failed. */
  status: number | null;
  error?: string;
  /** Set when this delivery repeats an earlier one (same Idempotency-Key). */
  redeliveryOf?: number;
}
