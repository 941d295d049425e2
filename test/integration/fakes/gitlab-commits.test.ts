// The fake GitLab's commit listing and the merge requests of a commit, through @gitbeaker/rest
// as the evidence reader calls them, over commits made and pushed with the real git CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Gitlab } from '@gitbeaker/rest';
import { FakeGitLab, git } from '../../fakes/gitlab';
import { api, projectPath } from './http';

let fake: FakeGitLab;
let gitlab: InstanceType<typeof Gitlab>;
let work: string;
let projectCount = 0;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined });
  fake.addUser({ username: 'maya', name: 'Maya Maintainer', email: 'maya@example.com' });
  fake.addUser({ username: 'dev', name: 'Dee Developer', email: 'dee@example.com' });
  fake.addUser({ username: 'bob', name: 'Bob Reviewer', email: 'bob@example.com' });
  gitlab = new Gitlab({ host: fake.url, token: fake.user('maya').token });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-commits-test-'));
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A project (its initial commit is dated now, outside every month below) and a clone of it. */
async function newProject(): Promise<{ project: string; dir: string }> {
  const project = `group/evidence${++projectCount}`;
  fake.addProject(project, { members: { maya: 'maintainer', dev: 'developer', bob: 'developer' } });
  const dir = path.join(work, `clone-${projectCount}`);
  // As a maintainer: main is protected.
  await git(['clone', '--quiet', fake.cloneUrl(project, 'maya'), dir]);
  return { project, dir };
}

interface When {
  authored: string;
  committed?: string;
  author?: string;
}

/** One empty commit with these dates (ISO 8601); returns its SHA. */
async function commit(dir: string, message: string, when: When): Promise<string> {
  const [name, email] = (when.author ?? 'Dee Developer <dee@example.com>').match(/^(.*) <(.*)>$/)?.slice(1) ?? [];
  await git(['commit', '--quiet', '--allow-empty', '-m', message], {
    cwd: dir,
    env: {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_AUTHOR_DATE: when.authored,
      GIT_COMMITTER_DATE: when.committed ?? when.authored,
    },
  });
  return git(['rev-parse', 'HEAD'], { cwd: dir });
}

/** `count` commits a day apart from `start`, oldest first. */
async function daily(dir: string, count: number, start: string, label: string): Promise<string[]> {
  const shas: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.parse(start) + i * 86_400_000).toISOString().replace('.000Z', '+00:00');
    shas.push(await commit(dir, `${label} ${i + 1}`, { authored: at }));
  }
  return shas;
}

const OCTOBER = { since: '2026-10-01T00:00:00Z', until: '2026-10-31T23:59:59Z' };
const commitsPath = (project: string): string => `/projects/${encodeURIComponent(project)}/repository/commits`;

