// The fake GitHub through @octokit/rest, as the evidence reader calls it: commits paged by
// Link headers and filtered by committer date, the pull requests of a commit, reviews, errors.
import { Octokit } from '@octokit/rest';
import { startFakeGitHub, type AddGitHubCommitInput, type FakeGitHub } from '../../fakes/github';

let gh: FakeGitHub;
let octokit: Octokit;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  gh = await startFakeGitHub();
  octokit = new Octokit({ baseUrl: gh.url, auth: gh.token, log: quiet });
});

afterAll(async () => {
  await gh?.stop();
});

beforeEach(() => gh.clearFailures());

let repoCount = 0;
function newRepo(): { owner: string; repo: string; path: string } {
  const repo = `app-${++repoCount}`;
  gh.addRepo(`acme/${repo}`);
  return { owner: 'acme', repo, path: `acme/${repo}` };
}

/** `count` commits `hours` apart from `start`, oldest first, authored and committed at once. */
function hourly(count: number, start: string, hours = 1, login = 'ada'): AddGitHubCommitInput[] {
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(Date.parse(start) + i * hours * 3_600_000).toISOString();
    return { message: `change ${i + 1}`, author: { name: 'Ada Lovelace', email: 'ada@example.com', date, login } };
  });
}

async function status(p: Promise<unknown>): Promise<{ status: number; data: unknown; headers: Record<string, string | undefined> }> {
  try {
    await p;
    return { status: 200, data: undefined, headers: {} };
  } catch (e) {
    const err = e as { status: number; response?: { data: unknown; headers: Record<string, string | undefined> } };
    return { status: err.status, data: err.response?.data, headers: err.response?.headers ?? {} };
  }
}

describe('GET /repos/{owner}/{repo}/commits', () => {
  test('octokit.paginate reads a month by since/until over several pages, newest first', async () => {
    const { owner, repo, path } = newRepo();
    gh.addCommits(path, hourly(24, '2026-09-30T00:00:00Z'));
    const made = gh.addCommits(path, hourly(50, '2026-10-01T00:00:00Z', 12));
    gh.addCommits(path, hourly(6, '2026-11-01T00:00:00Z'));
    const october = made.map((c) => c.sha).reverse();
    gh.clearRequests();
    const commits = await octokit.paginate(octokit.rest.repos.listCommits, {
      owner,
      repo,
      since: '2026-10-01T00:00:00Z',
      until: '2026-10-31T23:59:59Z',
      per_page: 20,
    });
    expect(commits.map((c) => c.sha)).toEqual(october);
    expect(gh.requests).toHaveLength(3);
    // Pages after the first come from the Link header, which names the repository by id.
    expect(gh.requests[0].url).toMatch(/^\/repos\/acme\/app-\d+\/commits\?/);
    expect(gh.requests[1].url).toMatch(/^\/repositories\/\d+\/commits\?.*page=2/);
    const c = commits[0];
    expect(c).toMatchObject({
      sha: october[0],
      html_url: `${gh.url}/${path}/commit/${october[0]}`,
      commit: {
        author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2026-10-25T12:00:00Z' },
        committer: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2026-10-25T12:00:00Z' },
        message: 'change 50',
      },
      author: { login: 'ada' },
      parents: [{ sha: made[48].sha }],
    });
  });

  test('the first page says next and last in its Link header; per_page defaults to 30 and stops at 100', async () => {
    const { owner, repo, path } = newRepo();
    gh.addCommits(path, hourly(250, '2026-10-01T00:00:00Z'));
    const first = await octokit.rest.repos.listCommits({ owner, repo });
    expect(first.data).toHaveLength(30);
    expect(first.headers.link).toMatch(/<http:\/\/127\.0\.0\.1:\d+\/repositories\/\d+\/commits\?page=2>; rel="next", <[^>]+page=9>; rel="last"/);
    const big = await octokit.rest.repos.listCommits({ owner, repo, per_page: 500 });
    expect(big.data).toHaveLength(100);
  });

  test('since and until filter on the committer date, not the author date; sha picks the branch', async () => {
    const { owner, repo, path } = newRepo();
    const rebased = gh.addCommit(path, {
      message: 'written in September, rebased in October',
      author: { name: 'Bo', email: 'bo@example.com', date: '2026-09-20T10:00:00Z' },
      committer: { name: 'Cy', email: 'cy@example.com', date: '2026-10-02T10:00:00Z' },
    });
    gh.addCommit(path, {
      message: 'written in October, committed in November',
      author: { name: 'Bo', email: 'bo@example.com', date: '2026-10-30T10:00:00Z' },
      committer: { name: 'Cy', email: 'cy@example.com', date: '2026-11-01T10:00:00Z' },
    });
    const side = gh.addCommit(path, { ...hourly(1, '2026-10-05T00:00:00Z')[0], branch: 'side', parents: [rebased.sha] });
    const { data } = await octokit.rest.repos.listCommits({ owner, repo, since: '2026-10-01T00:00:00Z', until: '2026-10-31T23:59:59Z' });
    expect(data.map((c) => c.commit.message)).toEqual(['written in September, rebased in October']);
    expect(data[0].author).toBeNull();
    const onSide = await octokit.rest.repos.listCommits({ owner, repo, sha: 'side' });
    expect(onSide.data.map((c) => c.sha)).toEqual([side.sha, rebased.sha]);
  });

  test('an empty repository answers 409', async () => {
    const { owner, repo } = newRepo();
    const r = await status(octokit.rest.repos.listCommits({ owner, repo }));
    expect(r.status).toBe(409);
    expect(r.data).toMatchObject({ message: 'Git Repository is empty.' });
  });
});

