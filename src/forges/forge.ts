import type {
  Approvals,
  MergeAttemptResult,
  MergeRequest,
  Note,
  Pipeline,
  UserRef,
} from '../domain/types';

/**
 * What Shepherd needs from a forge. Workflows and activities speak only these domain types;
 * adapters (GitLab now, GitHub later) translate. Expected failures (not found, forbidden) are
 * thrown as `ForgeError` with a `kind` so activities can turn them into non-retryable failures;
 * anything else (5xx, network) is thrown as is and retried.
 */
export interface Forge {
  /** The user whose token Shepherd uses (the bot). */
  currentUser(): Promise<UserRef>;
  getMergeRequest(project: string, iid: number): Promise<MergeRequest>;
  getApprovals(project: string, iid: number): Promise<Approvals>;
  listNotes(project: string, iid: number): Promise<Note[]>;
  createNote(project: string, iid: number, body: string): Promise<Note>;
  /** Replaces the assignees with these usernames. */
  setAssignees(project: string, iid: number, usernames: string[]): Promise<void>;
  /** Takes a label off (a no-op when it is not there). */
  removeLabel(project: string, iid: number, label: string): Promise<void>;
  /** Merges only if the source branch head is still `sha`. */
  merge(project: string, iid: number, sha: string): Promise<MergeAttemptResult>;
  /** Head commit of a branch, or undefined when the branch does not exist. */
  branchHead(project: string, branch: string): Promise<string | undefined>;
  /** Pipelines that ran for exactly this commit, newest first. */
  pipelinesForSha(project: string, sha: string): Promise<Pipeline[]>;
  /** The HTTP(S) clone URL of the project, without credentials. */
  httpCloneUrl(project: string): Promise<string>;
  /**
   * The SSH clone URL of the project as the forge reports it (GitLab: ssh_url_to_repo, usually
   * scp-like `git@host:group/app.git`; ssh://user@host:port/path when SSH runs on another port).
   */
  sshCloneUrl(project: string): Promise<string>;

  /**
   * The user's effective access level in the project (GitLab numbers: 10 guest, 20 reporter,
   * 30 developer, 40 maintainer, 50 owner); 0 when not a member, not active, or no such user.
   * Throws not-found when the bot cannot see the project.
   */
  memberAccessLevel(project: string, username: string): Promise<number>;
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
   * already approved. With `sha`, refuses (ForgeError 'invalid', status 409) unless it is still
   * the MR head.
   */
  approveAs(project: string, iid: number, username: string, sha?: string): Promise<void>;
  /**
   * A user by id. `email` is the private address when the token may see it (GitLab: admins),
   * else the public one when the user set it, else absent.
   */
  userDetails(userId: number): Promise<UserRef>;
  /** Open merge requests assigned to this user in every project the bot can see. */
  mergeRequestsAssignedTo(username: string): Promise<MergeRequest[]>;
  /** Whether pushing to this branch is restricted by a protection rule (wildcards included). */
  isProtectedBranch(project: string, branch: string): Promise<boolean>;
}

export type ForgeErrorKind = 'not-found' | 'forbidden' | 'unauthorized' | 'invalid';

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
