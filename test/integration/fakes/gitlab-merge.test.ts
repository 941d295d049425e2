// The fake GitLab's merge endpoint and MR state after pushes, over plain HTTP: GitLab applies a
// push to its MRs in the background (old sha, "checking"), and refuses merges with the status
// codes of current, older and the newest GitLab.
import { FakeGitLab, startHookReceiver, type AddProjectOptions, type HookReceiver } from '../../fakes/gitlab';
import { api, eventually, getMr, mergeMr, projectPath } from './http';

let fake: FakeGitLab;
let hooks: HookReceiver;
let projectCount = 0;

beforeAll(async () => {
  hooks = await startHookReceiver();
  // Pushes reach MRs only when a test flushes them: no race with the clock.
  fake = await FakeGitLab.start({
    webhookUrl: hooks.url,
    webhookSecret: 's',
    log: () => undefined,
    asyncMergeRequestUpdateMs: 60_000,
  });
  fake.addUser({ username: 'maya', name: 'Maya Maintainer' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  fake.addUser({ username: 'bob', name: 'Bob Reviewer' });
});

afterEach(() => fake.setMergeErrorStyle('current'));

afterAll(async () => {
  await fake?.stop();
  await hooks?.close();
});

/** No CI requirement unless asked: these tests are about git and state. */
function newProject(opts: AddProjectOptions = {}): string {
  const project = `merge/app${++projectCount}`;
  fake.addProject(project, {
    members: { maya: 'maintainer', dev: 'developer', bob: 'developer' },
    onlyAllowMergeIfPipelineSucceeds: false,
    ...opts,
  });
  return project;
}

async function openMr(project: string, files: Record<string, string> = { 'topic.txt': '1\n' }) {
  const sha = await fake.commit(project, 'topic', { files, message: 'Topic', author: 'dev' });
  const { iid } = fake.createMergeRequest(project, { sourceBranch: 'topic', title: 'Topic', author: 'dev' });
  return { iid, sha };
}

describe('after a push GitLab updates the MR in the background', () => {
  test('meanwhile the MR shows the old sha and "checking"; merge is 405, approving the new head 409', async () => {
    const project = newProject();
    const { iid, sha: old } = await openMr(project);
    expect((await getMr(fake, 'dev', project, iid)).detailed_merge_status).toBe('mergeable');
    const fresh = await fake.commit(project, 'topic', { files: { 'topic.txt': '2\n' }, message: 'Two', author: 'dev' });

    const pending = await getMr(fake, 'dev', project, iid);
    expect(pending).toMatchObject({ sha: old, merge_status: 'checking', detailed_merge_status: 'checking' });
    expect(fake.mergeRequest(project, iid)).toMatchObject({ headSha: old, updatePending: true });
    expect((await mergeMr(fake, 'maya', project, iid, fresh)).status).toBe(405);
    const approve = await api(fake, 'bob', 'POST', `${projectPath(project)}/merge_requests/${iid}/approve`, { sha: fresh });
    expect(approve.status).toBe(409);
    expect(approve.body.message).toBe(`SHA does not match HEAD of source branch: ${old}`);
    // No "update" hook yet: GitLab sends it when it applies the push.
    await fake.webhooksIdle();
    expect(hooks.received.some((h) => h.body.object_attributes && (h.body.object_attributes as { oldrev?: string }).oldrev === old)).toBe(false);

    await fake.flushMergeRequestUpdates();
    const updated = await getMr(fake, 'dev', project, iid);
    expect(updated).toMatchObject({ sha: fresh, merge_status: 'can_be_merged', detailed_merge_status: 'mergeable' });
    await hooks.waitFor(
      (h) => h.event === 'Merge Request Hook' && (h.body.object_attributes as { oldrev?: string }).oldrev === old,
    );
    const approved = await api(fake, 'bob', 'POST', `${projectPath(project)}/merge_requests/${iid}/approve`, { sha: fresh });
    expect(approved.status).toBe(201);
    expect((await mergeMr(fake, 'maya', project, iid, fresh)).body).toMatchObject({ state: 'merged' });
  });

  test('by default the update comes by itself a moment later', async () => {
    const quick = await FakeGitLab.start({ log: () => undefined });
    try {
      quick.addUser({ username: 'dev', name: 'Dee' });
      quick.addProject('quick/app', { members: { dev: 'maintainer' } });
      await quick.commit('quick/app', 'topic', { files: { 't.txt': '1\n' }, message: 'one', author: 'dev' });
      const { iid } = quick.createMergeRequest('quick/app', { sourceBranch: 'topic', title: 'T', author: 'dev' });
      const fresh = await quick.commit('quick/app', 'topic', { files: { 't.txt': '2\n' }, message: 'two', author: 'dev' });
      await quick.mergeRequestUpdatesDone();
      expect(quick.mergeRequest('quick/app', iid)).toMatchObject({ headSha: fresh, updatePending: false });
    } finally {
      await quick.stop();
    }
  });
});

describe('merge refusals, current GitLab (the default style)', () => {
  test('409 for a stale sha; 405 for draft, closed, CI, approvals, threads, conflicts and needs rebase', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: true, approvalsRequired: 1 });
    const { iid, sha } = await openMr(project);
    const status = async (s = sha): Promise<number> => (await mergeMr(fake, 'maya', project, iid, s)).status;

    fake.setDraft(project, iid, true);
    expect(await status()).toBe(405);
    fake.setDraft(project, iid, false);
    expect(await status()).toBe(405); // pipeline still running
    fake.finishPipeline(project, sha, 'success');
    expect(await status()).toBe(405); // not approved
    fake.approve(project, iid, 'bob');
    fake.addDiscussion(project, iid, { author: 'bob' });
    expect(await status()).toBe(405);
    fake.resolveDiscussions(project, iid);
    expect(await status('f'.repeat(40))).toBe(409);

    const conflict = newProject();
    const c = await openMr(conflict, { 'README.md': 'ours\n' });
    await fake.commit(conflict, 'main', { files: { 'README.md': 'theirs\n' }, message: 'Theirs', author: 'maya' });
    expect((await mergeMr(fake, 'maya', conflict, c.iid, c.sha)).status).toBe(405);
    expect((await getMr(fake, 'dev', conflict, c.iid)).detailed_merge_status).toBe('conflict');

    const ff = newProject({ mergeMethod: 'ff' });
    const f = await openMr(ff);
    await fake.commit(ff, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    expect((await mergeMr(fake, 'maya', ff, f.iid, f.sha)).status).toBe(405);

    fake.close(project, iid);
    expect(await status()).toBe(405);
  });

  test('422 "Branch cannot be merged" with merge_error when a push rule refuses the merge itself', async () => {
    const project = newProject({ mergeMethod: 'ff', pushRule: { commitMessageRegex: '^JIRA-\\d+' } });
    const { iid, sha } = await openMr(project);
    const mainBefore = fake.branchHead(project, 'main');
    const r = await mergeMr(fake, 'maya', project, iid, sha);
    expect(r).toMatchObject({ status: 422, body: { message: 'Branch cannot be merged' } });
    expect(await getMr(fake, 'dev', project, iid)).toMatchObject({
      state: 'opened',
      merge_error: "Commit message does not follow the pattern '^JIRA-\\d+'",
    });
    expect(fake.branchHead(project, 'main')).toBe(mainBefore);
  });

  test('failNextMerge: a server hook refusing answers 422; with answer 200 the MR stays open with merge_error', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    fake.failNextMerge(project, iid, 'pre-receive hook declined: no Friday deploys');
    expect((await mergeMr(fake, 'maya', project, iid, sha)).status).toBe(422);
    fake.failNextMerge(project, iid, 'pre-receive hook declined: still Friday', { answer: 200 });
    const accepted = await mergeMr(fake, 'maya', project, iid, sha);
    expect(accepted).toMatchObject({
      status: 200,
      body: { state: 'opened', merge_error: 'pre-receive hook declined: still Friday' },
    });
    // The hook only refused once.
    expect((await mergeMr(fake, 'maya', project, iid, sha)).body).toMatchObject({ state: 'merged', merge_error: null });
  });

  test('holdNextMerge: 200 with the MR locked while GitLab merges; it ends merged or open with merge_error', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    const hold = fake.holdNextMerge(project, iid);
    const answer = await mergeMr(fake, 'maya', project, iid, sha);
    await hold.accepted;
    expect(answer).toMatchObject({ status: 200, body: { state: 'locked' } });
    expect((await mergeMr(fake, 'maya', project, iid, sha)).status).toBe(405); // already merging
    hold.finish();
    await eventually(() => getMr(fake, 'dev', project, iid), (mr) => mr.state === 'merged');

    const other = newProject();
    const o = await openMr(other);
    const failing = fake.holdNextMerge(other, o.iid);
    await mergeMr(fake, 'maya', other, o.iid, o.sha);
    failing.fail('Merge failed: the target branch moved');
    const ended = await eventually(() => getMr(fake, 'dev', other, o.iid), (mr) => mr.state !== 'locked');
    expect(ended).toMatchObject({ state: 'opened', merge_error: 'Merge failed: the target branch moved' });
  });

  test('401 without the right to merge into the target: protected main with maintainers only, unless allowed', async () => {
    const project = newProject({ protectedBranches: ['main'] });
    const { iid, sha } = await openMr(project);
    expect((await mergeMr(fake, 'dev', project, iid, sha)).status).toBe(401);
    fake.setProjectOption(project, { protectedBranches: [{ name: 'main', merge: [{ role: 'developer' }] }] });
    expect((await mergeMr(fake, 'dev', project, iid, sha)).body).toMatchObject({ state: 'merged' });
  });
});