describe('pull requests and reviews', () => {
  test('the pulls of a commit: the merged one on the default branch; open ones only off it', async () => {
    const { owner, repo, path } = newRepo();
    const [base] = gh.addCommits(path, hourly(1, '2026-10-01T00:00:00Z'));
    const feature = gh.addCommit(path, { ...hourly(1, '2026-10-02T00:00:00Z')[0], branch: 'feature', parents: [base.sha] });
    const merge = gh.addCommit(path, { ...hourly(1, '2026-10-03T00:00:00Z')[0], parents: [base.sha, feature.sha] });
    const wip = gh.addCommit(path, { ...hourly(1, '2026-10-04T00:00:00Z')[0], branch: 'wip', parents: [merge.sha] });
    gh.addPullRequest(path, { number: 1, commits: [feature.sha], mergeCommitSha: merge.sha, head: 'feature' });
    gh.addPullRequest(path, { number: 2, merged: false, commits: [feature.sha], head: 'feature-again' });
    gh.addPullRequest(path, { number: 3, merged: false, commits: [wip.sha], head: 'wip' });

    const forFeature = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: feature.sha });
    expect(forFeature.data.map((p) => p.number)).toEqual([1]);
    expect(forFeature.data[0]).toMatchObject({ state: 'closed', merge_commit_sha: merge.sha, merged_at: expect.any(String), user: { login: 'octocat' } });
    const forMerge = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: merge.sha });
    expect(forMerge.data.map((p) => p.number)).toEqual([1]);
    const forWip = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: wip.sha });
    expect(forWip.data.map((p) => p.number)).toEqual([3]);
    expect((await status(octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: 'f'.repeat(40) }))).status).toBe(422);

    const closed = await octokit.rest.pulls.list({ owner, repo, state: 'closed', sort: 'updated', direction: 'desc' });
    expect(closed.data.map((p) => p.number)).toEqual([1]);
    const prCommits = await octokit.rest.pulls.listCommits({ owner, repo, pull_number: 1 });
    expect(prCommits.data.map((c) => c.sha)).toEqual([feature.sha]);
  });

  test('reviews come in chronological order with state and user.login, paged', async () => {
    const { owner, repo, path } = newRepo();
    const [c] = gh.addCommits(path, hourly(1, '2026-10-01T00:00:00Z'));
    const states = ['COMMENTED', 'CHANGES_REQUESTED', 'APPROVED'] as const;
    gh.addPullRequest(path, {
      number: 5,
      commits: [c.sha],
      reviews: Array.from({ length: 35 }, (_, i) => ({
        user: `reviewer${i % 5}`,
        state: states[i % 3],
        submittedAt: new Date(Date.parse('2026-10-02T00:00:00Z') + i * 60_000).toISOString(),
      })),
    });
    gh.clearRequests();
    const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { owner, repo, pull_number: 5 });
    expect(gh.requests).toHaveLength(2);
    expect(reviews).toHaveLength(35);
    expect(reviews[0]).toMatchObject({ state: 'COMMENTED', user: { login: 'reviewer0' }, commit_id: c.sha, submitted_at: '2026-10-02T00:00:00Z' });
    expect(reviews[34]).toMatchObject({ state: 'CHANGES_REQUESTED', user: { login: 'reviewer4' } });
  });
});

describe('auth, errors and controls', () => {
  test('unknown repositories answer 404 with message and documentation_url; bad tokens 401; private ones hide from anonymous callers', async () => {
    const missing = await status(octokit.rest.repos.listCommits({ owner: 'acme', repo: 'nowhere' }));
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ message: 'Not Found', documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com\//), status: '404' });
    const { owner, repo, path } = newRepo();
    gh.addCommits(path, hourly(1, '2026-10-01T00:00:00Z'));
    const wrong = new Octokit({ baseUrl: gh.url, auth: 'ghp_wrong', log: quiet });
    expect((await status(wrong.rest.repos.listCommits({ owner, repo }))).status).toBe(401);
    const anonymous = new Octokit({ baseUrl: gh.url, log: quiet });
    expect((await status(anonymous.rest.repos.listCommits({ owner, repo }))).status).toBe(404);
    const bearer = await fetch(`${gh.url}/repos/${path}/commits`, { headers: { Authorization: `Bearer ${gh.token}` } });
    expect(bearer.status).toBe(200);
  });

  test('failNext: a 500, then the rate limit as a 403 with x-ratelimit-remaining 0; the log shows the tries', async () => {
    const { owner, repo, path } = newRepo();
    gh.addCommits(path, hourly(1, '2026-10-01T00:00:00Z'));
    gh.failNext(1, 500);
    gh.failNext(1, 403, { path: '/commits' });
    gh.clearRequests();
    expect((await status(octokit.rest.repos.listCommits({ owner, repo }))).status).toBe(500);
    const limited = await status(octokit.rest.repos.listCommits({ owner, repo }));
    expect(limited.status).toBe(403);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect((await octokit.rest.repos.listCommits({ owner, repo })).data).toHaveLength(1);
    expect(gh.requests.map((r) => r.status)).toEqual([500, 403, 200]);
  });
});
