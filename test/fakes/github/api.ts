// The REST endpoints of the fake GitHub: repositories' commits (since/until on the committer
// date), pull requests, the pull requests of a commit, and reviews. Lists page by `page` and
// `per_page` and say so in a `Link` header on the fake's own origin.
import express, { type NextFunction, type Request, type Response } from 'express';
import * as json from './serialize';
import type { CommitRec, PullRec, RepoRec, Store } from './store';

/** An API error with GitHub's `{ message, documentation_url, status }` body. */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl?: string,
  ) {
    super(message);
  }
}

const DOCS = 'https://docs.github.com/rest';

export interface ApiContext {
  store: Store;
  tokens: Set<string>;
  /** Repositories that answer 403 to everyone. */
  forbidden: Set<RepoRec>;
  /** http://127.0.0.1:PORT, known once listening. */
  origin: () => string;
}

function query(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (Array.isArray(v)) return v.length > 0 ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * One page of `list` by `page` and `per_page` (default 30, at most 100), with GitHub's Link
 * header. Like GitHub, the links name the repository by id (`/repositories/{id}/...`): a
 * client must follow them as given rather than rebuild them.
 */
function paginate<T>(ctx: ApiContext, req: Request, res: Response, repo: RepoRec, list: T[]): T[] {
  const perPage = Math.min(positiveInt(query(req, 'per_page'), 30), 100);
  const page = positiveInt(query(req, 'page'), 1);
  const last = Math.max(1, Math.ceil(list.length / perPage));
  const rest = req.path.replace(/^\/repos\/[^/]+\/[^/]+|^\/repositories\/\d+/, '');
  const link = (n: number): string => {
    const u = new URL(req.originalUrl, ctx.origin());
    u.searchParams.set('page', String(n));
    return `${ctx.origin()}/repositories/${repo.id}${rest}${u.search}`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${link(Math.min(page - 1, last))}>; rel="prev"`);
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
  if (rels.length > 0) res.set('Link', rels.join(', '));
  return list.slice((page - 1) * perPage, page * perPage);
}

function parseTime(req: Request, name: string): number | undefined {
  const raw = query(req, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new GitHubError(400, `Invalid value for parameter '${name}': ${raw}`);
  return ms;
}

export function apiRouter(ctx: ApiContext): express.Router {
  const { store } = ctx;
  const r = express.Router();

  // `Authorization: token X` or `Bearer X`. A wrong token is refused outright; no token at all
  // is anonymous, and private repositories do not exist for anonymous callers (404).
  r.use((req, res, next) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const token = header.match(/^(?:token|bearer)\s+(.+)$/i)?.[1];
      if (!token || !ctx.tokens.has(token)) throw new GitHubError(401, 'Bad credentials', DOCS);
      res.locals.authenticated = true;
    }
    next();
  });

  const loadRepo = (req: Request, res: Response): RepoRec => {
    const repo =
      req.params.rid !== undefined
        ? store.repoById(Number(req.params.rid))
        : store.repo(String(req.params.owner), String(req.params.repo));
    if (!repo || (repo.private && res.locals.authenticated !== true)) throw new GitHubError(404, 'Not Found', DOCS);
    if (ctx.forbidden.has(repo)) throw new GitHubError(403, 'Resource not accessible by personal access token', DOCS);
    return repo;
  };
  const loadPull = (repo: RepoRec, req: Request): PullRec => {
    const p = repo.pulls.get(Number(req.params.number));
    if (!p) throw new GitHubError(404, 'Not Found', `${DOCS}/pulls/pulls#get-a-pull-request`);
    return p;
  };
  const commitOr422 = (repo: RepoRec, ref: string): CommitRec => {
    const sha = store.resolve(repo, ref);
    if (!sha) throw new GitHubError(422, `No commit found for SHA: ${ref}`, `${DOCS}/commits/commits`);
    return repo.commits.get(sha) as CommitRec;
  };
  /** Registers a route under /repos/{owner}/{repo} and under /repositories/{id}, where Link headers point. */
  const get = (suffix: string, handler: (req: Request, res: Response) => void): void => {
    r.get([`/repos/:owner/:repo${suffix}`, `/repositories/:rid${suffix}`], handler);
  };

  get('', (req, res) => {
    res.json(json.repository(ctx.origin(), store, loadRepo(req, res)));
  });

  // GET .../commits: `git log <sha>` (default branch by default), filtered by the committer
  // date (`since` and `until`, both inclusive) and optionally by author login or email.
  get('/commits', (req, res) => {
    const repo = loadRepo(req, res);
    if (repo.commits.size === 0) throw new GitHubError(409, 'Git Repository is empty.', `${DOCS}/commits/commits#list-commits`);
    if (query(req, 'path') !== undefined) throw new GitHubError(400, 'The fake GitHub does not implement path');
    const ref = query(req, 'sha') ?? repo.defaultBranch;
    const tip = store.resolve(repo, ref);
    if (!tip) throw new GitHubError(404, 'Not Found', `${DOCS}/commits/commits#list-commits`);
    const since = parseTime(req, 'since');
    const until = parseTime(req, 'until');
    const author = query(req, 'author')?.toLowerCase();
    const list = store
      .log(repo, tip)
      .filter((c) => (since === undefined || c.committer.dateMs >= since) && (until === undefined || c.committer.dateMs <= until))
      .filter((c) => !author || c.author.login?.toLowerCase() === author || c.author.email.toLowerCase() === author);
    res.json(paginate(ctx, req, res, repo, list).map((c) => json.commit(ctx.origin(), store, repo, c)));
  });

  get('/commits/:ref', (req, res) => {
    const repo = loadRepo(req, res);
    res.json(json.commit(ctx.origin(), store, repo, commitOr422(repo, String(req.params.ref))));
  });

  // GET .../commits/{sha}/pulls: the merged pull request that brought the commit (its commits
  // or merge commit); for a commit not on the default branch, open ones too.
  get('/commits/:sha/pulls', (req, res) => {
    const repo = loadRepo(req, res);
    const c = commitOr422(repo, String(req.params.sha));
    const defaultHead = repo.branches.get(repo.defaultBranch);
    const onDefault = defaultHead !== undefined && store.contains(repo, defaultHead, c.sha);
    const pulls = [...repo.pulls.values()]
      .filter((p) => p.commits.includes(c.sha) || p.mergeCommitSha === c.sha)
      .filter((p) => p.merged || (!onDefault && p.state === 'open'))
      .sort((a, b) => b.number - a.number);
    res.json(paginate(ctx, req, res, repo, pulls).map((p) => json.pullSimple(ctx.origin(), store, repo, p)));
  });

  // GET .../pulls: open ones by default; sort created (default, newest first), updated,
  // popularity or long-running; direction asc or desc.
  get('/pulls', (req, res) => {
    const repo = loadRepo(req, res);
    const state = query(req, 'state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) throw new GitHubError(422, 'Validation Failed', `${DOCS}/pulls/pulls#list-pull-requests`);
    const sort = query(req, 'sort') ?? 'created';
    const direction = query(req, 'direction') ?? (sort === 'created' ? 'desc' : 'asc');
    const head = query(req, 'head');
    const base = query(req, 'base');
    const key = (p: PullRec): number =>
      sort === 'updated' ? Date.parse(p.updatedAt) : sort === 'long-running' ? -Date.parse(p.createdAt) : Date.parse(p.createdAt);
    const pulls = [...repo.pulls.values()]
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => !base || p.base === base)
      .filter((p) => !head || `${repo.owner}:${p.head}` === head)
      .sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === 'desc' ? -1 : 1));
    res.json(paginate(ctx, req, res, repo, pulls).map((p) => json.pullSimple(ctx.origin(), store, repo, p)));
  });

  get('/pulls/:number', (req, res) => {
    const repo = loadRepo(req, res);
    res.json(json.pull(ctx.origin(), store, repo, loadPull(repo, req)));
  });

  // GET .../pulls/{n}/commits: oldest first, at most 250 (GitHub's documented limit).
  get('/pulls/:number/commits', (req, res) => {
    const repo = loadRepo(req, res);
    const commits = loadPull(repo, req)
      .commits.slice(0, 250)
      .map((sha) => repo.commits.get(sha) as CommitRec);
    res.json(paginate(ctx, req, res, repo, commits).map((c) => json.commit(ctx.origin(), store, repo, c)));
  });

  // GET .../pulls/{n}/reviews: in chronological order.
  get('/pulls/:number/reviews', (req, res) => {
    const repo = loadRepo(req, res);
    const p = loadPull(repo, req);
    const reviews = [...p.reviews].sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt) || a.id - b.id);
    res.json(paginate(ctx, req, res, repo, reviews).map((rv) => json.review(ctx.origin(), store, repo, p, rv)));
  });

  r.use(() => {
    throw new GitHubError(404, 'Not Found', DOCS);
  });
  return r;
}

export function errorHandler(log: (m: string) => void) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    if (err instanceof GitHubError) {
      res.status(err.status).json(json.error(err.message, err.status, err.documentationUrl));
      return;
    }
    log(`fake github: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json(json.error('Server Error', 500));
  };
}
