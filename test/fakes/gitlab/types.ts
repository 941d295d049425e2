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
 * What a pipeline runs for, as GitLab distinguishes them:
 * - `branch`: a push to a branch (source `push`, ref = the branch name);
 * - `merge-request`: a merge request pipeline on the source head (source `merge_request_event`,
 *   ref `refs/merge-requests/<iid>/head`), also called "detached";
 * - `merged-results`: a merge request pipeline on the result of merging the source head into
 *   the target (source `merge_request_event`, ref `refs/merge-requests/<iid>/merge`, its SHA a
 *   merge commit that is not the source head).
 */
export type PipelineKind = 'branch' | 'merge-request' | 'merged-results';

/**
 * Which pipelines a push to an MR's source branch creates (the project's CI configuration):
 * - `branch` (default, what most projects have): branch pipelines only;
 * - `merge-request`: merge request pipelines for MR source branches, branch pipelines elsewhere
 *   (GitLab's "MergeRequest-Pipelines" workflow rules with `$CI_OPEN_MERGE_REQUESTS when: never`);
 * - `merged-results`: like `merge-request`, but on the merge ref (merged results pipelines);
 *   when the MR has conflicts a detached merge request pipeline runs instead, as on GitLab;
 * - `branch-and-merge-request`: both a branch and a merge request pipeline (the duplicate
 *   pipelines GitLab warns about).
 */
export type PipelineMode = 'branch' | 'merge-request' | 'merged-results' | 'branch-and-merge-request';

/**
 * Decides how a pipeline run ends: asked when a pipeline is created (run 1) and again each
 * time it is retried (POST .../retry: run 2, 3, ...; same pipeline, same id), so a policy can
 * model a flaky pipeline. 'manual' leaves it pending until the test calls `finishPipeline`;
 * otherwise it switches to `status` after `afterMs` (unless it was canceled meanwhile).
 */
export type PipelinePolicy = (p: {
  project: string;
  sha: string;
  ref: string;
  kind: PipelineKind;
  /** The MR a merge request / merged results pipeline runs for; null for branch pipelines. */
  mergeRequestIid: number | null;
  /** 1 for the run the pipeline was created with, 2 for its first retry, ... */
  run: number;
  pipelineId: number;
}) => { status: FinalPipelineStatus; afterMs: number } | 'manual';

/**
 * How PUT .../merge refuses, which changed across GitLab versions:
 * - `current` (default; today's docs table: 401/405/409/422): 409 SHA mismatch; 405 when not
 *   mergeable (draft, closed, CI, approvals, threads, and conflicts / needs rebase / still
 *   checking, see gitlab#364102); 422 "Branch cannot be merged" when the merge itself fails
 *   (a server hook or push rule refuses, the target moved meanwhile).
 * - `legacy` (older GitLab, as its docs described): 405 draft/closed/CI/approvals/threads; 406
 *   "Branch cannot be merged" for conflicts, needs rebase or still checking; 409 SHA; a merge
 *   that fails in the merge service answers 200 with the MR still open and `merge_error` set.
 * - `latest` (newest GitLab source, where conflict and rebase checks run after the 405 check):
 *   like `current`, but conflicts, needs rebase and still checking answer 422 too.
 */
export type MergeErrorStyle = 'current' | 'legacy' | 'latest';

/**
 * GitLab sends hooks from background workers: concurrently, in any order, at least once and
 * sometimes not at all. With these set, the fake does too; rates are probabilities (0..1).
 */
export interface HookDeliveryOptions {
  /** Hooks in flight at once; default 4. */
  concurrency?: number;
  /** Each hook waits a random 0..maxDelayMs before it is sent; default 200. */
  maxDelayMs?: number;
  /**
   * Share of hooks never sent (marked `dropped`); default 0. Per kind of hook when an object
   * (kinds left out are never dropped).
   */
  dropRate?: number | Partial<Record<HookEvent, number>>;
  /** Share of hooks sent a second time with the same Idempotency-Key; default 0. */
  repeatRate?: number;
  /** PRNG seed, logged when delivery starts, so a failing run can be replayed; default random. */
  seed?: number;
}

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
  /**
   * How long after a push to an MR's source branch GitLab takes to update the MR (its `sha`,
   * the "update" hook, merge request pipelines), during which it reports `checking`. Default
   * 200; 0 updates before the push answers. `flushMergeRequestUpdates()` ends the wait at once.
   */
  asyncMergeRequestUpdateMs?: number;
  /** See MergeErrorStyle; default 'current'. */
  mergeErrorStyle?: MergeErrorStyle;
  /** Default: one hook at a time, in event order, each exactly once (see setHookDelivery). */
  hookDelivery?: HookDeliveryOptions;
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
 * A project push rule (GitLab Premium). Pushes over HTTP or SSH whose new commits' messages do
 * not match are refused by the pre-receive hook; merges through the API fail in the merge
 * itself (422 with merge_error, or 200 with merge_error in the legacy style).
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

/** Who a protected branch rule lets push or merge (GitLab's allowed_to_push / allowed_to_merge). */
export type BranchAccess =
  /** Everyone with at least this role (GitLab offers developer, maintainer), or nobody. */
  | { role: 'developer' | 'maintainer' | 'no one' | 'admin' }
  /** One user (GitLab Premium), who must still be a Developer or more in the project. */
  | { user: string }
  /** The members of a group with Developer or more there (GitLab Premium), by group path. */
  | { group: string };

/**
 * A protected branch rule; `name` may be a wildcard (`release/*`). GitLab's defaults when a
 * branch is protected: maintainers may push and merge, nobody may force-push.
 */
