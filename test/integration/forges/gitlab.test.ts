// GitLabForge (real @gitbeaker/rest over real HTTP) against the fake GitLab: what Shepherd
// would see from a GitLab server, including pagination, merge guards and error mapping.
import { ForgeError } from '../../../src/forges/forge';
import { GitLabForge } from '../../../src/forges/gitlab';
import {
  FakeGitLab,
  git,
  startHookReceiver,
  type AddProjectOptions,
  type FakeUser,
  type HookReceiver,
  type ReceivedHook,
} from '../../fakes/gitlab';

const SECRET = 'hook-secret';
let fake: FakeGitLab;
let hooks: HookReceiver;
let forge: GitLabForge;
let bot: FakeUser;
let projectCount = 0;

type Json = Record<string, unknown>;
/** A top-level object of a received hook body (object_attributes, changes, project, ...). */
const field = (h: ReceivedHook, key: string): Json => (h.body[key] ?? {}) as Json;
const inProject = (h: ReceivedHook, project: string): boolean => field(h, 'project').path_with_namespace === project;

/** A developer's commit straight into the fake (as if pushed). */
function commitAs(author: string, project: string, branch: string, files: Record<string, string>): Promise<string> {
  return fake.commit(project, branch, { files, message: `Change ${Object.keys(files).join(', ')}`, author });
}

beforeAll(async () => {
  hooks = await startHookReceiver();
  fake = await FakeGitLab.start({ webhookUrl: hooks.url, webhookSecret: SECRET, log: () => undefined });
  bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  for (const username of ['alice', 'bob', 'erin', 'carol', 'dave']) {
    fake.addUser({ username, name: username.toUpperCase() });
  }
  forge = new GitLabForge({ url: fake.url, token: bot.token });
});

afterAll(async () => {
  await fake?.stop();
  await hooks?.close();
});

/** A fresh project per test: bot maintainer, alice/bob/erin developers, carol reporter, dave none. */
function newProject(opts: AddProjectOptions = {}): string {
  const path = `group/app${++projectCount}`;
  fake.addProject(path, {
    members: {
      'shepherd-bot': 'maintainer',
      alice: 'developer',
      bob: 'developer',
      erin: 'developer',
      carol: 'reporter',
    },
    ...opts,
  });
  return path;
}

interface MrOptions {
  branch?: string;
  files?: Record<string, string>;
  draft?: boolean;
  assignees?: string[];
  squash?: boolean;
  labels?: string[];
}

/** alice's MR with one commit on `branch`; returns its iid and head. */
async function openMr(project: string, opts: MrOptions = {}): Promise<{ iid: number; sha: string }> {
  const branch = opts.branch ?? 'feature';
  const sha = await fake.commit(project, branch, {
    files: opts.files ?? { [`${branch}.txt`]: `${branch}\n` },
    message: `Add ${branch}`,
    author: 'alice',
  });
  const mr = fake.createMergeRequest(project, {
    sourceBranch: branch,
    title: `Add ${branch}`,
    author: 'alice',
    draft: opts.draft,
    assignees: opts.assignees,
    squash: opts.squash,
    labels: opts.labels,
  });
  return { iid: mr.iid, sha };
}

async function expectForgeError(p: Promise<unknown>, kind: ForgeError['kind'], status?: number): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForgeError);
  expect((err as ForgeError).kind).toBe(kind);
  expect((err as ForgeError).status).toBe(status);
}

describe('identity and errors', () => {
  test('currentUser is the user the token belongs to', async () => {
    await expect(forge.currentUser()).resolves.toEqual({
      id: bot.id,
      username: 'shepherd-bot',
      name: 'Shepherd',
      email: bot.email,
    });
  });

  test('a wrong token is unauthorized (401) and the token is not in the message', async () => {
    const wrong = new GitLabForge({ url: fake.url, token: 'glpat-wrong' });
    const err = await wrong.getMergeRequest('group/nope', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeError);
    expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(String((err as Error).message)).not.toContain('glpat-wrong');
  });

  test('unknown MRs and projects the bot cannot see are not-found', async () => {
    const project = newProject();
    await expectForgeError(forge.getMergeRequest(project, 999), 'not-found', 404);
    fake.addProject(`other/private${projectCount}`, { members: { alice: 'owner' } });
    await expectForgeError(forge.getMergeRequest(`other/private${projectCount}`, 1), 'not-found', 404);
  });

  test('httpCloneUrl is the project clone URL without credentials', async () => {
    const project = newProject();
    await expect(forge.httpCloneUrl(project)).resolves.toBe(`${fake.url}/${project}.git`);
  });
});

