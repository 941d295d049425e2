// The fake GitHub's records: repositories with plain-data commits, pull requests and reviews.
import { createHash } from 'node:crypto';
import type { AddGitHubCommitInput, AddGitHubPullInput, AddGitHubRepoOptions, ReviewState } from './types';

export interface ActorRec {
  name: string;
  email: string;
  date: string;
  dateMs: number;
  login?: string;
}

export interface CommitRec {
  sha: string;
  message: string;
  author: ActorRec;
  committer: ActorRec;
  parents: string[];
  /** Insertion order: breaks ties between commits of the same second. */
  seq: number;
}

export interface ReviewRec {
  id: number;
  user: string;
  state: ReviewState;
  body: string;
  submittedAt: string;
  commitId: string;
}

export interface PullRec {
  id: number;
  number: number;
  title: string;
  user: string;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  head: string;
  base: string;
  commits: string[];
  mergeCommitSha: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  reviews: ReviewRec[];
}

export interface RepoRec {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  private: boolean;
  branches: Map<string, string>;
  commits: Map<string, CommitRec>;
  pulls: Map<number, PullRec>;
}

export class Store {
  readonly repos = new Map<string, RepoRec>();
  /** Logins that appear anywhere, with the numeric ids the API reports. */
  readonly users = new Map<string, number>();
  private seq = 0;
  private nextRepoId = 1296269;
  private nextPullId = 1;
  private nextReviewId = 80;

  addRepo(path: string, opts: AddGitHubRepoOptions = {}): RepoRec {
    const [owner, name, ...rest] = path.split('/');
    if (!owner || !name || rest.length > 0) throw new Error(`repository path must be owner/repo: ${path}`);
    if (this.repos.has(path.toLowerCase())) throw new Error(`repository ${path} exists`);
    const repo: RepoRec = {
      id: this.nextRepoId++,
      owner,
      name,
      defaultBranch: opts.defaultBranch ?? 'main',
      private: opts.private ?? true,
      branches: new Map(),
      commits: new Map(),
      pulls: new Map(),
    };
    this.userId(owner);
    this.repos.set(path.toLowerCase(), repo);
    return repo;
  }

  /** Owner and repository names are case-insensitive on GitHub. */
  repo(owner: string, name: string): RepoRec | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoById(id: number): RepoRec | undefined {
    return [...this.repos.values()].find((r) => r.id === id);
  }

  requireRepo(path: string): RepoRec {
    const repo = this.repos.get(path.toLowerCase());
    if (!repo) throw new Error(`no repository ${path}`);
    return repo;
  }

  userId(login: string): number {
    let id = this.users.get(login);
    if (id === undefined) {
      id = 583231 + this.users.size;
      this.users.set(login, id);
    }
    return id;
  }

