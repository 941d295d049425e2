// The HTTP side of the fake Bitbucket Cloud: the OAuth 2 token endpoint (bitbucket.org/site/
// oauth2/access_token) and the REST 2.0 endpoints a monthly commit reader calls
// (api.bitbucket.org/2.0/...), on one loopback origin.
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { applyFields, parseFields, type FieldSpec } from './fields';
import * as json from './serialize';
import type { CommitRec, PullRequestRec, RepoRec, Store } from './store';

type Json = json.Json;

/** An API error with Bitbucket's `{ type: 'error', error: { message } }` body. */
export class BitbucketError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface TokenRec {
  consumer: string;
  expiresAt: number;
}

export interface AuthState {
  consumers: Map<string, string>;
  tokens: Map<string, TokenRec>;
  refreshTokens: Map<string, string>;
  ttlSeconds: number;
  now: () => number;
}

/** The scopes a consumer with read access to repositories and pull requests is granted. */
const SCOPES = 'pullrequest repository';

export function issueToken(auth: AuthState, consumer: string): Json {
  const accessToken = randomBytes(24).toString('base64url');
  const refreshToken = randomBytes(12).toString('base64url');
  auth.tokens.set(accessToken, { consumer, expiresAt: auth.now() + auth.ttlSeconds * 1000 });
  auth.refreshTokens.set(refreshToken, consumer);
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: auth.ttlSeconds,
    scopes: SCOPES,
    refresh_token: refreshToken,
  };
}

/** OAuth 2 errors as RFC 6749 §5.2 spells them, with the 400 Bitbucket answers them with. */
function oauthError(res: Response, error: string, description: string): void {
  res.status(400).json({ error, error_description: description });
}

/** Client authentication: HTTP Basic (what Bitbucket's docs show) or client_id/client_secret in the form. */
function clientCredentials(req: Request): { key: string; secret: string } | undefined {
  const basic = req.get('authorization')?.match(/^Basic\s+(.+)$/i)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0 ? undefined : { key: decoded.slice(0, i), secret: decoded.slice(i + 1) };
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') {
    return { key: body.client_id, secret: body.client_secret };
  }
  return undefined;
}

export function tokenRouter(auth: AuthState): express.Router {
  const r = express.Router();
  r.post('/site/oauth2/access_token', express.urlencoded({ extended: false }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const client = clientCredentials(req);
    if (!client) {
      return oauthError(res, 'unauthorized_client', 'Requests must be authenticated using OAuth client credentials');
    }
    if (auth.consumers.get(client.key) !== client.secret) {
      return oauthError(res, 'unauthorized_client', 'Invalid OAuth client credentials');
    }
    const grant = body.grant_type;
    if (grant === 'client_credentials') return res.json(issueToken(auth, client.key));
    if (grant === 'refresh_token') {
      const refresh = typeof body.refresh_token === 'string' ? body.refresh_token : '';
      if (auth.refreshTokens.get(refresh) !== client.key) {
        return oauthError(res, 'invalid_grant', 'Invalid refresh_token');
      }
      auth.refreshTokens.delete(refresh);
      return res.json(issueToken(auth, client.key));
    }
    return oauthError(res, 'unsupported_grant_type', `Unsupported grant type: ${String(grant ?? '')}`);
  });
  return r;
}

const DEFAULT_PAGELEN = 30;
const MAX_PAGELEN = 100;
/** Bitbucket's pull request lists allow at most 50 per page (and default to 10). */
const PR_LIST_MAX_PAGELEN = 50;

function queryList(req: Request, name: string): string[] {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String).flatMap((s) => s.split(',')).filter((s) => s !== '');
}

function queryString(req: Request, name: string): string | undefined {
  const list = queryList(req, name);
  return list.length > 0 ? list[list.length - 1] : undefined;
}

function pagelenOf(req: Request, fallback: number, max: number): number {
  const raw = queryString(req, 'pagelen');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BitbucketError(400, `Invalid pagelen: ${raw}`);
  return Math.min(n, max);
}

/** This request's URL on the fake's own origin with `page` replaced: what `next` says. */
function withPage(origin: string, req: Request, page: string): string {
  const u = new URL(req.originalUrl, origin);
  u.searchParams.set('page', page);
  return `${origin}${u.pathname}${u.search}`;
}

// The commits listing pages by an opaque cursor (Bitbucket's own `next` links are not page
// numbers one could count up): it names the first commit of the next page, so a page stays
// where it was when newer commits are pushed meanwhile.
const CURSOR_PREFIX = 'bbc1:';
const encodeCursor = (hash: string): string => Buffer.from(`${CURSOR_PREFIX}${hash}`).toString('base64url');
function decodeCursor(page: string): string | undefined {
  const decoded = Buffer.from(page, 'base64url').toString('utf8');
  return decoded.startsWith(CURSOR_PREFIX) ? decoded.slice(CURSOR_PREFIX.length) : undefined;
}