describe('merge requests', () => {
  test('getMergeRequest maps GitLab fields to the domain', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project, {
      draft: true,
      assignees: ['bob'],
      squash: true,
      labels: ['ux', 'api'],
    });
    const mr = await forge.getMergeRequest(project, iid);
    const [pipeline] = fake.pipelines(project).filter((p) => p.sha === sha);
    expect(mr).toEqual({
      project,
      iid,
      title: 'Draft: Add feature',
      webUrl: `${fake.url}/${project}/-/merge_requests/${iid}`,
      state: 'opened',
      draft: true,
      sourceBranch: 'feature',
      targetBranch: 'main',
      sourceProject: project,
      headSha: sha,
      authorUsername: 'alice',
      assignees: ['bob'],
      squash: true,
      blockingDiscussionsResolved: true,
      mergeability: 'blocked',
      allowCollaboration: false,
      headPipeline: { id: pipeline.id, sha, ref: 'feature', status: 'pending', webUrl: pipeline.webUrl },
      labels: ['api', 'ux'],
      rebaseInProgress: false,
      mergeError: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  test('setAssignees replaces the assignees and GitLab sends an update hook with the change', async () => {
    const project = newProject();
    const { iid } = await openMr(project, { assignees: ['bob'] });
    await forge.setAssignees(project, iid, ['erin', 'shepherd-bot']);
    expect(fake.mergeRequest(project, iid).assignees).toEqual(['erin', 'shepherd-bot']);

    const hook = await hooks.waitFor(
      (h) => h.event === 'Merge Request Hook' && inProject(h, project) && field(h, 'changes').assignees !== undefined,
    );
    expect(hook.headers['x-gitlab-token']).toBe(SECRET);
    expect(hook.body.object_attributes).toMatchObject({ iid, action: 'update' });
    type Users = Array<{ username: string }>;
    const change = field(hook, 'changes').assignees as { previous: Users; current: Users };
    expect(change.previous.map((u) => u.username)).toEqual(['bob']);
    expect(change.current.map((u) => u.username)).toEqual(['erin', 'shepherd-bot']);

    await forge.setAssignees(project, iid, []);
    expect(fake.mergeRequest(project, iid).assignees).toEqual([]);
    await expectForgeError(forge.setAssignees(project, iid, ['nobody-by-that-name']), 'invalid');
  });

  test('listNotes follows Link pagination, oldest first, and leaves out system notes', async () => {
    const project = newProject();
    const { iid } = await openMr(project);
    // More than GitLab's largest page (100), so at least two pages whatever per_page is.
    for (let i = 1; i <= 130; i++) fake.comment(project, iid, i % 2 ? 'bob' : 'erin', `note ${i}`);
    fake.approve(project, iid, 'bob'); // adds the system note "approved this merge request"
    const notes = await forge.listNotes(project, iid);
    expect(notes).toHaveLength(130);
    expect(notes.map((n) => n.body)).toEqual(Array.from({ length: 130 }, (_, i) => `note ${i + 1}`));
    expect(notes[0].authorUsername).toBe('bob');

    const small = new GitLabForge({ url: fake.url, token: bot.token, perPage: 20 });
    await expect(small.listNotes(project, iid)).resolves.toHaveLength(130);
  });

  test('createNote comments as the bot and GitLab sends a Note Hook', async () => {
    const project = newProject();
    const { iid } = await openMr(project);
    const note = await forge.createNote(project, iid, 'Added to the merge queue.');
    expect(note).toEqual({ id: expect.any(Number), body: 'Added to the merge queue.', authorUsername: 'shepherd-bot' });
    const hook = await hooks.waitFor((h) => h.event === 'Note Hook' && field(h, 'object_attributes').id === note.id);
    expect(hook.headers['x-gitlab-token']).toBe(SECRET);
    expect(hook.body).toMatchObject({
      object_kind: 'note',
      user: { username: 'shepherd-bot' },
      object_attributes: { note: 'Added to the merge queue.', noteable_type: 'MergeRequest' },
      merge_request: { iid, source_branch: 'feature', target_branch: 'main' },
    });
  });

  test('getApprovals: required, left, who approved and who else could', async () => {
    const project = newProject({ approvalsRequired: 2 });
    const { iid } = await openMr(project);
    fake.approve(project, iid, 'bob');
    await expect(forge.getApprovals(project, iid)).resolves.toEqual({
      required: 2,
      left: 1,
      approvedBy: [{ id: fake.user('bob').id, username: 'bob', name: 'BOB' }],
      // not alice (author), not bob (approved), not the bot, not carol (reporter), not dave (no member)
      eligibleApprovers: ['erin'],
    });
  });
});

describe('branches and pipelines', () => {
  test('branchHead is the branch tip, undefined for a missing branch (also with slashes)', async () => {
    const project = newProject();
    const sha = await commitAs('alice', project, 'feature/slashed', { 'x.txt': 'x\n' });
    await expect(forge.branchHead(project, 'feature/slashed')).resolves.toBe(sha);
    await expect(forge.branchHead(project, 'main')).resolves.toBe(fake.branchHead(project, 'main'));
    await expect(forge.branchHead(project, 'no-such-branch')).resolves.toBeUndefined();
  });

  test('pipelinesForSha lists the pipelines of exactly that commit, newest first, with live status', async () => {
    const project = newProject();
    const sha = await fake.commit(project, 'a', { files: { 'a.txt': 'a\n' }, message: 'a', author: 'alice' });
    const other = await fake.commit(project, 'b', { files: { 'b.txt': 'b\n' }, message: 'b', author: 'alice' });
    await fake.setBranch(project, 'c', sha); // the same commit pushed to another branch: a second pipeline
    const [onA, onC] = fake.pipelines(project).filter((p) => p.sha === sha);
    fake.finishPipeline(project, onA.id, 'failed');

    const webUrl = (id: number): string => `${fake.url}/${project}/-/pipelines/${id}`;
    await expect(forge.pipelinesForSha(project, sha)).resolves.toEqual([
      { id: onC.id, sha, ref: 'c', status: 'pending', webUrl: webUrl(onC.id) },
      { id: onA.id, sha, ref: 'a', status: 'failed', webUrl: webUrl(onA.id) },
    ]);
    expect(onC.id).toBeGreaterThan(onA.id);
    expect((await forge.pipelinesForSha(project, other)).map((p) => p.ref)).toEqual(['b']);
    await expect(forge.pipelinesForSha(project, 'f'.repeat(40))).resolves.toEqual([]);
  });
});

describe('merge', () => {
  test('a successful merge writes a merge commit to the target branch of the bare repo', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    const mainBefore = fake.branchHead(project, 'main');
    fake.finishPipeline(project, sha, 'success');

    const result = await forge.merge(project, iid, sha);
    expect(result).toEqual({ kind: 'merged', mergeCommitSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const mergeSha = result.kind === 'merged' ? result.mergeCommitSha : undefined;

    const repo = fake.project(project).repoDir;
    expect(await git(['--git-dir', repo, 'rev-parse', 'refs/heads/main'])).toBe(mergeSha);
    expect((await git(['--git-dir', repo, 'log', '-1', '--format=%P', 'main'])).split(' ')).toEqual([mainBefore, sha]);
    expect(await git(['--git-dir', repo, 'show', 'main:feature.txt'])).toBe('feature');
    expect(fake.mergeRequest(project, iid)).toMatchObject({ state: 'merged', mergeCommitSha: mergeSha });
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ state: 'merged' });

    // What GitLab does next: MR hook "merge", a push to main and a pipeline for it.
    await hooks.waitFor(
      (h) =>
        h.event === 'Merge Request Hook' && inProject(h, project) && field(h, 'object_attributes').action === 'merge',
    );
    const push = await hooks.waitFor((h) => h.event === 'Push Hook' && h.body.after === mergeSha);
    expect(push.body).toMatchObject({ ref: 'refs/heads/main', before: mainBefore, user_username: 'shepherd-bot' });
    await fake.waitForPipeline(project, (p) => p.sha === mergeSha && p.ref === 'main', 5000);

    // Merging it again is refused like GitLab does (405), not thrown, and says why.
    await expect(forge.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'merged' });
  });

  test('a stale sha is head-moved and leaves the target alone', async () => {
    const project = newProject();
    const { iid, sha: old } = await openMr(project);
    const fresh = await commitAs('alice', project, 'feature', { 'more.txt': 'more\n' });
    await fake.mergeRequestUpdatesDone();
    expect(fake.mergeRequest(project, iid).headSha).toBe(fresh);
    fake.finishPipeline(project, fresh, 'success');
    const mainBefore = fake.branchHead(project, 'main');

    const result = await forge.merge(project, iid, old);
    expect(result).toEqual({
      kind: 'head-moved',
      message: expect.stringContaining('SHA does not match HEAD of source branch'),
    });
    expect(fake.branchHead(project, 'main')).toBe(mainBefore);
    expect(fake.mergeRequest(project, iid).state).toBe('opened');
  });

  test('not-mergeable, with the reason, while draft, with an open thread, while CI runs or fails, without approvals', async () => {
    const project = newProject({ approvalsRequired: 1 });
    const { iid, sha } = await openMr(project, { draft: true });

    const reason = async (): Promise<string> => {
      const r = await forge.merge(project, iid, sha);
      return r.kind === 'not-mergeable' ? r.reason : r.kind;
    };
    expect(await reason()).toBe('draft');
    fake.setDraft(project, iid, false);
    fake.addDiscussion(project, iid, { author: 'bob' });
    expect(await reason()).toBe('discussions');
    fake.resolveDiscussions(project, iid);
    expect(await reason()).toBe('ci'); // still running
    fake.finishPipeline(project, sha, 'failed');
    expect(await reason()).toBe('ci');
    fake.finishPipeline(project, sha, 'success');
    expect(await reason()).toBe('approvals');
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ mergeability: 'blocked' });
    fake.approve(project, iid, 'bob');
    expect((await forge.getMergeRequest(project, iid)).mergeability).toBe('mergeable');
    await expect(forge.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'merged' });
  });

  test('fast-forward project: when the target moved the MR needs a rebase first', async () => {
    const project = newProject({ mergeMethod: 'ff', onlyAllowMergeIfPipelineSucceeds: false });
    const { iid, sha } = await openMr(project);
    await commitAs('shepherd-bot', project, 'main', { 'other.txt': 'other\n' });
    const mainBefore = fake.branchHead(project, 'main');

    const result = await forge.merge(project, iid, sha);
    expect(result).toMatchObject({ kind: 'not-mergeable', reason: 'needs-rebase' });
    expect((await forge.getMergeRequest(project, iid)).mergeability).toBe('needs-rebase');
    expect(fake.branchHead(project, 'main')).toBe(mainBefore);
  });

  test('fast-forward merge moves the target to the source head', async () => {
    const project = newProject({ mergeMethod: 'ff', onlyAllowMergeIfPipelineSucceeds: false });
    const { iid, sha } = await openMr(project);
    await expect(forge.merge(project, iid, sha)).resolves.toEqual({ kind: 'merged', mergeCommitSha: sha });
    expect(fake.branchHead(project, 'main')).toBe(sha);
  });

  test('conflicting changes are not mergeable: conflict', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: false });
    const { iid, sha } = await openMr(project, { files: { 'README.md': 'ours\n' } });
    await commitAs('shepherd-bot', project, 'main', { 'README.md': 'theirs\n' });
    await expect(forge.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'conflict' });
    expect((await forge.getMergeRequest(project, iid)).mergeability).toBe('conflict');
  });

  test('squash merges put one squash commit under the merge commit', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: false });
    const { iid } = await openMr(project, { squash: true });
    const head = await fake.commit(project, 'feature', {
      files: { 'second.txt': '2\n' },
      message: 'second',
      author: 'alice',
    });
    await fake.mergeRequestUpdatesDone();
    const base = fake.log(project, 'main', 1)[0].sha;
    const result = await forge.merge(project, iid, head);
    expect(result.kind).toBe('merged');
    const log = fake.log(project, 'main', 10);
    const merge = log[0];
    expect(merge.parents[0]).toBe(base);
    const squash = log.find((c) => c.sha === merge.parents[1]);
    expect(squash).toMatchObject({ subject: 'Add feature', parents: [base] });
    expect(log.map((c) => c.subject)).not.toContain('second'); // the source commits are not on main
    expect(await git(['--git-dir', fake.project(project).repoDir, 'show', 'main:second.txt'])).toBe('2');
  });

  test('a reporter may not merge (401) and an unknown MR is not-found', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: false });
    const { iid, sha } = await openMr(project);
    const reporter = new GitLabForge({ url: fake.url, token: fake.user('carol').token });
    await expectForgeError(reporter.merge(project, iid, sha), 'unauthorized', 401);
    await expect(forge.merge(project, 999, sha)).resolves.toMatchObject({ kind: 'not-found' });
  });
});

