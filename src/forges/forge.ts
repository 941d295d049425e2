import type {
  Approvals,
  LandedChanges,
  MergeRequest,
  MergeRequestSummary,
  MergeResult,
  NewMergeRequest,
  Note,
  Pipeline,
  UserRef,
} from '../domain/types';

/**
 * What Shepherd needs from a forge. Workflows and activities speak only these domain types;
 * adapters (GitLab now, GitHub later) translate. One call is one attempt: adapters do not retry.
 *
 * Errors:
 * - expected client errors (4xx) are `ForgeError` with a `kind`; activities turn them into
 *   non-retryable failures, except where a method says a kind means "wait and try again";
 * - the forge being unreachable, overloaded or failing (5xx, 429, timeouts, connection errors)
 *   is `ForgeUnavailableError`, to be retried with backoff: outages delay, they never fail.
 */
export interface Forge {
  /** The user whose token Shepherd uses (the bot). */
  currentUser(): Promise<UserRef>;
  /**
   * A merge request as the forge sees it now. Right after a push the forge may still show the
   * old `headSha` and `mergeability: 'checking'` for a moment.
   */
  getMergeRequest(project: string, iid: number): Promise<MergeRequest>;
  getApprovals(project: string, iid: number): Promise<Approvals>;
  listNotes(project: string, iid: number): Promise<Note[]>;
  createNote(project: string, iid: number, body: string): Promise<Note>;
  /** Replaces the assignees with these usernames. */
  setAssignees(project: string, iid: number, usernames: string[]): Promise<void>;
  /** Takes a label off (a no-op when it is not there). */
  removeLabel(project: string, iid: number, label: string): Promise<void>;
  /**
   * Merges only if the source branch head is still `sha`. Every answer of every forge version
   * maps to one MergeResult (see there); `not-mergeable` with reason `checking` means the forge
   * has not finished looking at the MR and the merge should be tried again shortly. When the
   * forge accepts the merge but finishes it in the background, this waits a few seconds for it.
   */
  merge(project: string, iid: number, sha: string): Promise<MergeResult>;
  /** Head commit of a branch, or undefined when the branch does not exist. */
  branchHead(project: string, branch: string): Promise<string | undefined>;
  /** Parent SHAs of a commit (e.g. to see what a merged-results pipeline merged). */
  commitParents(project: string, sha: string): Promise<string[]>;
  /** Pipelines that ran for exactly this commit, newest first. */
  pipelinesForSha(project: string, sha: string): Promise<Pipeline[]>;
  /** One pipeline by id, with its current status; not-found when it does not exist. */
  getPipeline(project: string, pipelineId: number): Promise<Pipeline>;
  /**
   * Runs the failed and canceled jobs of this pipeline again: the same pipeline (same id) goes
   * back to pending and its status (and hooks) follow as for a new run. Returns the pipeline as
   * the forge shows it right after; one with nothing failed or canceled (still running, passed)
   * is left as it is and returned unchanged. not-found for an unknown pipeline, forbidden when
   * the bot may not update it (GitLab: Developer or more, allowed to push or merge to its ref).
   */
  retryPipeline(project: string, pipelineId: number): Promise<Pipeline>;
  /**
   * Cancels a pipeline that has not finished; its status becomes canceled (a pipeline hook
   * says so). A pipeline that has already finished stays as it is, and that is not an error:
   * the pipeline is done either way. not-found and forbidden as for retryPipeline.
   */
  cancelPipeline(project: string, pipelineId: number): Promise<void>;
  /** The HTTP(S) clone URL of the project, without credentials. */
  httpCloneUrl(project: string): Promise<string>;
  /**
   * The SSH clone URL of the project as the forge reports it (GitLab: ssh_url_to_repo, usually
   * scp-like `git@host:group/app.git`; ssh://user@host:port/path when SSH runs on another port).
   */
  sshCloneUrl(project: string): Promise<string>;

