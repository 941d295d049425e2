// The fake Bitbucket's records: repositories with plain-data commits and pull requests, and the
// commit walk Bitbucket's commits endpoint pages through.
import { createHash } from 'node:crypto';
import type {
  AddCommitInput,
  AddPullRequestInput,
  AddRepoOptions,
  BitbucketUserInput,
  ParticipantRole,
  ParticipantState,
  PullRequestLinksState,
  PullRequestState,
} from './types';

export interface UserRec {
  displayName: string;
  nickname: string;
  accountId: string;
  uuid: string;
}

export interface CommitRec {
  hash: string;
  date: string;
  dateMs: number;
  message: string;
  authorName: string;
  authorEmail: string;
  user?: UserRec;
  parents: string[];
  /** Insertion order: breaks ties between commits of the same second. */
  seq: number;
}

export interface ParticipantRec {
  user: UserRec;
  role: ParticipantRole;
  approved: boolean;
  state: ParticipantState;
}

export interface PullRequestRec {
  id: number;
  title: string;
  state: PullRequestState;
  author: UserRec;
  commits: string[];
  mergeCommit?: string;
  sourceBranch: string;
  destinationBranch: string;
  participants: ParticipantRec[];
  createdOn: string;
  updatedOn: string;
}

export interface RepoRec {
  workspace: string;
  slug: string;
  uuid: string;
  mainBranch: string;
  forbidden: boolean;
  pullRequestLinks: PullRequestLinksState;
  branches: Map<string, string>;
  commits: Map<string, CommitRec>;
  pullRequests: Map<number, PullRequestRec>;
  /** Bumped on every change, so cached walks are dropped. */
  version: number;
  walks: Map<string, { version: number; list: CommitRec[] }>;
}

export class RepoPathError extends Error {}

