// The evidence readers against the loopback fakes of Bitbucket Cloud, GitHub and GitLab, through
// the same clients production uses (fetch with OAuth client credentials, octokit, gitbeaker):
// the month's commits only, every page, approvers of merged pull/merge requests, and the
// answers that mean "not found" told apart from the ones that mean "try again".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEvidenceRepo } from '../../../src/domain/evidence/repos';
import type { CollectedCommit, EvidenceRepo } from '../../../src/domain/evidence/types';
import { BitbucketReader } from '../../../src/evidence/readers/bitbucket';
import { GitHubReader } from '../../../src/evidence/readers/github';
import { GitLabReader } from '../../../src/evidence/readers/gitlab';
import { ForgeBusyError, RepoUnreadableError, type EvidenceReader, type ReadWindow } from '../../../src/evidence/readers/types';
import { GitLabForge } from '../../../src/forges/gitlab';
import { startFakeBitbucket, type FakeBitbucket } from '../../fakes/bitbucket';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github';
import { FakeGitLab, git } from '../../fakes/gitlab';

const OCTOBER: ReadWindow = { since: '2026-10-01T00:00:00.000Z', until: '2026-11-01T00:00:00.000Z' };

/** Everything a reader gives for a repository, following its cursors as the activity does. */
async function readAll(reader: EvidenceReader, repo: EvidenceRepo): Promise<{ commits: CollectedCommit[]; approvals: Map<string, string[]>; pages: number }> {
  const commits: CollectedCommit[] = [];
  const approvals = new Map<string, string[]>();
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await reader.commitsPage(repo, OCTOBER, cursor);
    commits.push(...page.commits);
    cursor = page.next;
    pages++;
  } while (cursor);
  do {
    const page = await reader.approvalsPage(repo, OCTOBER, cursor);
    for (const a of page.approvals) approvals.set(a.sha, a.approvers.map((p) => p.username ?? p.email ?? p.name ?? '?'));
    cursor = page.next;
  } while (cursor);
  return { commits, approvals, pages };
}

const day = (n: number, month = '10'): string => `2026-${month}-${String(n).padStart(2, '0')}T10:00:00+00:00`;