describe('GET /projects/:id/repository/commits', () => {
  test('Commits.all with since/until and all: true follows the Link header over several pages', async () => {
    const { project, dir } = await newProject();
    await daily(dir, 3, '2026-09-27T10:00:00Z', 'september');
    const october = await daily(dir, 24, '2026-10-01T10:00:00Z', 'october');
    await daily(dir, 2, '2026-11-01T10:00:00Z', 'november');
    await git(['push', '--quiet', 'origin', 'main'], { cwd: dir });
    // A branch nobody merged: only `all: true` sees its commits.
    await git(['checkout', '--quiet', '-b', 'side', october[9]], { cwd: dir });
    const side = await commit(dir, 'side work', { authored: '2026-10-10T22:00:00+02:00' });
    await git(['push', '--quiet', 'origin', 'side'], { cwd: dir });

    const before = fake.apiRequests.length;
    const all = await gitlab.Commits.all(project, { refName: 'main', ...OCTOBER, all: true, perPage: 10 });
    const pages = fake.apiRequests.slice(before).filter((r) => r.path === commitsPath(project));
    expect(pages.length).toBe(3);
    expect(all.map((c) => c.id)).toEqual([...october.slice(10).reverse(), side, ...october.slice(0, 10).reverse()]);

    const onMain = await gitlab.Commits.all(project, { refName: 'main', ...OCTOBER, perPage: 10 });
    expect(onMain.map((c) => c.id)).toEqual([...october].reverse());
    const sideCommit = all.find((c) => c.id === side);
    expect(sideCommit).toMatchObject({
      short_id: side.slice(0, 8),
      title: 'side work',
      message: 'side work\n',
      author_name: 'Dee Developer',
      author_email: 'dee@example.com',
      authored_date: '2026-10-10T22:00:00+02:00',
      committed_date: '2026-10-10T22:00:00+02:00',
      parent_ids: [october[9]],
      web_url: `${fake.url}/${project}/-/commit/${side}`,
    });
  });

  test('since and until compare the committed date; committer fields are the committer', async () => {
    const { project, dir } = await newProject();
    const late = await commit(dir, 'written in September, committed in October', {
      authored: '2026-09-28T12:00:00+00:00',
      committed: '2026-10-03T09:00:00+00:00',
      author: 'Ada Author <ada@example.com>',
    });
    await commit(dir, 'written in October, committed in November', {
      authored: '2026-10-30T12:00:00+00:00',
      committed: '2026-11-02T09:00:00+00:00',
    });
    await git(['push', '--quiet', 'origin', 'main'], { cwd: dir });
    const listed = await gitlab.Commits.all(project, OCTOBER);
    expect(listed.map((c) => c.id)).toEqual([late]);
    expect(listed[0]).toMatchObject({
      author_name: 'Ada Author',
      author_email: 'ada@example.com',
      authored_date: '2026-09-28T12:00:00+00:00',
      committer_name: 'Test Developer',
      committer_email: 'dev@example.test',
      committed_date: '2026-10-03T09:00:00+00:00',
      created_at: '2026-10-03T09:00:00+00:00',
    });
  });

  test('as GitLab, the list is not counted: no X-Total, and a full last page still links an empty next one', async () => {
    const { project, dir } = await newProject();
    await daily(dir, 4, '2026-10-01T10:00:00Z', 'october');
    await git(['push', '--quiet', 'origin', 'main'], { cwd: dir });
    const query = `since=${OCTOBER.since}&until=${OCTOBER.until}&per_page=2`;
    const first = await api(fake, 'maya', 'GET', `${projectPath(project)}/repository/commits?${query}`);
    expect(first.headers.get('x-total')).toBeNull();
    expect(first.headers.get('x-total-pages')).toBeNull();
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('link')).toMatch(/rel="next"/);
    expect(first.headers.get('link')).not.toMatch(/rel="last"/);
    const second = await api(fake, 'maya', 'GET', `${projectPath(project)}/repository/commits?${query}&page=2`);
    expect(second.headers.get('x-next-page')).toBe('3');
    const third = await fetch(`${fake.url}/api/v4${projectPath(project)}/repository/commits?${query}&page=3`, {
      headers: { 'PRIVATE-TOKEN': fake.user('maya').token },
    });
    expect(await third.json()).toEqual([]);
    expect(third.headers.get('x-next-page')).toBe('');

    const unknownRef = await api(fake, 'maya', 'GET', `${projectPath(project)}/repository/commits?ref_name=nope`);
    expect(unknownRef.status).toBe(200);
    const badDate = await api(fake, 'maya', 'GET', `${projectPath(project)}/repository/commits?since=yesterday-ish`);
    expect(badDate).toMatchObject({ status: 400, body: { error: 'since is invalid' } });
  });
});

