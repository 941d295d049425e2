// A loopback GitHub REST API for tests and benchmarks, enough for reading a month of commits
// and who approved them; works with @octokit/rest (`new Octokit({ baseUrl: fake.url, auth })`).
// Commits are plain data (no git). Import from 'test/fakes/github'.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { apiRouter, errorHandler } from './api';
import { RequestControls, type FailureOptions, type RequestRecord } from '../shared/requestControls';
import * as json from './serialize';
import { Store, type CommitRec, type RepoRec } from './store';
import type { AddGitHubCommitInput, AddGitHubPullInput, AddGitHubRepoOptions, FakeGitHubOptions, ReviewInput } from './types';

export type * from './types';
export type { FailureOptions, RequestRecord } from '../shared/requestControls';

export interface FakeGitHubCommit {
  sha: string;
  parents: string[];
}

export interface FakeGitHub {
  /** API base for octokit's `baseUrl`, e.g. http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  /** A token the API accepts. */
  readonly token: string;
  stop(): Promise<void>;

  addRepo(path: string, opts?: AddGitHubRepoOptions): void;
  addCommit(path: string, commit: AddGitHubCommitInput): FakeGitHubCommit;
  /** Many commits in one go, oldest first (each becomes its branch's head in turn). */
  addCommits(path: string, commits: AddGitHubCommitInput[]): FakeGitHubCommit[];
  /** Points a branch at a commit (null deletes it). */
  setBranch(path: string, branch: string, sha: string | null): void;
  addPullRequest(path: string, pull: AddGitHubPullInput): { number: number };
  addReview(path: string, number: number, review: ReviewInput): { id: number };
  /** From now on the repository answers 403 to everyone (or normally again). */
  setForbidden(path: string, forbidden: boolean): void;
  addToken(token: string): void;

  /** Delay before every answer, in ms. */
  latencyMs: number;
  /**
   * The next `count` matching requests get `status`: 403 and 429 as GitHub's rate limits (403
   * with x-ratelimit-remaining: 0; with `retryAfter`, or 429, the secondary limit), 5xx as outages.
   */
  failNext(count: number, status: number, opts?: FailureOptions): void;
  failAlways(status: number, opts?: FailureOptions): void;
  clearFailures(): void;
  /** Every request so far, oldest first. */
  readonly requests: readonly RequestRecord[];
  clearRequests(): void;
}

/** Bodies of injected failures, as GitHub and the proxies in front of it answer. */
function outage(res: Response, status: number): void {
  if (status === 403 || status === 429) {
    // With a Retry-After, a secondary limit: the primary one is not used up then.
    const secondary = res.get('Retry-After') !== undefined || status === 429;
    res.set({
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': secondary ? '4990' : '0',
      'x-ratelimit-used': secondary ? '10' : '5000',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60),
    });
    const message = secondary
      ? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
      : 'API rate limit exceeded for user ID 1.';
    res.status(status).json(json.error(message, status, 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api'));
  } else if (status >= 502 && status <= 504) {
    res.status(status).type('text/html').send(`<html><body><h1>${status}</h1></body></html>\n`);
  } else {
    res.status(status).json(json.error(status >= 500 ? 'Server Error' : `Error ${status}`, status));
  }
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const store = new Store();
  const tokens = new Set(opts.tokens ?? ['ghp_fake']);
  const forbidden = new Set<RepoRec>();
  const controls = new RequestControls(outage);
  controls.latencyMs = opts.latencyMs ?? 0;
  let origin = '';

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(controls.middleware());
  app.use(apiRouter({ store, tokens, forbidden, origin: () => origin }));
  app.use(errorHandler((m) => console.warn(m)));

  const server = await new Promise<http.Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // Long enough for clients to reuse connections between pages, as the real services allow.
  server.keepAliveTimeout = 5000;
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const view = (c: CommitRec): FakeGitHubCommit => ({ sha: c.sha, parents: [...c.parents] });
  return {
    url: origin,
    token: [...tokens][0] ?? '',
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    addRepo: (path, o) => void store.addRepo(path, o),
    addCommit: (path, c) => view(store.addCommit(store.requireRepo(path), c)),
    addCommits: (path, list) => {
      const repo = store.requireRepo(path);
      return list.map((c) => view(store.addCommit(repo, c)));
    },
    setBranch: (path, branch, sha) => store.setBranch(store.requireRepo(path), branch, sha),
    addPullRequest: (path, p) => ({ number: store.addPull(store.requireRepo(path), p).number }),
    addReview: (path, number, review) => {
      const pull = store.requireRepo(path).pulls.get(number);
      if (!pull) throw new Error(`no pull request #${number} in ${path}`);
      return { id: store.addReview(pull, review).id };
    },
    setForbidden: (path, on) => {
      const repo = store.requireRepo(path);
      if (on) forbidden.add(repo);
      else forbidden.delete(repo);
    },
    addToken: (t) => void tokens.add(t),
    get latencyMs() {
      return controls.latencyMs;
    },
    set latencyMs(ms: number) {
      controls.latencyMs = ms;
    },
    failNext: (count, status, o) => controls.failNext(count, status, o),
    failAlways: (status, o) => controls.failAlways(status, o),
    clearFailures: () => controls.clearFailures(),
    get requests() {
      return controls.requests;
    },
    clearRequests: () => void controls.requests.splice(0),
  };
}