describe('pipeline retry and cancel', () => {
  afterEach(() => fake.setPipelinePolicy(undefined));

  const pipelineHookWith =
    (id: number, status: string) =>
    (h: ReceivedHook): boolean =>
      h.event === 'Pipeline Hook' && field(h, 'object_attributes').id === id && field(h, 'object_attributes').status === status;

  test('retryPipeline reruns the same pipeline until it passes; cancelPipeline cancels, and a finished one is fine', async () => {
    const project = newProject();
    // Flaky CI: the first run fails, the retry passes.
    fake.setPipelinePolicy(({ project: p, run }) =>
      p === project ? { status: run === 1 ? 'failed' : 'success', afterMs: 20 } : 'manual',
    );
    const sha = await commitAs('alice', project, 'flaky', { 'f.txt': 'f\n' });
    const [pipeline] = fake.pipelines(project).filter((p) => p.sha === sha);
    const webUrl = `${fake.url}/${project}/-/pipelines/${pipeline.id}`;
    await hooks.waitFor(pipelineHookWith(pipeline.id, 'failed'));
    await expect(forge.getPipeline(project, pipeline.id)).resolves.toMatchObject({ status: 'failed' });

    await expect(forge.retryPipeline(project, pipeline.id)).resolves.toEqual({
      id: pipeline.id,
      sha,
      ref: 'flaky',
      status: 'pending',
      webUrl,
    });
    await hooks.waitFor(pipelineHookWith(pipeline.id, 'success'));
    await expect(forge.getPipeline(project, pipeline.id)).resolves.toMatchObject({ status: 'success' });
    expect(fake.pipelines(project).filter((p) => p.sha === sha)).toEqual([
      expect.objectContaining({ id: pipeline.id, runs: 2 }),
    ]);
    // Nothing failed: GitLab leaves it alone and the forge returns it as it is.
    await expect(forge.retryPipeline(project, pipeline.id)).resolves.toMatchObject({ id: pipeline.id, status: 'success' });

    // Cancel a running one; the policy's later outcome does not bring it back.
    fake.setPipelinePolicy(({ project: p }) => (p === project ? { status: 'success', afterMs: 100 } : 'manual'));
    const other = await commitAs('alice', project, 'slow', { 's.txt': 's\n' });
    const [slow] = fake.pipelines(project).filter((p) => p.sha === other);
    await forge.cancelPipeline(project, slow.id);
    await expect(forge.getPipeline(project, slow.id)).resolves.toMatchObject({ id: slow.id, status: 'canceled' });
    await new Promise((r) => setTimeout(r, 200));
    await expect(forge.getPipeline(project, slow.id)).resolves.toMatchObject({ status: 'canceled' });
    // Already finished (canceled, passed): done, no error.
    await expect(forge.cancelPipeline(project, slow.id)).resolves.toBeUndefined();
    await expect(forge.cancelPipeline(project, pipeline.id)).resolves.toBeUndefined();
    await expect(forge.getPipeline(project, pipeline.id)).resolves.toMatchObject({ status: 'success' });
  });

  test('cancelPipeline: a GitLab that refuses to cancel a finished pipeline (4xx) is done too, a running one is not', async () => {
    const project = newProject();
    const sha = await commitAs('alice', project, 'feature', { 'x.txt': 'x\n' });
    const [pipeline] = fake.pipelines(project).filter((p) => p.sha === sha);
    const cancelPath = /\/pipelines\/\d+\/cancel$/;
    // Still pending: the refusal stands (and the forge looked the pipeline up to tell).
    fake.failNextRequests(1, 422, { method: 'POST', path: cancelPath });
    await expectForgeError(forge.cancelPipeline(project, pipeline.id), 'invalid', 422);
    fake.finishPipeline(project, pipeline.id, 'success');
    fake.failNextRequests(1, 422, { method: 'POST', path: cancelPath });
    await expect(forge.cancelPipeline(project, pipeline.id)).resolves.toBeUndefined();
    expect(fake.pipelines(project).find((p) => p.id === pipeline.id)?.status).toBe('success');
  });

  test('unknown pipelines are not-found, a reporter is forbidden', async () => {
    const project = newProject();
    const sha = await commitAs('alice', project, 'feature', { 'x.txt': 'x\n' });
    const [pipeline] = fake.pipelines(project).filter((p) => p.sha === sha);
    await expectForgeError(forge.retryPipeline(project, 99_999), 'not-found', 404);
    await expectForgeError(forge.cancelPipeline(project, 99_999), 'not-found', 404);
    const reporter = new GitLabForge({ url: fake.url, token: fake.user('carol').token });
    await expectForgeError(reporter.retryPipeline(project, pipeline.id), 'forbidden', 403);
    await expectForgeError(reporter.cancelPipeline(project, pipeline.id), 'forbidden', 403);
    expect(fake.pipelines(project).find((p) => p.id === pipeline.id)).toMatchObject({ status: 'pending', runs: 1 });
  });
});
