import type { CollectedCommit, EvidenceRepo, Identity } from '../../domain/evidence/types';

/** The month being read, as instants: since <= commit date < until. */
export interface ReadWindow {
  readonly since: string;
  readonly until: string;
}

/** One page of a repository's commits in the window (approvers are filled in later). */
export interface CommitsPage {
  readonly commits: CollectedCommit[];
  /** Where the next page starts; absent when the window has been read. Opaque, JSON-safe. */
  readonly next?: string;
}

/** Who approved the pull/merge requests that brought which commits. */
export interface ApprovalsPage {
  readonly approvals: Array<{ readonly sha: string; readonly approvers: Identity[] }>;
  readonly next?: string;
}

/** Reads one forge's repositories page by page, so a reader killed mid-way resumes at a page. */
export interface EvidenceReader {
  commitsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<CommitsPage>;
  approvalsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<ApprovalsPage>;
}

export type UnreadableReason = 'not-found' | 'forbidden' | 'unauthorized' | 'refused';

/**
 * The forge answered that this repository cannot be read (404, 403, 401), or refused the request
 * as such (another 4xx: asking again would get the same answer): reported in the summary with
 * the forge's answer, and the month completes without it. Not retried.
 */
export class RepoUnreadableError extends Error {
  constructor(
    readonly reason: UnreadableReason,
    message: string,
    /** The forge's HTTP status, when it gave one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RepoUnreadableError';
  }
}

/** A transient failure (5xx, 429, network): the activity is retried and resumes at its page. */
export class ForgeBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForgeBusyError';
  }
}

export function unreadableReason(status: number): UnreadableReason | undefined {
  if (status === 404) return 'not-found';
  if (status === 403) return 'forbidden';
  if (status === 401) return 'unauthorized';
  // 408 (the request timed out) and 429 (too many requests) are waits; 5xx are outages.
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'refused';
  return undefined;
}

/** `Name <email>` as git and Bitbucket write it; either part may be missing. */
export function parseRawAuthor(raw: string): Identity {
  // String search rather than a regular expression: a month of commits parses this thousands of times.
  const text = raw.trim();
  const end = text.length - 1;
  // The email is what the last <...> holds: from the first '<' after any earlier '>'.
  const open = text[end] === '>' ? text.indexOf('<', text.lastIndexOf('>', end - 1) + 1) : -1;
  if (open < 0 || open >= end) return text.includes('@') ? { email: text } : { name: text };
  const name = text.slice(0, open).trim();
  const email = text.slice(open + 1, -1);
  return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
}