describe('Bitbucket Cloud', () => {
  let bb: FakeBitbucket;
  let reader: BitbucketReader;
  beforeAll(async () => {
    bb = await startFakeBitbucket();
    reader = new BitbucketReader({ apiUrl: bb.url, tokenUrl: bb.tokenUrl, key: bb.consumer.key, secret: bb.consumer.secret });
  });
  afterAll(() => bb.stop());

  test('follows `next` exactly until past the month: October only, every page, approvers of merged pull requests', async () => {
    bb.addRepo('team/api');
    const made = bb.addCommits('team/api', [
      ...Array.from({ length: 40 }, (_, i) => ({ date: day(1 + (i % 28), '09'), message: `September ${i}`, author: { name: 'Ana', email: 'ana@example.com' } })),
      ...Array.from({ length: 65 }, (_, i) => ({
        date: new Date(Date.parse(day(1)) + i * 10 * 3600_000).toISOString(),
        message: `October ${i}`,
        author: { name: 'Joan', email: 'joan@example.com', user: { displayName: 'Joan Puig', nickname: 'joan' } },
      })),
      { date: day(2, '11'), message: 'November', author: { name: 'Ana', email: 'ana@example.com' } },
    ]);
    const october = made.slice(40, 105);
    bb.addPullRequest('team/api', {
      state: 'MERGED',
      commits: [october[64].sha, october[63].sha],
      updatedOn: day(29),
      participants: [{ user: { displayName: 'Ana García', nickname: 'ana' }, approved: true }, { user: { displayName: 'Bob', nickname: 'bob' }, approved: false }],
    });
    bb.clearRequests();

    const { commits, approvals, pages } = await readAll(reader, parseEvidenceRepo('bitbucket:team/api'));

    expect(new Set(commits.map((c) => c.sha))).toEqual(new Set(october.map((c) => c.sha)));
    expect(commits.find((c) => c.sha === october[0].sha)).toMatchObject({
      repo: 'bitbucket:team/api',
      author: { name: 'Joan Puig', email: 'joan@example.com', username: 'joan' },
      message: 'October 0',
      parentCount: 1,
    });
    // 66 newer commits and the page that crosses into September: 30 + 30 + 30, then stop.
    expect(pages).toBe(3);
    expect(bb.requests.filter((r) => r.url.includes('/commits') && !r.url.includes('pullrequests')).length).toBe(3);
    expect(approvals.get(october[64].sha)).toEqual(['ana']);
    expect(approvals.get(october[63].sha)).toEqual(['ana']);
    expect(approvals.has(october[0].sha)).toBe(false);
  });

  test('an unknown or forbidden repository is "not found"; a 503 or 429 is "try again"; an expired token is renewed', async () => {
    await expect(reader.commitsPage(parseEvidenceRepo('bitbucket:team/nope'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'not-found' });
    bb.addRepo('team/secret', { forbidden: true });
    await expect(reader.commitsPage(parseEvidenceRepo('bitbucket:team/secret'), OCTOBER, undefined)).rejects.toBeInstanceOf(RepoUnreadableError);
    bb.addRepo('team/busy');
    bb.failNext(1, 503);
    await expect(reader.commitsPage(parseEvidenceRepo('bitbucket:team/busy'), OCTOBER, undefined)).rejects.toBeInstanceOf(ForgeBusyError);
    bb.failNext(1, 429, { retryAfter: 1 });
    await expect(reader.commitsPage(parseEvidenceRepo('bitbucket:team/busy'), OCTOBER, undefined)).rejects.toBeInstanceOf(ForgeBusyError);
    // Any other 4xx is the same answer next time: not retried, and named in the summary.
    bb.failNext(1, 400);
    await expect(reader.commitsPage(parseEvidenceRepo('bitbucket:team/busy'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'refused', status: 400 });
    bb.expireTokens();
    await expect(reader.commitsPage(parseEvidenceRepo('bitbucket:team/busy'), OCTOBER, undefined)).resolves.toEqual({ commits: [] });
    const wrong = new BitbucketReader({ apiUrl: bb.url, tokenUrl: bb.tokenUrl, key: bb.consumer.key, secret: 'not-it' });
    await expect(wrong.commitsPage(parseEvidenceRepo('bitbucket:team/busy'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'unauthorized' });
  });
});

describe('GitHub', () => {
  let gh: FakeGitHub;
  let reader: GitHubReader;
  beforeAll(async () => {
    gh = await startFakeGitHub();
    reader = new GitHubReader({ apiUrl: gh.url, token: gh.token });
  });
  afterAll(() => gh.stop());

  test('since/until over every page; approvers are the last word of each reviewer on merged pull requests', async () => {
    gh.addRepo('owner/web');
    const author = (n: number, month = '10') => ({ name: 'Ana', email: 'ana@example.com', date: day(n, month), login: 'ana-gh' });
    gh.addCommit('owner/web', { message: 'September', author: author(28, '09') });
    const october = Array.from({ length: 130 }, (_, i) => gh.addCommit('owner/web', { message: `October ${i}`, author: author(1 + (i % 30)) }));
    gh.addCommit('owner/web', { message: 'November', author: author(3, '11') });
    const pr = gh.addPullRequest('owner/web', { commits: [october[129].sha], mergeCommitSha: october[129].sha, updatedAt: day(30), mergedAt: day(30) });
    gh.addReview('owner/web', pr.number, { user: 'joan', state: 'APPROVED' });
    gh.addReview('owner/web', pr.number, { user: 'bob', state: 'APPROVED' });
    gh.addReview('owner/web', pr.number, { user: 'bob', state: 'CHANGES_REQUESTED' });

    const { commits, approvals, pages } = await readAll(reader, parseEvidenceRepo('github:owner/web'));

    expect(commits.map((c) => c.sha).sort()).toEqual(october.map((c) => c.sha).sort());
    expect(pages).toBe(2);
    expect(commits[0]).toMatchObject({ author: { name: 'Ana', email: 'ana@example.com', username: 'ana-gh' } });
    expect(approvals.get(october[129].sha)).toEqual(['joan']);
    await expect(reader.commitsPage(parseEvidenceRepo('github:owner/none'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'not-found' });
  });

  test('an empty repository (GitHub answers 409) has no commits; a secondary rate limit (403 with Retry-After) is "try again"', async () => {
    gh.addRepo('owner/empty');
    await expect(reader.commitsPage(parseEvidenceRepo('github:owner/empty'), OCTOBER, undefined)).resolves.toEqual({ commits: [] });
    expect(gh.requests.filter((r) => r.url.startsWith('/repos/owner/empty/commits')).map((r) => r.status)).toEqual([409]);
    gh.failNext(1, 403, { retryAfter: 60 });
    await expect(reader.commitsPage(parseEvidenceRepo('github:owner/web'), OCTOBER, undefined)).rejects.toBeInstanceOf(ForgeBusyError);
    gh.setForbidden('owner/web', true);
    await expect(reader.commitsPage(parseEvidenceRepo('github:owner/web'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'forbidden' });
    gh.setForbidden('owner/web', false);
  });
});

describe('GitLab', () => {
  let fake: FakeGitLab;
  let work: string;
  beforeAll(async () => {
    fake = await FakeGitLab.start({ log: () => undefined });
    fake.addUser({ username: 'maya', name: 'Maya Maintainer', email: 'maya@example.com' });
    fake.addUser({ username: 'bob', name: 'Bob Reviewer', email: 'bob@example.com' });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-gitlab-'));
  });
  afterAll(async () => {
    await fake.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('the commits committed in the month, over pages; a midnight commit belongs to the next month', async () => {
    fake.addProject('group/app', { members: { maya: 'maintainer', bob: 'developer' } });
    const dir = path.join(work, 'app');
    await git(['clone', '--quiet', fake.cloneUrl('group/app', 'maya'), dir]);
    const commitAt = async (message: string, date: string): Promise<string> => {
      await git(['commit', '--quiet', '--allow-empty', '-m', message], { cwd: dir, env: { GIT_AUTHOR_NAME: 'Dee', GIT_AUTHOR_EMAIL: 'dee@example.com', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
      return git(['rev-parse', 'HEAD'], { cwd: dir });
    };
    await commitAt('September', day(30, '09'));
    const october: string[] = [];
    for (let i = 0; i < 105; i++) october.push(await commitAt(`October ${i}`, new Date(Date.parse(day(1)) + i * 6 * 3600_000).toISOString()));
    await commitAt('midnight', '2026-11-01T00:00:00+00:00');
    await git(['push', '--quiet', 'origin', 'main'], { cwd: dir });

    const reader = new GitLabReader(new GitLabForge({ url: fake.url, token: fake.user('maya').token }));
    const { commits, pages } = await readAll(reader, parseEvidenceRepo('gitlab:group/app'));

    expect(commits.map((c) => c.sha).sort()).toEqual([...october].sort());
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(commits[0]).toMatchObject({ author: { name: 'Dee', email: 'dee@example.com' }, url: expect.stringContaining('/-/commit/') });
    await expect(reader.commitsPage(parseEvidenceRepo('gitlab:group/none'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'not-found' });
    // A 400 or 422 is GitLab refusing the request itself: the same answer next time, not an outage.
    fake.failNextRequests(1, 422, { path: /repository\/commits/ });
    await expect(reader.commitsPage(parseEvidenceRepo('gitlab:group/app'), OCTOBER, undefined)).rejects.toMatchObject({ reason: 'refused' });
    fake.failNextRequests(1, 503, { path: /repository\/commits/ });
    await expect(reader.commitsPage(parseEvidenceRepo('gitlab:group/app'), OCTOBER, undefined)).rejects.toBeInstanceOf(ForgeBusyError);
  });

  test('approvers of the merge requests merged since the month began: on their commits, the merge commit and the squash commit', async () => {
    fake.addProject('group/reviewed', { members: { maya: 'maintainer', bob: 'developer' } });
    const dir = path.join(work, 'reviewed');
    await git(['clone', '--quiet', fake.cloneUrl('group/reviewed', 'maya'), dir]);
    const branchWith = async (branch: string, messages: string[], n: number): Promise<string[]> => {
      await git(['checkout', '--quiet', '-b', branch, 'origin/main'], { cwd: dir });
      const shas: string[] = [];
      for (const message of messages) {
        const date = day(n++);
        await git(['commit', '--quiet', '--allow-empty', '-m', message], { cwd: dir, env: { GIT_AUTHOR_NAME: 'Dee', GIT_AUTHOR_EMAIL: 'dee@example.com', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
        shas.push(await git(['rev-parse', 'HEAD'], { cwd: dir }));
      }
      await git(['push', '--quiet', 'origin', branch], { cwd: dir });
      return shas;
    };
    const reviewed = await branchWith('reviewed', ['Reviewed one', 'Reviewed two'], 5);
    const unreviewed = await branchWith('unreviewed', ['Nobody looked'], 8);
    const squashed = await branchWith('squashed', ['Squash me', 'And me'], 9);
    const pending = await branchWith('pending', ['Approved, not merged'], 12);
    const open = (sourceBranch: string, squash = false) => fake.createMergeRequest('group/reviewed', { sourceBranch, title: sourceBranch, author: 'maya', squash });
    const [a, b, c, d] = [open('reviewed'), open('unreviewed'), open('squashed', true), open('pending')];
    fake.approve('group/reviewed', a.iid, 'bob');
    fake.approve('group/reviewed', c.iid, 'bob');
    fake.approve('group/reviewed', d.iid, 'bob');
    const mergedA = await fake.merge('group/reviewed', a.iid, { by: 'maya', method: 'merge' });
    await fake.merge('group/reviewed', b.iid, { by: 'maya', method: 'merge' });
    const mergedC = await fake.merge('group/reviewed', c.iid, { by: 'maya', method: 'merge' });

    const reader = new GitLabReader(new GitLabForge({ url: fake.url, token: fake.user('maya').token }));
    const { approvals } = await readAll(reader, parseEvidenceRepo('gitlab:group/reviewed'));

    const approved = [...reviewed, mergedA.mergeCommitSha, ...squashed, mergedC.squashCommitSha, mergedC.mergeCommitSha];
    expect([...approvals.keys()].sort()).toEqual(approved.filter((x): x is string => typeof x === 'string').sort());
    for (const sha of approved) if (sha) expect(approvals.get(sha)).toEqual(['bob']);
    expect(mergedC.squashCommitSha).toEqual(expect.any(String));
    expect(approvals.has(unreviewed[0])).toBe(false);
    expect(approvals.has(pending[0])).toBe(false);
  });
});
