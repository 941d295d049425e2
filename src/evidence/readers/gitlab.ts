import { inWindow } from '../../domain/evidence/month';
import type { CollectedCommit, EvidenceRepo } from '../../domain/evidence/types';
import { ForgeError, ForgeUnavailableError } from '../../forges/forge';
import type { GitLabForge } from '../../forges/gitlab';
import {
  ForgeBusyError,
  RepoUnreadableError,
  type ApprovalsPage,
  type CommitsPage,
  type EvidenceReader,
  type ReadWindow,
} from './types';

/**
 * GitLab through Shepherd's own GitLab adapter (gitbeaker): since/until filter on the commit date,
 * so every page is in the window; page numbers are the cursors.
 */
export class GitLabReader implements EvidenceReader {
  constructor(private readonly gitlab: GitLabForge) {}

  async commitsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<CommitsPage> {
    const { commits, nextPage } = await this.call(repo, () => this.gitlab.commitsPage(repo.path, window, Number(cursor ?? '1')));
    return {
      // GitLab's until is inclusive: a commit at midnight on the 1st belongs to the next month only.
      commits: commits.filter((c) => inWindow(c.committedDate, window)).map(
        (c): CollectedCommit => ({
          repo: repo.id,
          sha: c.sha,
          date: c.committedDate,
          url: c.webUrl,
          author: { name: c.authorName, email: c.authorEmail },
          message: c.message,
          parentCount: c.parentCount,
          approvers: [],
        }),
      ),
      ...(nextPage ? { next: String(nextPage) } : {}),
    };
  }

  async approvalsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<ApprovalsPage> {
    const { requests, nextPage } = await this.call(repo, () => this.gitlab.mergedRequestsPage(repo.path, window.since, Number(cursor ?? '1')));
    const approvals = requests.flatMap((mr) =>
      mr.shas.map((sha) => ({
        sha,
        approvers: mr.approvers.map((u) => ({ name: u.name, username: u.username, ...(u.email ? { email: u.email } : {}) })),
      })),
    );
    return { approvals, ...(nextPage ? { next: String(nextPage) } : {}) };
  }

  private async call<T>(repo: EvidenceRepo, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ForgeUnavailableError) throw new ForgeBusyError(`${repo.id}: ${e.message}`);
      if (e instanceof ForgeError && (e.kind === 'not-found' || e.kind === 'forbidden' || e.kind === 'unauthorized')) {
        throw new RepoUnreadableError(e.kind, `${repo.id}: ${e.message}`);
      }
      // GitLab refused the request itself (400, 422): asking again gets the same answer.
      if (e instanceof ForgeError && e.kind === 'invalid') throw new RepoUnreadableError('refused', `${repo.id}: ${e.message}`);
      throw e;
    }
  }
}
