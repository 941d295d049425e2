// The fake GitLab's routes a backport needs, over plain HTTP: an MR's commits, opening MRs (labels,
// assignees, draft by title, the 409 of a duplicate), list filters, and what each merge method
// leaves on the target and records on the MR (merge_commit_sha, squash_commit_sha).
import { FakeGitLab, git, startHookReceiver, type AddProjectOptions, type HookReceiver } from '../../fakes/gitlab';
import { api, getMr, mergeMr, projectPath, type Json } from './http';

let fake: FakeGitLab;
let hooks: HookReceiver;
let projectCount = 0;

beforeAll(async () => {
  hooks = await startHookReceiver();
  fake = await FakeGitLab.start({ webhookUrl: hooks.url, webhookSecret: 's', log: () => undefined, asyncMergeRequestUpdateMs: 0 });
  fake.addUser({ username: 'maya', name: 'Maya Maintainer' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  fake.addUser({ username: 'rita', name: 'Rita Reporter' });
  fake.addUser({ username: 'stranger', name: 'Sam Stranger' });
});

afterAll(async () => {
  await fake?.stop();
  await hooks?.close();
});

function newProject(opts: AddProjectOptions = {}): string {
  const project = `bp/app${++projectCount}`;
  fake.addProject(project, {
    members: { maya: 'maintainer', dev: 'developer', rita: 'reporter' },
    onlyAllowMergeIfPipelineSucceeds: false,
    ...opts,
  });
  return project;
}

/** dev's MR from `branch` with `count` commits (one file each); returns its iid and commits, oldest first. */
async function openMr(project: string, branch = 'topic', count = 2, squash = false): Promise<{ iid: number; shas: string[] }> {
  const shas: string[] = [];
  for (let i = 1; i <= count; i++) {
    shas.push(await fake.commit(project, branch, { files: { [`${branch}-${i}.txt`]: `${i}\n` }, message: `${branch} part ${i}`, author: 'dev' }));
  }
  const { iid } = fake.createMergeRequest(project, { sourceBranch: branch, title: `Topic ${branch}`, author: 'dev', squash });
  return { iid, shas };
}

const commitsOf = (project: string, iid: number, query = ''): ReturnType<typeof api> =>
  api(fake, 'dev', 'GET', `${projectPath(project)}/merge_requests/${iid}/commits${query}`);

const ids = (body: Json): string[] => (body as unknown as Json[]).map((c) => String(c.id));

const parents = async (project: string, rev: string): Promise<string[]> =>
  (await git(['--git-dir', fake.project(project).repoDir, 'log', '-1', '--format=%P', rev])).split(' ').filter(Boolean);

describe('GET .../merge_requests/:iid/commits', () => {
  test("the MR's commits newest first, as Entities::Commit, paginated with Link headers", async () => {
    const project = newProject();
    const { iid, shas } = await openMr(project, 'topic', 3);
    const all = await commitsOf(project, iid);
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual([...shas].reverse());
    expect((all.body as unknown as Json[])[0]).toMatchObject({
      id: shas[2],
      short_id: shas[2].slice(0, 8),
      title: 'topic part 3',
      message: 'topic part 3\n',
      author_name: 'Dee Developer',
      parent_ids: [shas[1]],
    });
    const first = await commitsOf(project, iid, '?per_page=2');
    expect(ids(first.body)).toEqual([shas[2], shas[1]]);
    expect(first.headers.get('x-total')).toBe('3');
    expect(first.headers.get('link')).toContain('rel="next"');
  });

  test('once merged, still the MR\'s own commits: not the merge commit, not the squash', async () => {
    const project = newProject();
    const { iid, shas } = await openMr(project, 'topic', 2, true);
    await fake.commit(project, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    const merged = await mergeMr(fake, 'maya', project, iid, shas[1]);
    expect(merged.body).toMatchObject({ state: 'merged' });
    expect(ids((await commitsOf(project, iid)).body)).toEqual([shas[1], shas[0]]);
  });

  test('404 for an unknown MR and for a project the caller cannot see', async () => {
    const project = newProject();
    expect((await commitsOf(project, 99)).status).toBe(404);
    const hidden = await api(fake, 'stranger', 'GET', `${projectPath(project)}/merge_requests/1/commits`);
    expect(hidden).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
  });
});

describe('POST /projects/:id/merge_requests', () => {
  const create = (project: string, body: Json, as = 'maya'): ReturnType<typeof api> =>
    api(fake, as, 'POST', `${projectPath(project)}/merge_requests`, body);

  test('title, description, comma-separated labels, assignee_id; draft by the title prefix; an "open" hook', async () => {
    const project = newProject();
    await fake.commit(project, 'release-1.2', { files: {}, message: 'Release branch', author: 'maya' });
    await fake.commit(project, 'backport/1', { files: { 'fix.txt': 'fix\n' }, message: 'Fix', author: 'maya', from: 'release-1.2' });
    const r = await create(project, {
      source_branch: 'backport/1',
      target_branch: 'release-1.2',
      title: 'Draft: Backport !1 to release-1.2',
      description: 'Cherry-picked from !1.',
      labels: 'backport,release-1.2',
      assignee_id: fake.user('dev').id,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      title: 'Draft: Backport !1 to release-1.2',
      draft: true,
      description: 'Cherry-picked from !1.',
      labels: ['backport', 'release-1.2'],
      source_branch: 'backport/1',
      target_branch: 'release-1.2',
      state: 'opened',
      merge_commit_sha: null,
      squash_commit_sha: null,
    });
    expect((r.body.assignees as Json[]).map((a) => a.username)).toEqual(['dev']);
    const [opened] = fake.mergeRequestsOpenedBy('maya', project);
    expect(opened).toMatchObject({ iid: r.body.iid, draft: true, labels: ['backport', 'release-1.2'], assignees: ['dev'], description: 'Cherry-picked from !1.' });
    const hook = await hooks.waitFor(
      (h) => h.event === 'Merge Request Hook' && (h.body.object_attributes as Json).iid === r.body.iid && (h.body.project as Json).path_with_namespace === project,
    );
    expect((hook.body.object_attributes as Json).action).toBe('open');
    expect((hook.body.labels as Json[]).map((l) => l.title)).toEqual(['backport', 'release-1.2']);
  });

  test('labels as an array and assignee_ids work too; assignees who cannot see the project are dropped', async () => {
    const project = newProject();
    await fake.commit(project, 'b', { files: { 'b.txt': 'b\n' }, message: 'B', author: 'maya' });
    const r = await create(project, {
      source_branch: 'b',
      target_branch: 'main',
      title: 'B',
      labels: ['x', 'y'],
      assignee_ids: [fake.user('dev').id, fake.user('stranger').id],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ draft: false, labels: ['x', 'y'], description: '' });
    expect((r.body.assignees as Json[]).map((a) => a.username)).toEqual(['dev']);
  });

  test('409 with the open MR named while one is open between the same branches; fine again once it is closed', async () => {
    const project = newProject();
    await fake.commit(project, 'b', { files: { 'b.txt': 'b\n' }, message: 'B', author: 'maya' });
    const first = await create(project, { source_branch: 'b', target_branch: 'main', title: 'B' });
    const again = await create(project, { source_branch: 'b', target_branch: 'main', title: 'B again' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: [`Another open merge request already exists for this source branch: !${String(first.body.iid)}`] });
    fake.close(project, Number(first.body.iid));
    expect((await create(project, { source_branch: 'b', target_branch: 'main', title: 'B again' })).status).toBe(201);
  });

  test('422 for missing branches and for the same branch on both sides, 400 without a title, 403 for reporters, 404 for strangers', async () => {
    const project = newProject();
    await fake.commit(project, 'b', { files: { 'b.txt': 'b\n' }, message: 'B', author: 'maya' });
    expect(await create(project, { source_branch: 'nope', target_branch: 'main', title: 'T' })).toMatchObject({
      status: 422,
      body: { message: ['Source branch "nope" does not exist'] },
    });
    expect(await create(project, { source_branch: 'b', target_branch: 'release-9', title: 'T' })).toMatchObject({
      status: 422,
      body: { message: ['Target branch "release-9" does not exist'] },
    });
    expect(await create(project, { source_branch: 'b', target_branch: 'b', title: 'T' })).toMatchObject({
      status: 422,
      body: { message: ["You can't use same project/branch for source and target"] },
    });
    expect(await create(project, { source_branch: 'b', target_branch: 'main' })).toMatchObject({
      status: 400,
      body: { error: 'title is missing' },
    });
    expect((await create(project, { source_branch: 'b', target_branch: 'main', title: 'T' }, 'rita')).status).toBe(403);
    expect((await create(project, { source_branch: 'b', target_branch: 'main', title: 'T' }, 'stranger')).status).toBe(404);
    expect(fake.mergeRequests(project)).toHaveLength(0);
  });
});

describe('GET /projects/:id/merge_requests filters', () => {
  test('source_branch, target_branch and state; every state by default', async () => {
    const project = newProject();
    await fake.commit(project, 'release-1', { files: {}, message: 'R1', author: 'maya' });
    await fake.commit(project, 'bp', { files: { 'bp.txt': '1\n' }, message: 'BP', author: 'maya', from: 'release-1' });
    const closed = fake.createMergeRequest(project, { sourceBranch: 'bp', targetBranch: 'release-1', title: 'Old', author: 'maya' });
    fake.close(project, closed.iid);
    const open = fake.createMergeRequest(project, { sourceBranch: 'bp', targetBranch: 'release-1', title: 'New', author: 'maya' });
    fake.createMergeRequest(project, { sourceBranch: 'bp', targetBranch: 'main', title: 'Elsewhere', author: 'maya' });
    const list = async (query: string): Promise<number[]> =>
      ((await api(fake, 'dev', 'GET', `${projectPath(project)}/merge_requests?${query}`)).body as unknown as Json[]).map((m) => Number(m.iid));
    expect(await list('source_branch=bp&target_branch=release-1')).toEqual([open.iid, closed.iid]);
    expect(await list('source_branch=bp&target_branch=release-1&state=all')).toEqual([open.iid, closed.iid]);
    expect(await list('source_branch=bp&target_branch=release-1&state=opened')).toEqual([open.iid]);
    expect(await list('source_branch=bp&target_branch=release-1&state=closed')).toEqual([closed.iid]);
    expect(await list('source_branch=other')).toEqual([]);
  });
});

describe('what each merge method lands and records', () => {
  test('merge: a merge commit of the target and the head; merge_commit_sha set, squash_commit_sha null', async () => {
    const project = newProject();
    const { iid, shas } = await openMr(project);
    const before = fake.branchHead(project, 'main') as string;
    const body = (await mergeMr(fake, 'maya', project, iid, shas[1])).body;
    const head = fake.branchHead(project, 'main') as string;
    expect(body).toMatchObject({ state: 'merged', merge_commit_sha: head, squash_commit_sha: null });
    expect(await parents(project, head)).toEqual([before, shas[1]]);
  });

  test('merge with squash: a squash commit on the merge base, merged by a merge commit; both recorded', async () => {
    const project = newProject();
    const { iid, shas } = await openMr(project, 'topic', 2, true);
    await fake.commit(project, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    const before = fake.branchHead(project, 'main') as string;
    const body = (await mergeMr(fake, 'maya', project, iid, shas[1])).body;
    const head = fake.branchHead(project, 'main') as string;
    const squash = String(body.squash_commit_sha);
    expect(body).toMatchObject({ merge_commit_sha: head });
    expect(await parents(project, head)).toEqual([before, squash]);
    expect(await parents(project, squash)).toEqual(await parents(project, shas[0]));
    expect(fake.mergeRequest(project, iid)).toMatchObject({ mergeCommitSha: head, squashCommitSha: squash });
  });

  test('rebase_merge (semi-linear): still a merge commit, its second parent the head, which contains the target', async () => {
    const project = newProject({ mergeMethod: 'rebase_merge' });
    const { iid, shas } = await openMr(project);
    const before = fake.branchHead(project, 'main') as string;
    const body = (await mergeMr(fake, 'maya', project, iid, shas[1])).body;
    const head = fake.branchHead(project, 'main') as string;
    expect(body).toMatchObject({ merge_commit_sha: head, squash_commit_sha: null });
    expect(await parents(project, head)).toEqual([before, shas[1]]);
  });

  test('ff: the target moves onto the head; no merge commit; with squash the squash commit is the new head', async () => {
    const project = newProject({ mergeMethod: 'ff' });
    const plain = await openMr(project, 'plain');
    const body = (await mergeMr(fake, 'maya', project, plain.iid, plain.shas[1])).body;
    expect(body).toMatchObject({ merge_commit_sha: null, squash_commit_sha: null });
    expect(fake.branchHead(project, 'main')).toBe(plain.shas[1]);

    const squashed = await openMr(project, 'squashed', 2, true);
    const before = fake.branchHead(project, 'main') as string;
    const s = (await mergeMr(fake, 'maya', project, squashed.iid, squashed.shas[1])).body;
    const head = fake.branchHead(project, 'main') as string;
    expect(s).toMatchObject({ merge_commit_sha: null, squash_commit_sha: head });
    expect(await parents(project, head)).toEqual([before]);
  });

  test('ff behind the target: 405 needs rebase; with rebaseOnMerge GitLab rebases on the side and merges, the source untouched', async () => {
    const project = newProject({ mergeMethod: 'ff' });
    const { iid, shas } = await openMr(project);
    await fake.commit(project, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    const moved = fake.branchHead(project, 'main') as string;
    expect((await getMr(fake, 'dev', project, iid)).detailed_merge_status).toBe('need_rebase');
    expect((await mergeMr(fake, 'maya', project, iid, shas[1])).status).toBe(405);

    fake.setMergeMethod(project, 'ff', { rebaseOnMerge: true });
    expect((await getMr(fake, 'dev', project, iid)).detailed_merge_status).toBe('mergeable');
    const body = (await mergeMr(fake, 'maya', project, iid, shas[1])).body;
    const head = fake.branchHead(project, 'main') as string;
    expect(body).toMatchObject({ state: 'merged', sha: shas[1], merge_commit_sha: null, squash_commit_sha: null });
    expect(head).not.toBe(shas[1]);
    expect(fake.log(project, 'main', 3).map((c) => c.subject)).toEqual(['topic part 2', 'topic part 1', 'Other']);
    expect(fake.log(project, 'main', 3)[2].sha).toBe(moved);
    expect(fake.branchHead(project, 'topic')).toBe(shas[1]);
    expect(ids((await commitsOf(project, iid)).body)).toEqual([shas[1], shas[0]]);
  });

  test('rebase_merge with rebaseOnMerge: the merge commit\'s second parent is the rebased head', async () => {
    const project = newProject({ mergeMethod: 'rebase_merge', rebaseOnMerge: true });
    const { iid, shas } = await openMr(project);
    await fake.commit(project, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    const moved = fake.branchHead(project, 'main') as string;
    const body = (await mergeMr(fake, 'maya', project, iid, shas[1])).body;
    const head = fake.branchHead(project, 'main') as string;
    expect(body).toMatchObject({ merge_commit_sha: head });
    const [first, second] = await parents(project, head);
    expect(first).toBe(moved);
    expect(second).not.toBe(shas[1]);
    expect(await parents(project, `${second}~1`)).toEqual([moved]);
  });
});

describe('FakeGitLab.merge (a person with the Merge button)', () => {
  test('ff behind the target: rebases the source first (the MR shows the rebased commits), then fast-forwards', async () => {
    const project = newProject({ mergeMethod: 'ff' });
    const { iid, shas } = await openMr(project);
    await fake.commit(project, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    const mr = await fake.merge(project, iid, { by: 'maya' });
    const head = fake.branchHead(project, 'main') as string;
    expect(mr).toMatchObject({ state: 'merged', mergeCommitSha: null, squashCommitSha: null, headSha: head });
    expect(head).not.toBe(shas[1]);
    const listed = await fake.mergeRequestCommits(project, iid);
    expect(listed.map((c) => c.subject)).toEqual(['topic part 2', 'topic part 1']);
    expect(listed[0].sha).toBe(head);
    expect((await getMr(fake, 'dev', project, iid)).merged_by).toMatchObject({ username: 'maya' });
  });

  test('a method and squash for this merge only; refuses drafts and merged MRs', async () => {
    const project = newProject();
    const { iid } = await openMr(project);
    const mr = await fake.merge(project, iid, { by: 'maya', method: 'ff', squash: true });
    expect(mr).toMatchObject({ state: 'merged', mergeCommitSha: null });
    expect(mr.squashCommitSha).toBe(fake.branchHead(project, 'main'));
    await expect(fake.merge(project, iid, { by: 'maya' })).rejects.toThrow(/is merged/);
    const draft = await openMr(project, 'draft');
    fake.setDraft(project, draft.iid, true);
    await expect(fake.merge(project, draft.iid, { by: 'maya' })).rejects.toThrow(/draft/);
  });
});