describe('merge requests of a commit, and who approved them', () => {
  test('Commits.allMergeRequests finds the MR by its commits and its merge commit; MergeRequestApprovals names the approvers', async () => {
    const { project, dir } = await newProject();
    await git(['checkout', '--quiet', '-b', 'feature'], { cwd: dir });
    const [f1, f2] = await daily(dir, 2, '2026-10-05T10:00:00Z', 'feature');
    await git(['push', '--quiet', 'origin', 'feature'], { cwd: dir });
    const mr = fake.createMergeRequest(project, { sourceBranch: 'feature', title: 'Feature', author: 'dev' });
    fake.approve(project, mr.iid, 'bob');
    const merged = await fake.merge(project, mr.iid, { by: 'maya', method: 'merge' });
    expect(merged.mergeCommitSha).toBeTruthy();

    const byCommit = await gitlab.Commits.allMergeRequests(project, f1);
    expect(byCommit.map((m) => m.iid)).toEqual([mr.iid]);
    expect(byCommit[0]).toMatchObject({ state: 'merged', source_branch: 'feature', merge_commit_sha: merged.mergeCommitSha });
    expect((await gitlab.Commits.allMergeRequests(project, f2)).map((m) => m.iid)).toEqual([mr.iid]);
    expect((await gitlab.Commits.allMergeRequests(project, String(merged.mergeCommitSha))).map((m) => m.iid)).toEqual([mr.iid]);
    const initial = (await gitlab.Commits.all(project, { refName: 'main' })).find((c) => Array.isArray(c.parent_ids) && c.parent_ids.length === 0);
    expect(initial).toBeDefined();
    expect(await gitlab.Commits.allMergeRequests(project, String(initial?.id))).toEqual([]);
    const missing = await api(fake, 'maya', 'GET', `${projectPath(project)}/repository/commits/${'f'.repeat(40)}/merge_requests`);
    expect(missing).toMatchObject({ status: 404, body: { message: '404 Commit Not Found' } });

    const approvals = await gitlab.MergeRequestApprovals.showConfiguration(project, { mergerequestIId: mr.iid });
    const approvedBy = (approvals as { approved_by?: Array<{ user: { username: string; name: string } }> }).approved_by ?? [];
    expect(approvedBy.map((a) => a.user)).toEqual([expect.objectContaining({ username: 'bob', name: 'Bob Reviewer' })]);
  });

  test('a squash merge: the squash commit leads to the MR, as do the original commits', async () => {
    const { project, dir } = await newProject();
    await git(['checkout', '--quiet', '-b', 'squashed'], { cwd: dir });
    const [s1] = await daily(dir, 2, '2026-10-07T10:00:00Z', 'squashed');
    await git(['push', '--quiet', 'origin', 'squashed'], { cwd: dir });
    const mr = fake.createMergeRequest(project, { sourceBranch: 'squashed', title: 'Squash me', author: 'dev', squash: true });
    const merged = await fake.merge(project, mr.iid, { by: 'maya', squash: true });
    expect(merged.squashCommitSha).toBeTruthy();
    expect((await gitlab.Commits.allMergeRequests(project, String(merged.squashCommitSha))).map((m) => m.iid)).toEqual([mr.iid]);
    expect((await gitlab.Commits.allMergeRequests(project, s1)).map((m) => m.iid)).toEqual([mr.iid]);
    const open = await api(fake, 'maya', 'GET', `${projectPath(project)}/repository/commits/${s1}/merge_requests?state=opened`);
    expect(open.body).toEqual([]);
  });

  test('MergeRequests.all with updatedAfter/updatedBefore: on or after, on or before the time given; a bad time is a 400', async () => {
    const { project, dir } = await newProject();
    await git(['checkout', '--quiet', '-b', 'timed'], { cwd: dir });
    await daily(dir, 1, '2026-10-08T10:00:00Z', 'timed');
    await git(['push', '--quiet', 'origin', 'timed'], { cwd: dir });
    const mr = fake.createMergeRequest(project, { sourceBranch: 'timed', title: 'Timed', author: 'dev' });
    const merged = await fake.merge(project, mr.iid, { by: 'maya', method: 'merge' });
    const updated = Date.parse(String((await gitlab.MergeRequests.show(project, mr.iid)).updated_at));
    const iso = (ms: number): string => new Date(ms).toISOString();
    const iids = async (opts: { updatedAfter?: string; updatedBefore?: string }): Promise<number[]> =>
      (await gitlab.MergeRequests.all({ projectId: project, state: 'merged', ...opts })).map((m) => m.iid);
    expect(merged.state).toBe('merged');
    expect(await iids({ updatedAfter: iso(updated) })).toEqual([mr.iid]);
    expect(await iids({ updatedAfter: iso(updated + 1000) })).toEqual([]);
    expect(await iids({ updatedBefore: iso(updated - 1000) })).toEqual([]);
    expect(await iids({ updatedAfter: '2026-10-01T00:00:00Z', updatedBefore: iso(updated) })).toEqual([mr.iid]);
    const bad = await api(fake, 'maya', 'GET', `${projectPath(project)}/merge_requests?updated_after=yesterday`);
    expect(bad.status).toBe(400);
  });
});
