import { Octokit } from '@octokit/rest';
import type { CollectedCommit, EvidenceRepo, Identity } from '../../domain/evidence/types';
import {
  ForgeBusyError,
  RepoUnreadableError,
  unreadableReason,
  type ApprovalsPage,
  type CommitsPage,
  type EvidenceReader,
  type ReadWindow,
} from './types';

export interface GitHubReaderOptions {
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  token: string;
  timeoutMs?: number;
}

const PER_PAGE = 100;

/** GitHub's REST API through octokit; page numbers are the cursors. */
export class GitHubReader implements EvidenceReader {
  private readonly octokit: Octokit;

  constructor(opts: GitHubReaderOptions) {
    this.octokit = new Octokit({
      baseUrl: opts.apiUrl.replace(/\/+$/, ''),
      auth: opts.token,
      request: { timeout: opts.timeoutMs ?? 30_000 },
      // Activities retry with backoff; octokit's own plugins are not installed here.
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  }

  async commitsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<CommitsPage> {
    const [owner, name] = repo.path.split('/');
    const page = Number(cursor ?? '1');
    const listed = await this.call(repo, () =>
      this.octokit.rest.repos.listCommits({ owner, repo: name, since: window.since, until: window.until, per_page: PER_PAGE, page }),
    ).catch((e: unknown) => {
      // GitHub answers 409 "Git Repository is empty." for a repository without commits.
      if (e instanceof RepoUnreadableError && e.status === 409) return undefined;
      throw e;
    });
    if (!listed) return { commits: [] };
    const { data, headers } = listed;
    // GitHub filters on the committer date: that is the date a commit counts for, and the one shown,
    // so every commit falls in exactly one month.
    const commits: CollectedCommit[] = data
      .map((c) => ({
        repo: repo.id,
        sha: c.sha,
        date: c.commit.committer?.date ?? c.commit.author?.date ?? '',
        url: c.html_url,
        author: {
          ...(c.commit.author?.name ? { name: c.commit.author.name } : {}),
          ...(c.commit.author?.email ? { email: c.commit.author.email } : {}),
          ...(c.author && 'login' in c.author && c.author.login ? { username: c.author.login } : {}),
        },
        message: c.commit.message,
        parentCount: c.parents.length,
        approvers: [],
      }));
    return { commits, ...(hasNext(headers.link) ? { next: String(page + 1) } : {}) };
  }

  /** Closed pull requests, most recently updated first, until one was last updated before the month. */
  async approvalsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<ApprovalsPage> {
    const [owner, name] = repo.path.split('/');
    const page = Number(cursor ?? '1');
    const { data, headers } = await this.call(repo, () =>
      this.octokit.rest.pulls.list({ owner, repo: name, state: 'closed', sort: 'updated', direction: 'desc', per_page: PER_PAGE, page }),
    );
    const recent = data.filter((pr) => Date.parse(pr.updated_at) >= Date.parse(window.since));
    const approvals = (
      await Promise.all(
        recent
          .filter((pr) => pr.merged_at)
          .map(async (pr) => {
            const reviews = await this.call(repo, () =>
              this.octokit.paginate(this.octokit.rest.pulls.listReviews, { owner, repo: name, pull_number: pr.number, per_page: PER_PAGE }),
            );
            // A reviewer's last word counts: approved, then asked for changes, is not an approval.
            const last = new Map<string, { state: string; identity: Identity }>();
            for (const r of reviews) {
              if (!r.user?.login || r.state === 'COMMENTED') continue;
              last.set(r.user.login, { state: r.state, identity: { username: r.user.login, ...(r.user.name ? { name: r.user.name } : {}) } });
            }
            const approvers = [...last.values()].filter((r) => r.state === 'APPROVED').map((r) => r.identity);
            if (!approvers.length) return [];
            const commits = await this.call(repo, () =>
              this.octokit.paginate(this.octokit.rest.pulls.listCommits, { owner, repo: name, pull_number: pr.number, per_page: PER_PAGE }),
            );
            const shas = new Set(commits.map((c) => c.sha));
            if (pr.merge_commit_sha) shas.add(pr.merge_commit_sha);
            return [...shas].map((sha) => ({ sha, approvers }));
          }),
      )
    ).flat();
    const olderSeen = recent.length < data.length;
    return { approvals, ...(hasNext(headers.link) && !olderSeen ? { next: String(page + 1) } : {}) };
  }

  private async call<T>(repo: EvidenceRepo, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const status = (e as { status?: unknown }).status;
      const message = e instanceof Error ? e.message : String(e);
      if (typeof status === 'number') {
        // GitHub says "rate limit exceeded" with 403 (or 429), its secondary limits with a
        // Retry-After: a wait, not a refusal.
        const headers = (e as { response?: { headers?: Record<string, string | undefined> } }).response?.headers;
        if ((status === 403 && (headers?.['x-ratelimit-remaining'] === '0' || headers?.['retry-after'] !== undefined)) || status === 429) {
          throw new ForgeBusyError(`${repo.id}: GitHub's rate limit is exhausted (${status})`);
        }
        const reason = unreadableReason(status);
        if (reason) throw new RepoUnreadableError(reason, `${repo.id}: GitHub answered ${status} (${message})`, status);
        throw new ForgeBusyError(`${repo.id}: GitHub answered ${status} (${message})`);
      }
      throw new ForgeBusyError(`${repo.id}: GitHub unavailable (${message})`);
    }
  }
}

function hasNext(link: string | undefined): boolean {
  return link !== undefined && /rel="next"/.test(link);
}
