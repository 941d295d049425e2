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
  /** Merges only if the source branch head is still `sha`. */
  merge(project: string, iid: number, sha: string): Promise<MergeAttemptResult>;
  /** Head commit of a branch, or undefined when the branch does not exist. */
  branchHead(project: string, branch: string): Promise<string | undefined>;
  /** Pipelines that ran for exactly this commit, newest first. */
  pipelinesForSha(project: string, sha: string): Promise<Pipeline[]>;
  /** The HTTP(S) clone URL of the project, without credentials. */
  httpCloneUrl(project: string): Promise<string>;
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
