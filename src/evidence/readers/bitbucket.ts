import { inWindow } from '../../domain/evidence/month';
import type { CollectedCommit, EvidenceRepo, Identity } from '../../domain/evidence/types';
import { JsonClient, type JsonAnswer } from './httpJson';
import {
  ForgeBusyError,
  parseRawAuthor,
  RepoUnreadableError,
  unreadableReason,
  type ApprovalsPage,
  type CommitsPage,
  type EvidenceReader,
  type ReadWindow,
} from './types';

export interface BitbucketReaderOptions {
  /** API base, e.g. https://api.bitbucket.org/2.0 */
  apiUrl: string;
  /** OAuth 2 token endpoint, e.g. https://bitbucket.org/site/oauth2/access_token */
  tokenUrl: string;
  /** OAuth consumer key and secret (client-credentials grant). */
  key: string;
  secret: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

interface BitbucketUser {
  display_name?: string;
  nickname?: string;
  account_id?: string;
}

interface BitbucketCommit {
  hash: string;
  date: string;
  message?: string;
  author?: { raw?: string; user?: BitbucketUser };
  parents?: Array<{ hash: string }>;
  links?: { html?: { href?: string } };
}

interface BitbucketPullRequest {
  id: number;
  updated_on: string;
  merge_commit?: { hash?: string } | null;
  participants?: Array<{ user?: BitbucketUser; approved?: boolean }>;
}

interface Paged<T> {
  values: T[];
  next?: string;
}

/**
 * Bitbucket's partial responses (`fields`, `-` removes a field of every value): a commit comes
 * with its repository, its parents' links and six links besides the web page, four times what
 * the report reads. Removing them makes pages a quarter of the size to send and to parse. The
 * `next` links Bitbucket answers keep the query, `fields` included.
 */
const COMMIT_FIELDS = [
  '-values.repository',
  '-values.summary',
  '-values.parents.links',
  '-values.author.user.links',
  ...['self', 'diff', 'patch', 'comments', 'approve', 'statuses'].map((link) => `-values.links.${link}`),
].join(',');
/** Of a pull request's commits only the hashes are read. */
const PR_COMMIT_FIELDS = ['-values.repository', '-values.summary', '-values.links', '-values.parents', '-values.author', '-values.message'].join(',');

/**
 * Bitbucket Cloud 2.0 over plain HTTP, as the seed reads it: the commits endpoint has no date
 * filter and pages newest first, so pages are followed by their `next` link exactly until one
 * reaches past the start of the month.
 */
export class BitbucketReader implements EvidenceReader {
  private token: { value: string; expiresAt: number } | undefined;
  /** Authors parsed so far: a month's commits come from a few people, each thousands of times. */
  private readonly authors = new Map<string, Identity>();
  private readonly apiUrl: string;
  private readonly http = new JsonClient();

  constructor(private readonly opts: BitbucketReaderOptions) {
    this.apiUrl = opts.apiUrl.replace(/\/+$/, '');
  }

  async commitsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<CommitsPage> {
    const page = await this.get<Paged<BitbucketCommit>>(repo, cursor ?? `${this.apiUrl}/repositories/${repo.path}/commits?fields=${encodeURIComponent(COMMIT_FIELDS)}`);
    const commits: CollectedCommit[] = [];
    let pastWindow = false;
    const since = Date.parse(window.since);
    const until = Date.parse(window.until);
    for (const c of page.values) {
      const at = Date.parse(c.date);
      if (Number.isNaN(at)) inWindow(c.date, window); // throws, naming the date nobody can read
      if (at < since) pastWindow = true;
      if (!(since <= at && at < until)) continue;
      commits.push({
        repo: repo.id,
        sha: c.hash,
        date: c.date,
        url: c.links?.html?.href ?? `https://bitbucket.org/${repo.path}/commits/${c.hash}`,
        author: { ...this.author(c.author?.raw ?? ''), ...userIdentity(c.author?.user) },
        message: c.message ?? '',
        parentCount: c.parents?.length ?? 0,
        approvers: [],
      });
    }
    return { commits, ...(page.next && !pastWindow ? { next: page.next } : {}) };
  }

  private author(raw: string): Identity {
    let known = this.authors.get(raw);
    if (!known) {
      if (this.authors.size >= 10_000) this.authors.clear();
      known = parseRawAuthor(raw);
      this.authors.set(raw, known);
    }
    return known;
  }