function uuidFrom(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}}`;
}

export function toUser(u: BitbucketUserInput): UserRec {
  const nickname = u.nickname ?? u.displayName.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return {
    displayName: u.displayName,
    nickname,
    accountId: u.accountId ?? `557058:${createHash('sha1').update(nickname).digest('hex').slice(0, 24)}`,
    uuid: u.uuid ?? uuidFrom(`user:${nickname}`),
  };
}

export class Store {
  readonly repos = new Map<string, RepoRec>();
  private seq = 0;

  addRepo(path: string, opts: AddRepoOptions = {}): RepoRec {
    const [workspace, slug, ...rest] = path.split('/');
    if (!workspace || !slug || rest.length > 0) throw new RepoPathError(`repository path must be workspace/slug: ${path}`);
    const key = repoKey(workspace, slug);
    if (this.repos.has(key)) throw new RepoPathError(`repository ${path} exists`);
    const repo: RepoRec = {
      workspace,
      slug,
      uuid: uuidFrom(`repo:${key}`),
      mainBranch: opts.mainBranch ?? 'main',
      forbidden: opts.forbidden ?? false,
      pullRequestLinks: 'indexed',
      branches: new Map(),
      commits: new Map(),
      pullRequests: new Map(),
      version: 0,
      walks: new Map(),
    };
    this.repos.set(key, repo);
    return repo;
  }

  /** Repository slugs are case-insensitive on Bitbucket. */
  repo(workspace: string, slug: string): RepoRec | undefined {
    return this.repos.get(repoKey(workspace, slug));
  }

  requireRepo(path: string): RepoRec {
    const [workspace, slug] = path.split('/');
    const repo = this.repo(workspace ?? '', slug ?? '');
    if (!repo) throw new RepoPathError(`no repository ${path}`);
    return repo;
  }

  addCommit(repo: RepoRec, c: AddCommitInput): CommitRec {
    const branch = c.branch ?? repo.mainBranch;
    const head = repo.branches.get(branch);
    const parents = c.parents ?? (head ? [head] : []);
    const dateMs = Date.parse(c.date);
    if (Number.isNaN(dateMs)) throw new Error(`commit date is not ISO 8601: ${c.date}`);
    const seq = ++this.seq;
    const hash =
      c.sha ??
      createHash('sha1')
        .update(`${repo.uuid}\0${seq}\0${c.date}\0${c.message}\0${parents.join(' ')}`)
        .digest('hex');
    if (!/^[0-9a-f]{40}$/.test(hash)) throw new Error(`sha must be 40 lowercase hex digits: ${hash}`);
    if (repo.commits.has(hash)) throw new Error(`commit ${hash} exists`);
    const rec: CommitRec = {
      hash,
      date: c.date,
      dateMs,
      message: c.message,
      authorName: c.author.name,
      authorEmail: c.author.email,
      user: c.author.user ? toUser(c.author.user) : undefined,
      parents,
      seq,
    };
    repo.commits.set(hash, rec);
    repo.branches.set(branch, hash);
    repo.version++;
    return rec;
  }

  setBranch(repo: RepoRec, name: string, hash: string | null): void {
    if (hash === null) repo.branches.delete(name);
    else {
      if (!repo.commits.has(hash)) throw new Error(`no commit ${hash}`);
      repo.branches.set(name, hash);
    }
    repo.version++;
  }

  addPullRequest(repo: RepoRec, pr: AddPullRequestInput): PullRequestRec {
    const id = pr.id ?? Math.max(0, ...repo.pullRequests.keys()) + 1;
    if (repo.pullRequests.has(id)) throw new Error(`pull request #${id} exists`);
    const at = new Date().toISOString();
    const rec: PullRequestRec = {
      id,
      title: pr.title ?? `Pull request #${id}`,
      state: pr.state ?? 'MERGED',
      author: toUser(pr.author ?? { displayName: 'Pat Author', nickname: 'pat' }),
      commits: [...pr.commits],
      mergeCommit: pr.mergeCommit,
      sourceBranch: pr.sourceBranch ?? `feature/${id}`,
      destinationBranch: pr.destinationBranch ?? repo.mainBranch,
      participants: (pr.participants ?? []).map((p) => {
        const approved = p.approved ?? p.state === 'approved';
        return {
          user: toUser(p.user),
          role: p.role ?? 'PARTICIPANT',
          approved,
          state: p.state !== undefined ? p.state : approved ? 'approved' : null,
        };
      }),
      createdOn: pr.createdOn ?? at,
      updatedOn: pr.updatedOn ?? pr.createdOn ?? at,
    };
    repo.pullRequests.set(id, rec);
    return rec;
  }

  /** A branch name or a (full or abbreviated, at least 7 digits) hash. */
  resolve(repo: RepoRec, rev: string): string | undefined {
    const branch = repo.branches.get(rev);
    if (branch) return branch;
    if (repo.commits.has(rev)) return rev;
    if (/^[0-9a-f]{7,39}$/.test(rev)) {
      const hits = [...repo.commits.keys()].filter((h) => h.startsWith(rev));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  /**
   * The commits reachable from `include` (every branch when empty, as `git log --all`) and not
   * from `exclude`, newest first in topological order: a commit always comes before its
   * parents, and among the commits whose children are all listed the newest goes first.
   */
  walk(repo: RepoRec, include: string[], exclude: string[]): CommitRec[] {
    const key = `${include.join(',')}^${exclude.join(',')}`;
    const cached = repo.walks.get(key);
    if (cached && cached.version === repo.version) return cached.list;
    const excluded = this.reachable(repo, exclude);
    const tips = include.length > 0 ? include : [...repo.branches.values()];
    const set = this.reachable(repo, tips, excluded);
    const children = new Map<string, number>();
    for (const h of set) {
      for (const p of repo.commits.get(h)?.parents ?? []) {
        if (set.has(p)) children.set(p, (children.get(p) ?? 0) + 1);
      }
    }
    const ready = new MaxHeap<CommitRec>((a, b) => a.dateMs - b.dateMs || a.seq - b.seq);
    for (const h of set) {
      if (!children.get(h)) ready.push(repo.commits.get(h) as CommitRec);
    }
    const list: CommitRec[] = [];
    for (let c = ready.pop(); c; c = ready.pop()) {
      list.push(c);
      for (const p of c.parents) {
        if (!set.has(p)) continue;
        const left = (children.get(p) ?? 0) - 1;
        children.set(p, left);
        if (left === 0) ready.push(repo.commits.get(p) as CommitRec);
      }
    }
    repo.walks.set(key, { version: repo.version, list });
    return list;
  }

  private reachable(repo: RepoRec, tips: string[], stop: Set<string> = new Set()): Set<string> {
    const seen = new Set<string>();
    const todo = tips.filter((t) => repo.commits.has(t));
    while (todo.length > 0) {
      const h = todo.pop() as string;
      if (seen.has(h) || stop.has(h)) continue;
      seen.add(h);
      for (const p of repo.commits.get(h)?.parents ?? []) if (repo.commits.has(p)) todo.push(p);
    }
    return seen;
  }
}

export function repoKey(workspace: string, slug: string): string {
  return `${workspace.toLowerCase()}/${slug.toLowerCase()}`;
}

/** A binary heap, largest first by `compare`. */
class MaxHeap<T> {
  private items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.compare(a[i], a[parent]) <= 0) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.compare(a[l], a[m]) > 0) m = l;
        if (r < a.length && this.compare(a[r], a[m]) > 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
