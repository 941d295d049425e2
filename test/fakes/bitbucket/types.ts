// What tests hand the fake Bitbucket Cloud, and what it hands back. Commits are plain data
// (no git): a hash, a date, a message, an author and parents.

export interface FakeBitbucketOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** OAuth consumers (key and secret) that may take tokens; default one: `bb-key` / `bb-secret`. */
  consumers?: Array<{ key: string; secret: string }>;
  /** Lifetime of access tokens in seconds; Bitbucket's is 7200 (two hours). */
  tokenTtlSeconds?: number;
  /** The clock tokens expire by (ms since the epoch); default Date.now. */
  now?: () => number;
  /** Delay before every answer, e.g. 20 for benchmarks; settable later as `latencyMs`. */
  latencyMs?: number;
}

/** A Bitbucket account as tests describe it; missing ids are derived from the nickname. */
export interface BitbucketUserInput {
  displayName: string;
  nickname?: string;
  accountId?: string;
  /** With braces, as Bitbucket writes it: `{...}`. */
  uuid?: string;
}

export interface AddCommitInput {
  /** 40 hex digits; generated when absent. */
  sha?: string;
  /** ISO 8601, kept as given (with its offset) in the answers. */
  date: string;
  message: string;
  /** `user` only when the author's email is linked to a Bitbucket account. */
  author: { name: string; email: string; user?: BitbucketUserInput };
  /** Parent hashes; default: the current head of `branch` (none for the first commit). */
  parents?: string[];
  /** The branch this commit becomes the head of; default the repository's main branch. */
  branch?: string;
}

export interface AddRepoOptions {
  /** Default `main`. */
  mainBranch?: string;
  /** Every API request for this repository answers 403. */
  forbidden?: boolean;
}

export type PullRequestState = 'OPEN' | 'MERGED' | 'DECLINED' | 'SUPERSEDED';
export type ParticipantRole = 'PARTICIPANT' | 'REVIEWER';
export type ParticipantState = 'approved' | 'changes_requested' | null;

export interface AddPullRequestInput {
  /** Default: the next free id in the repository. */
  id?: number;
  title?: string;
  /** Default MERGED. */
  state?: PullRequestState;
  author?: BitbucketUserInput;
  /** The hashes of the pull request's commits, newest first (they need not exist in the repository). */
  commits: string[];
  /** The merge (or squash) commit, for a merged pull request. */
  mergeCommit?: string;
  sourceBranch?: string;
  destinationBranch?: string;
  participants?: Array<{
    user: BitbucketUserInput;
    /** Default PARTICIPANT. */
    role?: ParticipantRole;
    /** Default: whether `state` is 'approved'. */
    approved?: boolean;
    /** Default: 'approved' when approved, else null. */
    state?: ParticipantState;
  }>;
  /** ISO 8601; default now. */
  createdOn?: string;
  updatedOn?: string;
}

/**
 * How GET .../commit/{commit}/pullrequests answers for a repository: 200 once Bitbucket's
 * "Pull Request Commit Links" index exists, 202 while it is being built, 404 before.
 */
export type PullRequestLinksState = 'indexed' | 'indexing' | 'not-indexed';
