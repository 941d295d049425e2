// A loopback Bitbucket Cloud for tests and benchmarks: OAuth 2 client-credentials tokens and
// the REST 2.0 commits and pull request endpoints, with commits as plain data (no git), so a
// thousand of them are made in milliseconds. Import from 'test/fakes/bitbucket'.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { apiRouter, errorHandler, issueToken, tokenRouter, type AuthState } from './api';
import { RequestControls, type FailureOptions, type RequestRecord } from '../shared/requestControls';
import * as json from './serialize';
import { Store, type CommitRec } from './store';
import type {
  AddCommitInput,
  AddPullRequestInput,
  AddRepoOptions,
  FakeBitbucketOptions,
  PullRequestLinksState,
} from './types';

export type * from './types';
export type { FailureOptions, RequestRecord } from '../shared/requestControls';

/** What addCommit() made, as the API will list it. */
export interface FakeBitbucketCommit {
  sha: string;
  date: string;
  parents: string[];
}

export interface FakeBitbucket {
  /** API base, e.g. http://127.0.0.1:PORT/2.0 (no trailing slash). */
  readonly url: string;
  /** OAuth 2 token endpoint, e.g. http://127.0.0.1:PORT/site/oauth2/access_token. */
  readonly tokenUrl: string;
  /** The web origin links point at (stands in for bitbucket.org). */
  readonly webUrl: string;
  /** The consumer to use when none were configured. */
  readonly consumer: { key: string; secret: string };
  stop(): Promise<void>;

  addRepo(path: string, opts?: AddRepoOptions): void;
  addCommit(path: string, commit: AddCommitInput): FakeBitbucketCommit;
  /** Many commits in one go, oldest first (each becomes its branch's head in turn). */
  addCommits(path: string, commits: AddCommitInput[]): FakeBitbucketCommit[];
  /** Points a branch at a commit (null deletes it). */
  setBranch(path: string, branch: string, sha: string | null): void;
  addPullRequest(path: string, pr: AddPullRequestInput): { id: number };
  /** From now on every API request for this repository answers 403 (or normally again). */
  setForbidden(path: string, forbidden: boolean): void;
  /** How GET .../commit/{sha}/pullrequests answers for this repository (default 'indexed'). */
  setPullRequestLinks(path: string, state: PullRequestLinksState): void;

  addConsumer(key: string, secret: string): void;
  /** A valid access token without a round trip to the token endpoint. */
  issueToken(): string;
  /** Every access token issued so far stops working (401 "expired"), as after two hours. */
  expireTokens(): void;

  /** Delay before every answer, in ms. */
  latencyMs: number;
  /** The next `count` matching requests get `status` (e.g. 500, or 429 with `retryAfter`). */
  failNext(count: number, status: number, opts?: FailureOptions): void;
  /** Every matching request gets `status` until clearFailures(). */
  failAlways(status: number, opts?: FailureOptions): void;
  clearFailures(): void;
  /** Every request so far, oldest first (token requests included). */
  readonly requests: readonly RequestRecord[];
  clearRequests(): void;
}

const DEFAULT_CONSUMER = { key: 'bb-key', secret: 'bb-secret' };

/** Bodies of injected failures: Bitbucket's JSON for its own errors, a proxy page for 502-504. */
function outage(res: Response, status: number): void {
  if (status === 429) {
    res.status(429).json(json.error('Rate limit for this resource has been exceeded'));
  } else if (status >= 502 && status <= 504) {
    res.status(status).type('text/html').send(`<html><body><h1>${status}</h1></body></html>\n`);
  } else {
    res.status(status).json(json.error(status >= 500 ? 'Something went wrong' : `Error ${status}`));
  }
}

export async function startFakeBitbucket(opts: FakeBitbucketOptions = {}): Promise<FakeBitbucket> {
  const store = new Store();
  const consumers = opts.consumers ?? [DEFAULT_CONSUMER];
  const auth: AuthState = {
    consumers: new Map(consumers.map((c) => [c.key, c.secret])),
    tokens: new Map(),
    refreshTokens: new Map(),
    ttlSeconds: opts.tokenTtlSeconds ?? 7200,
    now: opts.now ?? Date.now,
  };
  const controls = new RequestControls(outage);
  controls.latencyMs = opts.latencyMs ?? 0;
  let origin = '';

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(controls.middleware());
  app.use(tokenRouter(auth));
  app.use('/2.0', apiRouter({ store, auth, origin: () => origin }));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not Found\n');
  });
  app.use(errorHandler((m) => console.warn(m)));

  const server = await new Promise<http.Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // Long enough for clients to reuse connections between pages, as the real services allow.
  server.keepAliveTimeout = 5000;
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const view = (c: CommitRec): FakeBitbucketCommit => ({ sha: c.hash, date: c.date, parents: [...c.parents] });
  return {
    url: `${origin}/2.0`,
    tokenUrl: `${origin}/site/oauth2/access_token`,
    webUrl: origin,
    consumer: consumers[0] ?? DEFAULT_CONSUMER,
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
    addPullRequest: (path, pr) => ({ id: store.addPullRequest(store.requireRepo(path), pr).id }),
    setForbidden: (path, forbidden) => void (store.requireRepo(path).forbidden = forbidden),
    setPullRequestLinks: (path, state) => void (store.requireRepo(path).pullRequestLinks = state),
    addConsumer: (key, secret) => void auth.consumers.set(key, secret),
    issueToken: () => String(issueToken(auth, consumers[0]?.key ?? DEFAULT_CONSUMER.key).access_token),
    expireTokens: () => {
      for (const t of auth.tokens.values()) t.expiresAt = 0;
    },
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