  addCommit(repo: RepoRec, c: AddGitHubCommitInput): CommitRec {
    const branch = c.branch ?? repo.defaultBranch;
    const head = repo.branches.get(branch);
    const parents = c.parents ?? (head ? [head] : []);
    const seq = ++this.seq;
    const author = actor(c.author);
    const committer = c.committer ? actor(c.committer) : author;
    const sha =
      c.sha ??
      createHash('sha1')
        .update(`${repo.id}\0${seq}\0${author.date}\0${committer.date}\0${c.message}\0${parents.join(' ')}`)
        .digest('hex');
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`sha must be 40 lowercase hex digits: ${sha}`);
    if (repo.commits.has(sha)) throw new Error(`commit ${sha} exists`);
    for (const login of [author.login, committer.login]) if (login) this.userId(login);
    const rec: CommitRec = { sha, message: c.message, author, committer, parents, seq };
    repo.commits.set(sha, rec);
    repo.branches.set(branch, sha);
    return rec;
  }

  setBranch(repo: RepoRec, name: string, sha: string | null): void {
    if (sha === null) repo.branches.delete(name);
    else {
      if (!repo.commits.has(sha)) throw new Error(`no commit ${sha}`);
      repo.branches.set(name, sha);
    }
  }

  addPull(repo: RepoRec, p: AddGitHubPullInput): PullRec {
    const number = p.number ?? Math.max(0, ...repo.pulls.keys()) + 1;
    if (repo.pulls.has(number)) throw new Error(`pull request #${number} exists`);
    for (const sha of p.commits) if (!repo.commits.has(sha)) throw new Error(`pull request commit ${sha} was never added`);
    const merged = p.merged ?? true;
    const at = new Date().toISOString();
    const created = p.createdAt ?? at;
    const closedAt = merged ? (p.closedAt ?? p.mergedAt ?? at) : p.state === 'closed' ? (p.closedAt ?? at) : null;
    const user = p.user ?? 'octocat';
    this.userId(user);
    const rec: PullRec = {
      id: this.nextPullId++,
      number,
      title: p.title ?? `Pull request #${number}`,
      user,
      state: merged || p.state === 'closed' ? 'closed' : 'open',
      merged,
      draft: p.draft ?? false,
      head: p.head ?? `feature-${number}`,
      base: p.base ?? repo.defaultBranch,
      commits: [...p.commits],
      mergeCommitSha: p.mergeCommitSha ?? null,
      createdAt: created,
      updatedAt: p.updatedAt ?? closedAt ?? created,
      closedAt,
      mergedAt: merged ? (p.mergedAt ?? closedAt) : null,
      reviews: [],
    };
    repo.pulls.set(number, rec);
    for (const r of p.reviews ?? []) this.addReview(rec, r);
    return rec;
  }

  addReview(pull: PullRec, r: NonNullable<AddGitHubPullInput['reviews']>[number]): ReviewRec {
    this.userId(r.user);
    const rec: ReviewRec = {
      id: this.nextReviewId++,
      user: r.user,
      state: r.state,
      body: r.body ?? '',
      submittedAt: r.submittedAt ?? new Date().toISOString(),
      commitId: r.commitId ?? pull.commits[pull.commits.length - 1] ?? '',
    };
    pull.reviews.push(rec);
    return rec;
  }

  /** A branch name, or a full or abbreviated (7+ digits) SHA. */
  resolve(repo: RepoRec, ref: string): string | undefined {
    const branch = repo.branches.get(ref);
    if (branch) return branch;
    if (repo.commits.has(ref)) return ref;
    if (/^[0-9a-f]{7,39}$/.test(ref)) {
      const hits = [...repo.commits.keys()].filter((s) => s.startsWith(ref));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  /**
   * `git log <tip>` order, which GitHub's commit list follows: repeatedly the newest (by
   * committer date) commit whose child was already listed, starting from the tip.
   */
  log(repo: RepoRec, tip: string): CommitRec[] {
    const newer = (a: CommitRec, b: CommitRec): boolean =>
      a.committer.dateMs !== b.committer.dateMs ? a.committer.dateMs > b.committer.dateMs : a.seq > b.seq;
    const queue: CommitRec[] = [];
    const queued = new Set<string>();
    const enqueue = (sha: string): void => {
      const c = repo.commits.get(sha);
      if (!c || queued.has(sha)) return;
      queued.add(sha);
      // Kept sorted oldest first, so the newest is popped from the end.
      let lo = 0;
      let hi = queue.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (newer(c, queue[mid])) lo = mid + 1;
        else hi = mid;
      }
      queue.splice(lo, 0, c);
    };
    enqueue(tip);
    const out: CommitRec[] = [];
    for (let c = queue.pop(); c; c = queue.pop()) {
      out.push(c);
      c.parents.forEach(enqueue);
    }
    return out;
  }

  /** Whether `sha` is reachable from `tip`. */
  contains(repo: RepoRec, tip: string, sha: string): boolean {
    return this.log(repo, tip).some((c) => c.sha === sha);
  }
}

function actor(a: { name: string; email: string; date: string; login?: string }): ActorRec {
  const dateMs = Date.parse(a.date);
  if (Number.isNaN(dateMs)) throw new Error(`date is not ISO 8601: ${a.date}`);
  return { name: a.name, email: a.email, date: a.date, dateMs, login: a.login };
}