  /**
   * May this user ask for merges in the project: an active member with Developer or more
   * (inherited membership counts). False for unknown users and when the project is invisible.
   */
  mayRequest(project: string, username: string): Promise<boolean>;
  /**
   * May this user merge into `branch`: by the branch's protection rules (exact and wildcard;
   * allowed to merge or to push, by role, user or group), Developer or more when unprotected.
   * False for non-members, unknown users and when the project is invisible to the bot.
   */
  mayMerge(project: string, username: string, branch: string): Promise<boolean>;
  /**
   * May this user push to `branch` as a member: by the rules' "allowed to push", Developer or
   * more when unprotected. Pushing to a fork's branch is also possible without this when the
   * MR has `allowCollaboration` and the user may merge into its target branch (check both).
   */
  mayPush(project: string, username: string, branch: string): Promise<boolean>;
  /**
   * Asks the forge to rebase the source branch onto the target branch itself. Returns once the
   * request is accepted (or one is already running); poll getMergeRequest until
   * `rebaseInProgress` is false, then read `mergeError` and `headSha`. Throws forbidden when the
   * bot may not push to the source branch.
   */
  requestRebase(project: string, iid: number): Promise<void>;
  /** Whether the token may act as other users (GitLab: an admin token with the sudo scope). */
  canImpersonate(): Promise<boolean>;
  /**
   * Approves as `username` (impersonation; see canImpersonate). Succeeds when that user had
   * already approved. With `sha`, refuses with ForgeError kind `head-moved` (status 409) unless
   * the forge shows `sha` as the MR's head. Right after the bot pushed that is the forge not
   * having caught up yet: wait and try again, unless the branch itself has moved on.
   */
  approveAs(project: string, iid: number, username: string, sha?: string): Promise<void>;
  /**
   * A user by id. `email` is the private address when the token may see it (GitLab: admins),
   * else the public one when the user set it, else absent.
   */
  userDetails(userId: number): Promise<UserRef>;
  /**
   * Open merge requests assigned to this user in the projects where the bot is a Developer or
   * more (not every project it can see: on a public instance that is everyone's). List answers
   * lack some fields: `headPipeline` is null and `mergeError` null there; read the MR for them.
   */
  mergeRequestsAssignedTo(username: string): Promise<MergeRequest[]>;
  /** The projects where the bot is a Developer or more, with their default branches. */
  projectsOfBot(): Promise<Array<{ path: string; defaultBranch: string }>>;
  /** Open merge requests carrying this label in the projects where the bot is a Developer or more (list answers, as above). */
  mergeRequestsLabelled(label: string): Promise<MergeRequest[]>;

  // --- backports -------------------------------------------------------------------------------
  // Whether someone may ask for a backport is mayRequest (Developer or more).

  /**
   * What landed on the target branch when this MR was merged, read from what the forge recorded
   * for the MR (not from the project's current merge method, which may have changed since); see
   * LandingKind for what a backport picks in each case. ForgeError `invalid` when the MR is not
   * merged; ForgeUnavailableError while the forge is still merging it (retry shortly).
   */
  landedChanges(project: string, iid: number): Promise<LandedChanges>;
  /**
   * Every MR of the project from `sourceBranch` (in the project itself, not a fork) into
   * `targetBranch`, whatever its state, newest first.
   */
  mergeRequestsBetween(project: string, sourceBranch: string, targetBranch: string): Promise<MergeRequestSummary[]>;
  /**
   * Opens an MR from a branch of the project into another of its branches, as the bot. Callers
   * look with mergeRequestsBetween first; one opened meanwhile is MergeRequestExistsError. An
   * unknown assignee, a missing branch or the same branch on both sides are ForgeError `invalid`,
   * forbidden when the bot may not open MRs there.
   */
  openMergeRequest(project: string, mr: NewMergeRequest): Promise<{ iid: number; webUrl: string }>;
}

/**
 * - `head-moved`: the forge's idea of the MR's head is not the SHA given (see approveAs);
 * - the others: the request is wrong or not allowed, and will stay so.
 */
export type ForgeErrorKind = 'not-found' | 'forbidden' | 'unauthorized' | 'invalid' | 'head-moved';

/** An expected refusal by the forge (a 4xx answer); `kind` says which. */
export class ForgeError extends Error {
  constructor(
    readonly kind: ForgeErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}

/**
 * openMergeRequest found an open MR between the same branches already (GitLab's 409): for a caller
 * that looked first, one opened meanwhile, so "already there" rather than a failure.
 */
export class MergeRequestExistsError extends ForgeError {
  constructor(
    message: string,
    /** The open MR's iid when the forge named it. */
    readonly existingIid: number | undefined,
  ) {
    super('invalid', message, 409);
    this.name = 'MergeRequestExistsError';
  }
}

/**
 * The forge could not answer: a 5xx, a 429 (rate limit), a timeout or a connection error.
 * Transient by nature, so retryable; `status` is absent when no HTTP answer came at all.
 */
export class ForgeUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ForgeUnavailableError';
  }
}