/** A page of `list` by page number, as Bitbucket's numbered lists (pull requests) answer. */
function numberedPage<T>(origin: string, req: Request, list: T[], fallback: number, max: number): { page: Json; items: T[] } {
  const pagelen = pagelenOf(req, fallback, max);
  const raw = queryString(req, 'page') ?? '1';
  const page = Number(raw);
  if (!Number.isInteger(page) || page < 1) throw new BitbucketError(400, `Invalid page: ${raw}`);
  const items = list.slice((page - 1) * pagelen, page * pagelen);
  const more = page * pagelen < list.length;
  return {
    items,
    page: { size: list.length, page, pagelen, ...(more ? { next: withPage(origin, req, String(page + 1)) } : {}) },
  };
}

export interface ApiContext {
  store: Store;
  auth: AuthState;
  /** http://127.0.0.1:PORT, known once listening. */
  origin: () => string;
}

export function apiRouter(ctx: ApiContext): express.Router {
  const { store, auth } = ctx;
  const r = express.Router();

  // Every API call needs a bearer token from the token endpoint that has not expired.
  r.use((req, _res, next) => {
    const header = req.get('authorization');
    if (!header) throw new BitbucketError(401, 'Unauthorized');
    const token = header.match(/^Bearer\s+(.+)$/i)?.[1];
    const rec = token ? auth.tokens.get(token) : undefined;
    if (!rec) throw new BitbucketError(401, 'Token is invalid or not supported for this endpoint.');
    if (rec.expiresAt <= auth.now()) {
      throw new BitbucketError(401, 'Access token expired. Use your refresh token to obtain a new access token.');
    }
    next();
  });

  // Partial responses: `fields` shapes every successful answer (errors keep their body).
  r.use((req, res, next) => {
    const raw = queryList(req, 'fields');
    if (!raw.length) return next();
    const spec = parseFields(raw);
    if (!spec) throw new BitbucketError(400, `Invalid fields: ${raw.join(',')}`);
    const send = res.json.bind(res);
    res.json = (body: unknown) => send(res.statusCode < 300 && body && typeof body === 'object' && !Array.isArray(body) ? applyFields(body as Json, spec) : body);
    next();
  });

  const loadRepo = (req: Request): RepoRec => {
    const workspace = String(req.params.workspace);
    const slug = String(req.params.slug);
    const repo = store.repo(workspace, slug);
    if (!repo) throw new BitbucketError(404, `Repository ${workspace}/${slug} not found`);
    if (repo.forbidden) throw new BitbucketError(403, 'Access denied. You must have read access to this repository.');
    return repo;
  };
  const loadPr = (repo: RepoRec, req: Request): PullRequestRec => {
    const pr = repo.pullRequests.get(Number(req.params.id));
    if (!pr) throw new BitbucketError(404, `Pull request ${String(req.params.id)} not found`);
    return pr;
  };
  const revision = (repo: RepoRec, rev: string): string => {
    const hash = store.resolve(repo, rev);
    if (!hash) throw new BitbucketError(404, `Commit not found: ${rev}`);
    return hash;
  };

  const base = '/repositories/:workspace/:slug';

  r.get(base, (req, res) => {
    res.json(json.repository(ctx.origin(), loadRepo(req)));
  });

  // GET .../commits[/{revision}]: `git log --all` (or `git log <revision>`), narrowed by
  // include/exclude, newest first; paged by `next` only. No date filter exists.
  r.get([`${base}/commits`, `${base}/commits/:revision`], (req, res) => {
    const repo = loadRepo(req);
    const include = queryList(req, 'include').map((x) => revision(repo, x));
    if (req.params.revision !== undefined) include.unshift(revision(repo, String(req.params.revision)));
    const exclude = queryList(req, 'exclude').map((x) => revision(repo, x));
    const list = store.walk(repo, include, exclude);
    const pagelen = pagelenOf(req, DEFAULT_PAGELEN, MAX_PAGELEN);
    const page = queryString(req, 'page');
    let start = 0;
    if (page !== undefined) {
      const hash = decodeCursor(page);
      start = hash === undefined ? -1 : list.findIndex((c) => c.hash === hash);
      if (start < 0) throw new BitbucketError(400, `Invalid page: ${page}`);
    }
    const values = list.slice(start, start + pagelen);
    const after = list[start + pagelen];
    // A page is its skeleton with the commits' JSON spliced in, each commit serialised once per
    // `fields`: the fake stands in for Bitbucket's servers, and its CPU must not be what a
    // benchmark of many readers at once measures on a small machine.
    const fields = queryList(req, 'fields').join(',');
    const spec = fields ? parseFields([fields]) : undefined;
    const skeleton: Json = { pagelen, values: [], ...(after ? { next: withPage(ctx.origin(), req, encodeCursor(after.hash)) } : {}) };
    const shaped = spec ? applyFields(skeleton, spec) : skeleton;
    let body = JSON.stringify(shaped);
    if (Array.isArray(shaped.values)) {
      body = body.replace('"values":[]', `"values":[${values.map((c) => commitText(ctx.origin(), repo, c, fields, spec)).join(',')}]`);
    }
    res.type('application/json; charset=utf-8').send(body);
  });

  r.get(`${base}/commit/:commit`, (req, res) => {
    const repo = loadRepo(req);
    const c = repo.commits.get(revision(repo, String(req.params.commit))) as CommitRec;
    res.json(json.commit(ctx.origin(), repo, c));
  });

  // GET .../commit/{commit}/pullrequests: the pull requests the commit was part of (its
  // commits, or its merge commit). Needs the "Pull Request Commit Links" index: 202 while
  // Bitbucket builds it, 404 before.
  r.get(`${base}/commit/:commit/pullrequests`, (req, res) => {
    const repo = loadRepo(req);
    if (repo.pullRequestLinks === 'not-indexed') {
      throw new BitbucketError(404, 'Pull request commit links have not been indexed for this repository');
    }
    if (repo.pullRequestLinks === 'indexing') {
      res.status(202).json(json.error("The repository's pull requests are still being indexed."));
      return;
    }
    const sha = String(req.params.commit);
    const matches = (h: string | undefined): boolean => h !== undefined && (h === sha || (sha.length >= 7 && h.startsWith(sha)));
    const prs = [...repo.pullRequests.values()]
      .filter((pr) => pr.commits.some(matches) || matches(pr.mergeCommit))
      .sort((a, b) => b.id - a.id);
    const { page, items } = numberedPage(ctx.origin(), req, prs, DEFAULT_PAGELEN, MAX_PAGELEN);
    res.json({ ...page, values: items.map((pr) => json.pullRequest(ctx.origin(), repo, pr)) });
  });

  // GET .../pullrequests: OPEN ones unless `state` (repeatable) says otherwise; `sort` by
  // created_on, updated_on or id, `-` for descending. The `q` query language is not faked.
  r.get(`${base}/pullrequests`, (req, res) => {
    const repo = loadRepo(req);
    if (queryString(req, 'q') !== undefined) throw new BitbucketError(400, 'The fake Bitbucket does not implement q');
    const states = queryList(req, 'state').map((s) => s.toUpperCase());
    const wanted = states.length > 0 ? states : ['OPEN'];
    const sort = queryString(req, 'sort') ?? 'id';
    const field = sort.replace(/^-/, '');
    const key: Record<string, (pr: PullRequestRec) => number> = {
      id: (pr) => pr.id,
      created_on: (pr) => Date.parse(pr.createdOn),
      updated_on: (pr) => Date.parse(pr.updatedOn),
    };
    const by = key[field];
    if (!by) throw new BitbucketError(400, `Invalid sort field: ${field}`);
    const dir = sort.startsWith('-') ? -1 : 1;
    const prs = [...repo.pullRequests.values()]
      .filter((pr) => wanted.includes(pr.state))
      .sort((a, b) => (by(a) - by(b) || a.id - b.id) * dir);
    const { page, items } = numberedPage(ctx.origin(), req, prs, 10, PR_LIST_MAX_PAGELEN);
    res.json({ ...page, values: items.map((pr) => json.pullRequest(ctx.origin(), repo, pr)) });
  });

  r.get(`${base}/pullrequests/:id`, (req, res) => {
    const repo = loadRepo(req);
    res.json(json.pullRequest(ctx.origin(), repo, loadPr(repo, req)));
  });

  // GET .../pullrequests/{id}/commits: the commits recorded for it, newest first; hashes the
  // repository does not hold are listed with what is known (hash only).
  r.get(`${base}/pullrequests/:id/commits`, (req, res) => {
    const repo = loadRepo(req);
    const pr = loadPr(repo, req);
    const { page, items } = numberedPage(ctx.origin(), req, pr.commits, DEFAULT_PAGELEN, MAX_PAGELEN);
    res.json({
      ...page,
      values: items.map((h) => {
        const c = repo.commits.get(h);
        return c ? json.commit(ctx.origin(), repo, c) : { type: 'commit', hash: h };
      }),
    });
  });

  r.use(() => {
    throw new BitbucketError(404, 'Resource not found');
  });
  return r;
}

/** Commits never change once made: their JSON per `fields` is kept with them. */
const commitTexts = new WeakMap<CommitRec, Map<string, string>>();

function commitText(origin: string, repo: RepoRec, c: CommitRec, fields: string, spec: FieldSpec | undefined): string {
  let texts = commitTexts.get(c);
  if (!texts) commitTexts.set(c, (texts = new Map()));
  let text = texts.get(`${origin}\n${fields}`);
  if (text === undefined) {
    const value = json.commit(origin, repo, c);
    // The rules of `fields` are written from the page down: `values.links` and the like.
    const shaped = spec ? (applyFields({ values: [value] }, spec).values as Json[] | undefined)?.[0] : value;
    text = JSON.stringify(shaped ?? {});
    texts.set(`${origin}\n${fields}`, text);
  }
  return text;
}

/** Turns thrown BitbucketErrors (and body parser failures) into Bitbucket's error JSON. */
export function errorHandler(log: (m: string) => void) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    if (err instanceof BitbucketError) {
      res.status(err.status).json(json.error(err.message));
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json(json.error(err instanceof Error ? err.message : String(err)));
      return;
    }
    log(`fake bitbucket: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json(json.error('Internal Server Error'));
  };
}