describe('merge refusals, older and newest GitLab', () => {
  test('legacy: 406 for conflicts, needs rebase and checking; 405 for draft; a refused merge answers 200', async () => {
    fake.setMergeErrorStyle('legacy');
    const project = newProject({ mergeMethod: 'ff' });
    const { iid, sha } = await openMr(project);
    fake.setDraft(project, iid, true);
    expect((await mergeMr(fake, 'maya', project, iid, sha)).status).toBe(405);
    fake.setDraft(project, iid, false);
    await fake.commit(project, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'maya' });
    expect(await mergeMr(fake, 'maya', project, iid, sha)).toMatchObject({
      status: 406,
      body: { message: 'Branch cannot be merged' },
    });

    const checking = newProject();
    const c = await openMr(checking);
    const fresh = await fake.commit(checking, 'topic', { files: { 'x.txt': 'x\n' }, message: 'x', author: 'dev' });
    expect((await mergeMr(fake, 'maya', checking, c.iid, fresh)).status).toBe(406);
    await fake.flushMergeRequestUpdates();

    fake.setProjectOption(checking, { pushRule: { commitMessageRegex: '^JIRA-\\d+' } });
    const refused = await mergeMr(fake, 'maya', checking, c.iid, fresh);
    expect(refused).toMatchObject({ status: 200, body: { state: 'opened', merge_error: expect.stringContaining('JIRA') } });
  });

  test('latest: conflicts and needs rebase answer 422 "Branch cannot be merged" like a failed merge', async () => {
    fake.setMergeErrorStyle('latest');
    const project = newProject();
    const { iid, sha } = await openMr(project, { 'README.md': 'ours\n' });
    await fake.commit(project, 'main', { files: { 'README.md': 'theirs\n' }, message: 'Theirs', author: 'maya' });
    expect(await mergeMr(fake, 'maya', project, iid, sha)).toMatchObject({
      status: 422,
      body: { message: 'Branch cannot be merged' },
    });
    expect(await getMr(fake, 'dev', project, iid)).toMatchObject({ detailed_merge_status: 'conflict', merge_error: null });
  });
});
