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
  /** How long an API rebase (PUT .../rebase) stays "in progress" before it runs; default 100. */
  rebaseDelayMs?: number;
  /**
   * Also serve git over SSH (public keys from addSshKey, user `git`) on a random loopback port;
   * ssh_url_to_repo is then ssh://git@127.0.0.1:PORT/group/app.git.
   */
  ssh?: boolean;
}

export interface FakeUser {
  id: number;
  username: string;
  name: string;
  email: string;
  /** Personal access token: PRIVATE-TOKEN, Bearer, or the password for git over HTTP. */
  token: string;
  admin: boolean;
  /** What GitLab shows non-admins as `public_email`; null when the user set none. */
  publicEmail: string | null;
}

export interface AddUserOptions {
  username: string;
  name: string;
  /** Default `<username>@example.test`; only admins (and the user) see it over the API. */
  email?: string;
  /** Instance admin: may use the `Sudo` header and sees everyone's `email`. */
  admin?: boolean;
  /** The profile's public email (GitLab's `public_email`); default none. */
  publicEmail?: string;
}

/**
 * A project push rule (GitLab Premium). Pushes over HTTP whose new commits' messages do not
 * match are refused by the pre-receive hook; merges through the API are refused with 405.
 */
export interface PushRule {
  /** JavaScript RegExp source, tested against the whole commit message (trailing newlines removed). */
  commitMessageRegex?: string;
  /** Replaces GitLab's "Commit message does not follow the pattern '...'" text. */
  rejectMessage?: string;
}

/**
 * A project approval rule (GitLab Premium): `approvalsRequired` approvals from the users in
 * `eligible`. An approval counts for every rule that lists the approver.
 */
export interface ApprovalRule {
  name: string;
  approvalsRequired: number;
  /** Usernames. */
  eligible: string[];
}

export interface AddProjectOptions {
  /** Default `main`. */
  defaultBranch?: string;
  members?: Record<string, Role>;
  /** Approvals needed before merging; default 0 (GitLab's default). Ignored while approvalRules exist. */
  approvalsRequired?: number;
  /** Approval rules; when any exist, they alone decide what approvals an MR needs. Default none. */
  approvalRules?: ApprovalRule[];
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
  /** "Skipped pipelines are considered successful" (allow_merge_on_skipped_pipeline); default false. */
  allowMergeOnSkippedPipeline?: boolean;
  /** Drop approvals when commits are pushed to the source branch; default false. */
  resetApprovalsOnPush?: boolean;
  /**
   * With resetApprovalsOnPush: how long after a push the approvals actually go, like GitLab's
   * asynchronous reset worker. Default 0 (at once, before the push answers).
   */
  approvalResetDelayMs?: number;
  pushRule?: PushRule;
}

/** What `FakeGitLab.setProjectOption` may change after creation; `pushRule: null` removes it. */
export type ProjectSettings = Partial<
  Pick<
    AddProjectOptions,
    | 'approvalsRequired'
    | 'approvalRules'
    | 'resetApprovalsOnPush'
    | 'approvalResetDelayMs'
    | 'mergeMethod'
    | 'onlyAllowMergeIfPipelineSucceeds'
    | 'onlyAllowMergeIfAllDiscussionsAreResolved'
    | 'allowMergeOnSkippedPipeline'
    | 'protectedBranches'
  >
> & { pushRule?: PushRule | null };

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
  /** Label titles; labels the project does not have yet are created. */
  labels?: string[];
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
  /** Label titles, sorted. */
  labels: string[];
  /** An API rebase was requested and has not finished yet. */
  rebaseInProgress: boolean;
  /** Why the last rebase or merge failed, as GitLab's `merge_error`; null otherwise. */
  mergeError: string | null;
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

/** A REST request made with the `Sudo` header (or `sudo` parameter) by an admin token. */
export interface SudoRequest {
  /** Username of the admin whose token was used. */
  admin: string;
  /** Username the request acted as. */
  as: string;
  method: string;
  path: string;
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