  /** Merged pull requests, most recently updated first, until one was last updated before the month. */
  async approvalsPage(repo: EvidenceRepo, window: ReadWindow, cursor: string | undefined): Promise<ApprovalsPage> {
    const first = `${this.apiUrl}/repositories/${repo.path}/pullrequests?state=MERGED&sort=-updated_on`;
    const page = await this.get<Paged<BitbucketPullRequest>>(repo, cursor ?? first);
    const recent = page.values.filter((pr) => Date.parse(pr.updated_on) >= Date.parse(window.since));
    const approvals = (
      await Promise.all(
        recent.map(async (listed) => {
          const pr = await this.get<BitbucketPullRequest>(repo, `${this.apiUrl}/repositories/${repo.path}/pullrequests/${listed.id}`);
          const approvers: Identity[] = (pr.participants ?? []).filter((p) => p.approved).map((p) => userIdentity(p.user));
          if (!approvers.length) return [];
          const shas = new Set<string>();
          let url: string | undefined = `${this.apiUrl}/repositories/${repo.path}/pullrequests/${listed.id}/commits?fields=${encodeURIComponent(PR_COMMIT_FIELDS)}`;
          while (url) {
            const commits: Paged<BitbucketCommit> = await this.get<Paged<BitbucketCommit>>(repo, url);
            for (const c of commits.values) shas.add(c.hash);
            url = commits.next;
          }
          const merge = pr.merge_commit?.hash ?? listed.merge_commit?.hash;
          if (merge) shas.add(merge);
          return [...shas].map((sha) => ({ sha, approvers }));
        }),
      )
    ).flat();
    const olderSeen = recent.length < page.values.length;
    return { approvals, ...(page.next && !olderSeen ? { next: page.next } : {}) };
  }

  private async get<T>(repo: EvidenceRepo, url: string, retried = false): Promise<T> {
    const token = await this.accessToken();
    const answer = await this.send(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    if (answer.status === 401 && !retried) {
      // Client-credentials tokens expire (about two hours): get a new one once.
      this.token = undefined;
      return this.get(repo, url, true);
    }
    if (answer.status < 200 || answer.status > 299) throw this.failure(repo, answer);
    if (answer.body === undefined) throw new ForgeBusyError(`${repo.id}: Bitbucket answered ${answer.status} without JSON`);
    return answer.body as T;
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 60_000) return this.token.value;
    const basic = Buffer.from(`${this.opts.key}:${this.opts.secret}`).toString('base64');
    const answer = await this.send(this.opts.tokenUrl, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: 'grant_type=client_credentials',
    });
    if (answer.status >= 500 || answer.status === 429) throw new ForgeBusyError(`Bitbucket's token endpoint answered ${answer.status}`);
    if (answer.status < 200 || answer.status > 299) {
      // The consumer key or secret is wrong: not an outage, and retrying will not fix it.
      throw new RepoUnreadableError('unauthorized', `Bitbucket refused the OAuth consumer (${answer.status}): check bitbucket-oauth-key and bitbucket-oauth-secret`);
    }
    const body = answer.body as { access_token?: string; expires_in?: number } | undefined;
    if (!body?.access_token) throw new ForgeBusyError("Bitbucket's token endpoint answered without an access_token");
    this.token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
    return this.token.value;
  }

  private async send(url: string, init: { method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<JsonAnswer> {
    try {
      return await this.http.request(url, { ...init, timeoutMs: this.opts.timeoutMs ?? 30_000 });
    } catch (e) {
      throw new ForgeBusyError(`Bitbucket unavailable: ${new URL(url).pathname} failed (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private failure(repo: EvidenceRepo, answer: JsonAnswer): Error {
    const reason = unreadableReason(answer.status);
    const detail = (answer.body as { error?: { message?: string } } | undefined)?.error?.message ?? '';
    const text = `${repo.id}: Bitbucket answered ${answer.status}${detail ? ` (${detail})` : ''}`;
    return reason ? new RepoUnreadableError(reason, text, answer.status) : new ForgeBusyError(text);
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.http.close();
  }
}

function userIdentity(user: BitbucketUser | undefined): Identity {
  if (!user) return {};
  return { ...(user.display_name ? { name: user.display_name } : {}), ...(user.nickname ? { username: user.nickname } : {}) };
}
