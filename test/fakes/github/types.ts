// What tests hand the fake GitHub, and what it hands back. Commits are plain data (no git).

export interface FakeGitHubOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Tokens the API accepts (`Authorization: token X` or `Bearer X`); default one: `ghp_fake`. */
  tokens?: string[];
  /** Delay before every answer, e.g. 20 for benchmarks; settable later as `latencyMs`. */
  latencyMs?: number;
}

/** A git identity with its date, as in a commit's author and committer lines. */
export interface GitActorInput {
  name: string;
  email: string;
  /** ISO 8601. */
  date: string;
  /** The GitHub account this email belongs to; without one the API's `author`/`committer` is null. */
  login?: string;
}

export interface AddGitHubCommitInput {
  /** 40 hex digits; generated when absent. */
  sha?: string;
  message: string;
  author: GitActorInput;
  /** Default: the author (same name, email, date and login). */
  committer?: GitActorInput;
  /** Parent SHAs; default: the current head of `branch` (none for the first commit). */
  parents?: string[];
  /** The branch this commit becomes the head of; default the repository's default branch. */
  branch?: string;
}

export interface AddGitHubRepoOptions {
  /** Default `main`. */
  defaultBranch?: string;
  /** Default true: without a token the repository answers 404, as GitHub hides private ones. */
  private?: boolean;
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';

export interface ReviewInput {
  /** Login of the reviewer. */
  user: string;
  state: ReviewState;
  body?: string;
  /** ISO 8601; default now. */
  submittedAt?: string;
  /** The head commit the review was given on; default the pull request's head. */
  commitId?: string;
}

export interface AddGitHubPullInput {
  /** Default: the next free number in the repository. */
  number?: number;
  title?: string;
  /** Login of the author; default `octocat`. */
  user?: string;
  /** The pull request's commits, oldest first; they must have been added with addCommit. */
  commits: string[];
  /** Default true. A merged pull request is closed. */
  merged?: boolean;
  /** Only for an unmerged pull request: 'open' (default) or 'closed'. */
  state?: 'open' | 'closed';
  mergeCommitSha?: string;
  /** Head and base branch names; default `feature-<number>` and the default branch. */
  head?: string;
  base?: string;
  draft?: boolean;
  /** ISO 8601; defaults: now. */
  createdAt?: string;
  updatedAt?: string;
  closedAt?: string;
  mergedAt?: string;
  reviews?: ReviewInput[];
}
