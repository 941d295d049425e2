// The fake Bitbucket Cloud, through plain HTTP as any client would call it: OAuth 2
// client-credentials tokens, the commits listing paged only by `next`, pull requests of a
// commit, errors, and the test controls (failures, latency, request log).
import { startFakeBitbucket, type AddCommitInput, type FakeBitbucket } from '../../fakes/bitbucket';

type Json = Record<string, unknown>;
interface Page {
  pagelen: number;
  values: Json[];
  next?: string;
  page?: number;
  size?: number;
}

let bb: FakeBitbucket;
let token: string;

beforeAll(async () => {
  bb = await startFakeBitbucket();
  token = await grant(bb.consumer.key, bb.consumer.secret).then((r) => String(r.body.access_token));
});

afterAll(async () => {
  await bb?.stop();
});

beforeEach(() => {
  bb.clearFailures();
  bb.latencyMs = 0;
});

async function grant(key: string, secret: string, body = 'grant_type=client_credentials'): Promise<{ status: number; body: Json }> {
  const res = await fetch(bb.tokenUrl, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function get<T = Json>(url: string, bearer: string | null = token): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
  // Proxies' 502-504 pages are HTML, not JSON.
  const isJson = res.headers.get('content-type')?.includes('json') ?? false;
  const body = (isJson ? await res.json() : { text: await res.text() }) as T;
  return { status: res.status, body, headers: res.headers };
}

/** `count` commits a minute apart on main, oldest first, from 2026-10-01T08:00Z. */
function commits(count: number, start = Date.parse('2026-10-01T08:00:00Z')): AddCommitInput[] {
  return Array.from({ length: count }, (_, i) => ({
    date: new Date(start + i * 60_000).toISOString().replace('.000Z', '+00:00'),
    message: `change ${i + 1}\n\nbody ${i + 1}\n`,
    author: { name: 'Ada Lovelace', email: 'ada@example.com' },
  }));
}

let repoCount = 0;
function newRepo(): string {
  const path = `team/repo-${++repoCount}`;
  bb.addRepo(path);
  return path;
}

describe('OAuth 2 client credentials', () => {
  test('a consumer gets a bearer token with expires_in, scopes and a refresh token', async () => {
    const r = await grant(bb.consumer.key, bb.consumer.secret);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 7200,
      scopes: expect.any(String),
      refresh_token: expect.any(String),
    });
    const refreshed = await grant(bb.consumer.key, bb.consumer.secret, `grant_type=refresh_token&refresh_token=${String(r.body.refresh_token)}`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).not.toBe(r.body.access_token);
  });

  test('wrong credentials, no credentials and unknown grants answer 400 with an OAuth error', async () => {
    const wrong = await grant(bb.consumer.key, 'nope');
    expect(wrong).toEqual({ status: 400, body: { error: 'unauthorized_client', error_description: 'Invalid OAuth client credentials' } });
    const none = await fetch(bb.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(none.status).toBe(400);
    expect(((await none.json()) as Json).error).toBe('unauthorized_client');
    const password = await grant(bb.consumer.key, bb.consumer.secret, 'grant_type=password&username=u&password=p');
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
  });

  test('the API wants a valid, unexpired bearer token', async () => {
    const path = newRepo();
    bb.addCommit(path, commits(1)[0]);
    const url = `${bb.url}/repositories/${path}/commits`;
    const anonymous = await get(url, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ type: 'error', error: { message: expect.any(String) } });
    expect((await get(url, 'made-up')).status).toBe(401);

    let clock = 1_000_000;
    const short = await startFakeBitbucket({ tokenTtlSeconds: 60, now: () => clock });
    try {
      short.addRepo(path);
      const t = await fetch(short.tokenUrl, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from('bb-key:bb-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      }).then(async (r) => String(((await r.json()) as Json).access_token));
      const shortUrl = `${short.url}/repositories/${path}/commits`;
      expect((await get(shortUrl, t)).status).toBe(200);
      clock += 61_000;
      const expired = await get<{ error: { message: string } }>(shortUrl, t);
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toMatch(/expired/);
    } finally {
      await short.stop();
    }
  });
});

describe('GET .../commits', () => {
  test('95 commits come newest first in pages of 30, followed by `next` exactly', async () => {
    const path = newRepo();
    const made = bb.addCommits(path, commits(95));
    bb.clearRequests();
    const seen: string[] = [];
    const pages: Page[] = [];
    let url: string | undefined = `${bb.url}/repositories/${path}/commits`;
    while (url) {
      const r: { status: number; body: Page } = await get<Page>(url);
      expect(r.status).toBe(200);
      pages.push(r.body);
      seen.push(...r.body.values.map((c) => String(c.hash)));
      url = r.body.next;
      if (url) expect(url.startsWith(`${bb.url}/repositories/${path}/commits?`)).toBe(true);
    }
    expect(pages.map((p) => p.values.length)).toEqual([30, 30, 30, 5]);
    expect(pages.every((p) => p.pagelen === 30)).toBe(true);
    expect(seen).toEqual(made.map((c) => c.sha).reverse());
    expect(bb.requests.map((r) => r.url.split('?')[0])).toEqual(Array(4).fill(`/2.0/repositories/${path}/commits`));

    // The cursor is opaque: a page number made up by the client is refused.
    const madeUp = await get(`${bb.url}/repositories/${path}/commits?page=2`);
    expect(madeUp.status).toBe(400);
  });

  test("a commit's shape: hash, date as given, message, raw author, linked user, parents, links", async () => {
    const path = newRepo();
    const [first] = bb.addCommits(path, [
      { date: '2026-10-02T09:00:00+02:00', message: 'first\n', author: { name: 'Bo', email: 'bo@example.com' } },
    ]);
    bb.addCommit(path, {
      date: '2026-10-03T10:00:00+00:00',
      message: 'second\n\nCo-authored-by: Ada <ada@example.com>\n',
      author: { name: 'Cy Coder', email: 'cy@example.com', user: { displayName: 'Cy Coder', nickname: 'cy' } },
    });
    const { body } = await get<Page>(`${bb.url}/repositories/${path}/commits`);
    const [second, one] = body.values;
    expect(second).toMatchObject({
      type: 'commit',
      date: '2026-10-03T10:00:00+00:00',
      message: 'second\n\nCo-authored-by: Ada <ada@example.com>\n',
      author: {
        type: 'author',
        raw: 'Cy Coder <cy@example.com>',
        user: { type: 'user', display_name: 'Cy Coder', nickname: 'cy', account_id: expect.any(String), uuid: expect.stringMatching(/^\{.*\}$/) },
      },
      parents: [{ type: 'commit', hash: first.sha }],
      links: { html: { href: `${bb.webUrl}/${path}/commits/${String(second.hash)}` }, self: { href: expect.any(String) } },
      repository: { type: 'repository', full_name: path },
    });
    expect(one.author).toEqual({ type: 'author', raw: 'Bo <bo@example.com>' });
    expect(one.parents).toEqual([]);
  });

  test('all branches by default, one revision under /commits/{revision}, merges before their parents', async () => {
    const path = newRepo();
    const [base] = bb.addCommits(path, commits(1));
    const feature = bb.addCommit(path, { ...commits(1, Date.parse('2026-10-05T08:00:00Z'))[0], branch: 'feature/x', parents: [base.sha] });
    const onMain = bb.addCommit(path, commits(1, Date.parse('2026-10-04T08:00:00Z'))[0]);
    const merge = bb.addCommit(path, {
      date: '2026-10-03T08:00:00+00:00', // older than its parents: still listed before them
      message: "Merged in feature/x (pull request #1)\n",
      author: { name: 'Ada Lovelace', email: 'ada@example.com' },
      parents: [onMain.sha, feature.sha],
    });
    bb.setBranch(path, 'feature/x', null);
    bb.setBranch(path, 'old', feature.sha);
    const all = await get<Page>(`${bb.url}/repositories/${path}/commits`);
    expect(all.body.values.map((c) => c.hash)).toEqual([merge.sha, feature.sha, onMain.sha, base.sha]);
    const old = await get<Page>(`${bb.url}/repositories/${path}/commits/old`);
    expect(old.body.values.map((c) => c.hash)).toEqual([feature.sha, base.sha]);
    const notOnOld = await get<Page>(`${bb.url}/repositories/${path}/commits/main?exclude=old`);
    expect(notOnOld.body.values.map((c) => c.hash)).toEqual([merge.sha, onMain.sha]);
    expect((await get(`${bb.url}/repositories/${path}/commits/nope`)).status).toBe(404);
  });

  test('pagelen up to 100 is honoured, larger is capped, and next keeps it', async () => {
    const path = newRepo();
    bb.addCommits(path, commits(250));
    const r = await get<Page>(`${bb.url}/repositories/${path}/commits?pagelen=100`);
    expect(r.body.values).toHaveLength(100);
    expect(new URL(String(r.body.next)).searchParams.get('pagelen')).toBe('100');
    const capped = await get<Page>(`${bb.url}/repositories/${path}/commits?pagelen=500`);
    expect(capped.body.pagelen).toBe(100);
  });

  test('fields: -path removes a field of every value, plain paths keep only those, next keeps fields', async () => {
    const path = newRepo();
    bb.addCommits(path, commits(40));
    const full = await get<Page>(`${bb.url}/repositories/${path}/commits`);
    expect(full.body.values[0]).toHaveProperty('summary.raw', 'change 40\n\nbody 40\n');
    const fields = '-values.repository,-values.summary,-values.links.self,-values.parents.links';
    const slim = await get<Page>(`${bb.url}/repositories/${path}/commits?fields=${encodeURIComponent(fields)}`);
    expect(slim.status).toBe(200);
    const [c] = slim.body.values;
    expect(c).not.toHaveProperty('repository');
    expect(c).not.toHaveProperty('summary');
    expect(c.links).not.toHaveProperty('self');
    expect(c.links).toHaveProperty('html.href', `${bb.webUrl}/${path}/commits/${String(c.hash)}`);
    expect(c).toMatchObject({ hash: full.body.values[0].hash, date: full.body.values[0].date, author: { raw: 'Ada Lovelace <ada@example.com>' } });
    expect(JSON.stringify(slim.body).length).toBeLessThan(JSON.stringify(full.body).length * 0.7);
    // Following next keeps the partial response.
    expect(new URL(String(slim.body.next)).searchParams.get('fields')).toBe(fields);
    const second = await get<Page>(String(slim.body.next));
    expect(second.body.values).toHaveLength(10);
    expect(second.body.values[0]).not.toHaveProperty('repository');

    const only = await get<Page>(`${bb.url}/repositories/${path}/commits?fields=values.hash,values.author.raw,next`);
    expect(Object.keys(only.body).sort()).toEqual(['next', 'values']);
    expect(only.body.values[0]).toEqual({ hash: full.body.values[0].hash, author: { raw: 'Ada Lovelace <ada@example.com>' } });
    const wildcard = await get<Page>(`${bb.url}/repositories/${path}/commits?fields=values.links.*.href`);
    expect(Object.keys((wildcard.body.values[0] as { links: Json }).links)).toContain('html');
    expect((await get(`${bb.url}/repositories/${path}/commits?fields=values..hash`)).status).toBe(400);
  });

  test('a thousand commits are made quickly', () => {
    const path = newRepo();
    const started = Date.now();
    bb.addCommits(path, commits(1000));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('pull requests', () => {
  test('GET .../commit/{sha}/pullrequests lists the pull requests with the commit; GET .../pullrequests/{id} has participants', async () => {
    const path = newRepo();
    const [a, b] = bb.addCommits(path, commits(2));
    const merge = bb.addCommit(path, commits(1, Date.parse('2026-10-09T08:00:00Z'))[0]);
    bb.addPullRequest(path, {
      id: 7,
      commits: [b.sha, a.sha],
      mergeCommit: merge.sha,
      participants: [
        { user: { displayName: 'Rita Reviewer', nickname: 'rita' }, role: 'REVIEWER', approved: true },
        { user: { displayName: 'Pete Picky', nickname: 'pete' }, role: 'REVIEWER', state: 'changes_requested' },
        { user: { displayName: 'Cas Commenter', nickname: 'cas' } },
      ],
    });
    bb.addPullRequest(path, { id: 8, state: 'DECLINED', commits: [b.sha] });

    const forB = await get<Page>(`${bb.url}/repositories/${path}/commit/${b.sha}/pullrequests`);
    expect(forB.status).toBe(200);
    expect(forB.body.values.map((pr) => pr.id)).toEqual([8, 7]);
    const forMerge = await get<Page>(`${bb.url}/repositories/${path}/commit/${merge.sha}/pullrequests`);
    expect(forMerge.body.values.map((pr) => pr.id)).toEqual([7]);
    const none = await get<Page>(`${bb.url}/repositories/${path}/commit/${'f'.repeat(40)}/pullrequests`);
    expect(none.body.values).toEqual([]);

    const pr = await get<Json>(`${bb.url}/repositories/${path}/pullrequests/7`);
    expect(pr.body).toMatchObject({ type: 'pullrequest', id: 7, state: 'MERGED', merge_commit: { hash: merge.sha } });
    expect(pr.body.participants).toEqual([
      expect.objectContaining({ role: 'REVIEWER', approved: true, state: 'approved', user: expect.objectContaining({ display_name: 'Rita Reviewer', nickname: 'rita' }) }),
      expect.objectContaining({ role: 'REVIEWER', approved: false, state: 'changes_requested' }),
      expect.objectContaining({ role: 'PARTICIPANT', approved: false, state: null }),
    ]);
    const prCommits = await get<Page>(`${bb.url}/repositories/${path}/pullrequests/7/commits`);
    expect(prCommits.body.values.map((c) => c.hash)).toEqual([b.sha, a.sha]);
    const merged = await get<Page>(`${bb.url}/repositories/${path}/pullrequests?state=MERGED&state=DECLINED&sort=-updated_on`);
    expect(merged.body.values.map((x) => x.id).sort()).toEqual([7, 8]);
    expect((await get(`${bb.url}/repositories/${path}/pullrequests/99`)).status).toBe(404);
  });

  test('without the pull request commit links index: 202 while indexing, 404 before', async () => {
    const path = newRepo();
    const [c] = bb.addCommits(path, commits(1));
    bb.setPullRequestLinks(path, 'indexing');
    expect((await get(`${bb.url}/repositories/${path}/commit/${c.sha}/pullrequests`)).status).toBe(202);
    bb.setPullRequestLinks(path, 'not-indexed');
    expect((await get(`${bb.url}/repositories/${path}/commit/${c.sha}/pullrequests`)).status).toBe(404);
  });
});

describe('errors and controls', () => {
  test('unknown repositories answer 404, forbidden ones 403, with Bitbucket error JSON', async () => {
    const missing = await get(`${bb.url}/repositories/team/nowhere/commits`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ type: 'error', error: { message: expect.stringContaining('team/nowhere') } });
    const path = newRepo();
    bb.setForbidden(path, true);
    const forbidden = await get(`${bb.url}/repositories/${path}/commits`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ type: 'error', error: { message: expect.any(String) } });
  });

  test('failNext answers 500, then 429 with Retry-After, only where asked; the log shows every try', async () => {
    const path = newRepo();
    bb.addCommits(path, commits(3));
    const url = `${bb.url}/repositories/${path}/commits`;
    bb.failNext(1, 500);
    bb.failNext(1, 429, { path: '/commits', retryAfter: 7 });
    bb.clearRequests();
    expect((await get(url)).status).toBe(500);
    const limited = await get(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await get(url)).status).toBe(200);
    expect(bb.requests.map((r) => r.status)).toEqual([500, 429, 200]);
    expect(bb.requests[0]).toEqual({ method: 'GET', url: `/2.0/repositories/${path}/commits`, status: 500, at: expect.any(Number) });

    bb.failAlways(503, { path: /\/pullrequests/ });
    expect((await get(`${bb.url}/repositories/${path}/pullrequests`)).status).toBe(503);
    expect((await get(url)).status).toBe(200);
  });

  test('latencyMs delays every answer', async () => {
    const path = newRepo();
    bb.addCommits(path, commits(1));
    bb.latencyMs = 60;
    const started = Date.now();
    await get(`${bb.url}/repositories/${path}/commits`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});