export interface ProtectedBranchOptions {
  name: string;
  /** Default [{ role: 'maintainer' }]. */
  push?: BranchAccess[];
  /** Default [{ role: 'maintainer' }]. */
  merge?: BranchAccess[];
  /** Default false. */
  allowForcePush?: boolean;
}

/** 'internal': every signed-in user may read it (code, MRs), as on GitLab. */
export type Visibility = 'private' | 'internal';

export interface AddProjectOptions {
  /** Default `main`. */
  defaultBranch?: string;
  members?: Record<string, Role>;
  /** Default 'private'. */
  visibility?: Visibility;
  /** Approvals needed before merging; default 0 (GitLab's default). Ignored while approvalRules exist. */
  approvalsRequired?: number;
  /** Approval rules; when any exist, they alone decide what approvals an MR needs. Default none. */
  approvalRules?: ApprovalRule[];
  /** Default 'merge'. */
  mergeMethod?: MergeMethod;
  /**
   * GitLab's "automatic rebase before merge" for the `ff` and `rebase_merge` methods (GitLab 18.0
   * behind the rebase_on_merge_automatic flag, on GitLab.com from 18.11, generally available in
   * 19): an MR behind its target is not refused as needing a rebase; the merge rebases (squashes
   * first, when squashing) on a ref of its own, leaves the source branch as it is, then merges. So
   * the MR's commits (GET .../commits, `sha`) are not the ones on the target. Default false.
   */
  rebaseOnMerge?: boolean;
  /**
   * Protected branch rules; a plain name means GitLab's defaults (maintainers push and merge, no
   * force-push). Deleting a protected branch over git is always refused. Default: [defaultBranch].
   */
  protectedBranches?: Array<string | ProtectedBranchOptions>;
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
  /** Which pipelines pushes create; default 'branch'. */
  pipelines?: PipelineMode;
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
    | 'rebaseOnMerge'
    | 'onlyAllowMergeIfPipelineSucceeds'
    | 'onlyAllowMergeIfAllDiscussionsAreResolved'
    | 'allowMergeOnSkippedPipeline'
    | 'protectedBranches'
    | 'pipelines'
    | 'visibility'
  >
> & { pushRule?: PushRule | null };

export interface FakeProject {
  id: number;
  path: string;
  /** The project this one is a fork of; null when it is not a fork. */
  forkedFrom: string | null;
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
  /**
   * For a fork MR: the fork the source branch lives in (the MR itself belongs to the target
   * project, the one `createMergeRequest` is called on). Default: the target project.
   */
  sourceProject?: string;
  /**
   * "Allow commits from members who can merge to the target branch" (fork MRs only, as on
   * GitLab); default false.
   */
  allowCollaboration?: boolean;
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
  /** Path of the project the source branch lives in (the fork for fork MRs). */
  sourceProject: string;
  allowCollaboration: boolean;
  /** The source head as the MR shows it (GitLab's `sha`); it lags a push for a moment. */
  headSha: string;
  /** A push to the source branch has not reached the MR yet (see asyncMergeRequestUpdateMs). */
  updatePending: boolean;
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
  /**
   * Set by 'merge' and 'rebase_merge' merges; null for fast-forward, as on GitLab. For an MR
   * merged by a push, the commit of the push that brought its head in (the head itself after a
   * fast-forward push).
   */
  mergeCommitSha: string | null;
  /** The squash commit of a squashed merge (whatever the method); null otherwise, as on GitLab. */
  squashCommitSha: string | null;
  /** The target branch head the merge produced, whatever the method. */
  mergedCommitSha: string | null;
  webUrl: string;
  createdAt: string;
  updatedAt: string;
}

/** How FakeGitLab.merge merges: as a person with the Merge button would. */
export interface FakeMergeOptions {
  /** Username of who merges. */
  by: string;
  /** The merge method for this merge; default the project's (setMergeMethod). */
  method?: MergeMethod;
  /** Squash the MR's commits into one; default the MR's own setting. */
  squash?: boolean;
  /** Delete the source branch afterwards; default false. */
  removeSourceBranch?: boolean;
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
  kind: PipelineKind;
  /** GitLab's pipeline `source`: `push` for branch pipelines, else `merge_request_event`. */
  source: 'push' | 'merge_request_event';
  /** The MR of a merge request / merged results pipeline; null for branch pipelines. */
  mergeRequestIid: number | null;
  /** Merged results: the source head that was merged (the pipeline's `sha` is the merge). */
  sourceSha: string | null;
  /** Merged results: the target head it was merged into. */
  targetSha: string | null;
  status: FakePipelineStatus;
  /** How often it ran: 1, plus one per retry that restarted it (POST .../retry). */
  runs: number;
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
  /** Set when a test asked for this delivery again (`redeliver`; same Idempotency-Key). */
  redeliveryOf?: number;
  /** Set when the fake sent an earlier delivery a second time by itself (chaos delivery). */
  duplicateOf?: number;
  /** Never sent: GitLab lost it (chaos delivery's dropRate). */
  dropped?: boolean;
}

/** One REST request the fake answered, oldest first (see FakeGitLab.apiRequests). */
export interface ApiRequestRecord {
  method: string;
  /** Path under /api/v4, without the query, e.g. `/projects/group%2Fapp/merge_requests/1/merge`. */
  path: string;
  status: number;
  /** When the request arrived (ms since the epoch). */
  receivedAt: number;
}

export interface AddGroupOptions {
  /** Members and their role in the group. */
  members?: Record<string, Role>;
}
