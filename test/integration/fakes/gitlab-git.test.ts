// The fake GitLab's git smart HTTP with the real git CLI: auth, permissions, protected
// branches, and what a push sets off (MR head update, pipeline, webhooks).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGitLab, git, runGit, startHookReceiver, type HookReceiver, type ReceivedHook } from '../../fakes/gitlab';

const SECRET = 'push-secret';
let fake: FakeGitLab;
let hooks: HookReceiver;
let work: string;
let projectCount = 0;

beforeAll(async () => {
  hooks = await startHookReceiver();
  fake = await FakeGitLab.start({ webhookUrl: hooks.url, webhookSecret: SECRET, log: () => undefined });
  fake.addUser({ username: 'maya', name: 'Maya Maintainer' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  fake.addUser({ username: 'rita', name: 'Rita Reporter' });
  fake.addUser({ username: 'olga', name: 'Olga Outsider' });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-git-test-'));
});

afterAll(async () => {
  await fake?.stop();
  await hooks?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function newProject(): string {
  const project = `group/repo${++projectCount}`;
  fake.addProject(project, {
    members: { maya: 'maintainer', dev: 'developer', rita: 'reporter' },
    files: { 'README.md': '# hello\n', 'src/app.txt': 'v1\n' },
  });
  return project;
}

async function clone(project: string, user: string): Promise<string> {
  const dir = path.join(work, `${user}-${project.replace('/', '-')}-${Date.now()}`);
  await git(['clone', '--quiet', fake.cloneUrl(project, user), dir]);
  return dir;
}

async function commitFile(dir: string, file: string, content: string, message: string): Promise<string> {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), content);
  await git(['add', file], { cwd: dir });
  await git(['commit', '--quiet', '-m', message], { cwd: dir });
  return git(['rev-parse', 'HEAD'], { cwd: dir });
}

type Json = Record<string, unknown>;
const attrs = (h: ReceivedHook): Json => (h.body.object_attributes ?? {}) as Json;
const projectOf = (h: ReceivedHook): unknown => (h.body.project as Json | undefined)?.path_with_namespace;
/** Matches the Pipeline Hook for `sha` (optionally in a given status). */
const pipelineHookFor =
  (sha: string, status?: string) =>
  (h: ReceivedHook): boolean =>
    h.event === 'Pipeline Hook' && attrs(h).sha === sha && (status === undefined || attrs(h).status === status);

describe('authentication and permissions', () => {
  test('clone with a token gets the files of the default branch', async () => {
    const project = newProject();
    const dir = await clone(project, 'rita');
    expect(fs.readFileSync(path.join(dir, 'src/app.txt'), 'utf8')).toBe('v1\n');
    expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(fake.branchHead(project, 'main'));
    expect(await git(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: dir })).toBe('main');
  });

  test('without a token or with a wrong one, cloning fails; the server challenges with Basic', async () => {
    const project = newProject();
    const anonymous = await runGit(['clone', `${fake.url}/${project}.git`, path.join(work, 'anon')]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/could not read Username|Authentication failed/);

    const badUrl = new URL(fake.cloneUrl(project, 'dev'));
    badUrl.password = 'glpat-nope';
    const wrong = await runGit(['clone', badUrl.toString(), path.join(work, 'wrong')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Authentication failed');

    const res = await fetch(`${fake.url}/${project}.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
  });

  test('a non-member cannot see the project; a reporter can fetch but not push', async () => {
    const project = newProject();
    const outsider = await runGit(['clone', fake.cloneUrl(project, 'olga'), path.join(work, 'olga')]);
    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toMatch(/not found|404/i);

    const dir = await clone(project, 'rita');
    await commitFile(dir, 'rita.txt', 'r\n', 'reporter change');
    const push = await runGit(['push', 'origin', 'HEAD:refs/heads/rita'], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/403/);
    expect(fake.branchHead(project, 'rita')).toBeUndefined();
  });
});

describe('pushing', () => {
  test('a developer pushes a new branch: pipeline, Push Hook and Pipeline Hook with the token', async () => {
    const project = newProject();
    const dir = await clone(project, 'dev');
    const sha = await commitFile(dir, 'feature.txt', 'f\n', 'Add feature');
    await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/feature'], { cwd: dir });

    expect(fake.branchHead(project, 'feature')).toBe(sha);
    const pipeline = await fake.waitForPipeline(project, sha, 5000);
    expect(pipeline).toMatchObject({
      ref: 'feature',
      status: 'pending',
      webUrl: `${fake.url}/${project}/-/pipelines/${pipeline.id}`,
    });

    const push = await hooks.waitFor((h) => h.event === 'Push Hook' && h.body.after === sha);
    expect(push.headers['x-gitlab-token']).toBe(SECRET);
    expect(push.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(push.headers['x-gitlab-event-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(push.body).toMatchObject({
      object_kind: 'push',
      ref: 'refs/heads/feature',
      before: '0'.repeat(40),
      user_username: 'dev',
      project: { path_with_namespace: project, default_branch: 'main', git_http_url: `${fake.url}/${project}.git` },
    });
    expect((push.body.commits as Json[])[0]).toMatchObject({ id: sha, title: 'Add feature' });

    const ph = await hooks.waitFor(pipelineHookFor(sha));
    expect(ph.body).toMatchObject({
      object_kind: 'pipeline',
      object_attributes: { id: pipeline.id, ref: 'feature', status: 'pending' },
      merge_request: null,
    });

    fake.finishPipeline(project, sha, 'success');
    const done = await hooks.waitFor(pipelineHookFor(sha, 'success'));
    expect(attrs(done).detailed_status).toBe('passed');
  });

  test('a push to an MR source branch moves the MR head a moment later; its branch pipeline hook names no MR', async () => {
    const project = newProject();
    const first = await fake.commit(project, 'topic', { files: { 'topic.txt': '1\n' }, message: 'one', author: 'dev' });
    const mr = fake.createMergeRequest(project, { sourceBranch: 'topic', title: 'Topic', author: 'dev' });

    const dir = await clone(project, 'maya');
    await git(['checkout', '--quiet', 'topic'], { cwd: dir });
    const second = await commitFile(dir, 'topic.txt', '2\n', 'topic 2');
    await git(['push', '--quiet', 'origin', 'topic'], { cwd: dir });

    // GitLab applies the push to the MR in a background worker.
    await fake.mergeRequestUpdatesDone();
    expect(fake.mergeRequest(project, mr.iid)).toMatchObject({ headSha: second, updatePending: false });
    const update = await hooks.waitFor(
      (h) => h.event === 'Merge Request Hook' && projectOf(h) === project && attrs(h).oldrev === first,
    );
    expect(update.body).toMatchObject({
      object_kind: 'merge_request',
      user: { username: 'maya' },
      object_attributes: {
        iid: mr.iid,
        action: 'update',
        state: 'opened',
        source_branch: 'topic',
        last_commit: { id: second },
      },
    });
    // A branch pipeline (source push), as most projects have: GitLab names no MR in its hook.
    const ph = await hooks.waitFor(pipelineHookFor(second));
    expect(ph.body).toMatchObject({ object_attributes: { source: 'push', ref: 'topic' }, merge_request: null });
    expect(fake.pipelines(project).map((p) => p.sha)).toEqual([first, second]);
  });

  test("protected main: GitLab's refusal for a developer; a maintainer may push but not force-push", async () => {
    const project = newProject();
    const mainBefore = fake.branchHead(project, 'main');
    const devDir = await clone(project, 'dev');
    await commitFile(devDir, 'direct.txt', 'd\n', 'direct to main');
    const refused = await runGit(['push', 'origin', 'main'], { cwd: devDir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('GitLab: You are not allowed to push code to protected branches on this project.');
    expect(fake.branchHead(project, 'main')).toBe(mainBefore);
    expect(fake.pipelines(project)).toEqual([]);

    const mayaDir = await clone(project, 'maya');
    const sha = await commitFile(mayaDir, 'hotfix.txt', 'h\n', 'hotfix');
    await git(['push', '--quiet', 'origin', 'main'], { cwd: mayaDir });
    expect(fake.branchHead(project, 'main')).toBe(sha);

    await git(['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: mayaDir });
    await commitFile(mayaDir, 'rewrite.txt', 'r\n', 'rewrite history');
    const force = await runGit(['push', '--force', 'origin', 'main'], { cwd: mayaDir });
    expect(force.code).not.toBe(0);
    expect(force.stderr).toContain('not allowed to force push code to a protected branch');
    expect(fake.branchHead(project, 'main')).toBe(sha);
  });

  test('fetch sees commits made with fake.commit(), and a force-push to an unprotected branch works', async () => {
    const project = newProject();
    const dir = await clone(project, 'dev');
    const files = { 'src/app.txt': 'v2\n', 'README.md': null };
    const sha = await fake.commit(project, 'main', { files, message: 'v2', author: 'maya' });
    await git(['pull', '--quiet', '--ff-only'], { cwd: dir });
    expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(sha);
    expect(fs.readFileSync(path.join(dir, 'src/app.txt'), 'utf8')).toBe('v2\n');
    expect(fs.existsSync(path.join(dir, 'README.md'))).toBe(false);

    await git(['checkout', '--quiet', '-b', 'wip'], { cwd: dir });
    await commitFile(dir, 'a.txt', 'a\n', 'a');
    await git(['push', '--quiet', 'origin', 'wip'], { cwd: dir });
    await git(['commit', '--quiet', '--amend', '-m', 'a (amended)'], { cwd: dir });
    const amended = await git(['rev-parse', 'HEAD'], { cwd: dir });
    await git(['push', '--quiet', '--force', 'origin', 'wip'], { cwd: dir });
    expect(fake.branchHead(project, 'wip')).toBe(amended);
    expect(fake.log(project, 'wip', 1)[0].subject).toBe('a (amended)');
  });
});

describe('pipelines and REST basics', () => {
  test('a pipeline policy finishes pipelines by itself; waitForPipeline also waits for future ones', async () => {
    const project = newProject();
    fake.setPipelinePolicy(({ ref }) => (ref === 'auto' ? { status: 'success', afterMs: 30 } : 'manual'));
    try {
      const waiting = fake.waitForPipeline(project, (p) => p.ref === 'auto', 5000);
      const sha = await fake.commit(project, 'auto', { files: { 'auto.txt': 'a\n' }, message: 'auto', author: 'dev' });
      expect((await waiting).sha).toBe(sha);
      const done = await hooks.waitFor(pipelineHookFor(sha, 'success'));
      expect(done.body.project).toMatchObject({ path_with_namespace: project });
      expect(fake.pipelines(project)[0].status).toBe('success');
    } finally {
      fake.setPipelinePolicy(undefined);
    }
  });

  test('REST: 401 without a token, Bearer tokens, list filters and pagination headers', async () => {
    const project = newProject();
    const api = `${fake.url}/api/v4/projects/${encodeURIComponent(project)}`;
    const anonymous = await fetch(`${api}/merge_requests`);
    expect(anonymous.status).toBe(401);
    await expect(anonymous.json()).resolves.toEqual({ message: '401 Unauthorized' });

    for (const branch of ['one', 'two', 'three']) {
      await fake.commit(project, branch, {
        files: { [`${branch}.txt`]: `${branch}\n` },
        message: branch,
        author: 'dev',
      });
      const assignees = branch === 'two' ? [] : ['maya'];
      fake.createMergeRequest(project, { sourceBranch: branch, title: branch, author: 'dev', assignees });
    }
    fake.close(project, 3);
    const auth = { Authorization: `Bearer ${fake.user('rita').token}` };
    const res = await fetch(`${api}/merge_requests?state=opened&assignee_username=maya&per_page=1`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total')).toBe('1');
    expect(((await res.json()) as Array<{ iid: number }>).map((m) => m.iid)).toEqual([1]);
    const all = await fetch(`${api}/merge_requests?per_page=2`, { headers: auth });
    expect(all.headers.get('x-total-pages')).toBe('2');
    expect(all.headers.get('link')).toContain('rel="next"');
    const missing = await fetch(`${api}/merge_requests/42`, { headers: auth });
    expect(missing.status).toBe(404);
    await expect(missing.json()).resolves.toEqual({ message: '404 Not found' });
  });
});

describe('webhook delivery', () => {
  test('deliveries are recorded; a failed one can be redelivered with the same Idempotency-Key', async () => {
    const project = newProject();
    await fake.webhooksIdle();
    hooks.respondWith(500);
    const sha = await fake.commit(project, 'hooked', { files: { 'h.txt': 'h\n' }, message: 'h', author: 'dev' });
    await fake.webhooksIdle();
    hooks.respondWith(200);

    const failed = fake.webhookDeliveries.find((d) => d.event === 'Push Hook' && d.body.after === sha);
    expect(failed?.status).toBe(500);
    const again = fake.redeliver(failed?.index ?? -1);
    await fake.webhooksIdle();
    expect(again.status).toBe(200);
    expect(again.redeliveryOf).toBe(failed?.index);
    const received = hooks.received.filter((h) => h.event === 'Push Hook' && h.body.after === sha);
    expect(received).toHaveLength(2);
    expect(received[0].headers['idempotency-key']).toBe(received[1].headers['idempotency-key']);
    expect(received[1].headers['x-gitlab-token']).toBe(SECRET);
  });

  test('setWebhook changes where hooks go and which token they carry', async () => {
    const project = newProject();
    const other = await startHookReceiver();
    try {
      fake.setWebhook(other.url, 'rotated');
      const sha = await fake.commit(project, 'moved', { files: { 'm.txt': 'm\n' }, message: 'm', author: 'dev' });
      const hook = await other.waitFor((h) => h.event === 'Push Hook' && h.body.after === sha);
      expect(hook.headers['x-gitlab-token']).toBe('rotated');
    } finally {
      fake.setWebhook(hooks.url, SECRET);
      await other.close();
    }
  });
});

describe('merge requests merged outside GitLab', () => {
  test('pushing an MR\'s head to its target branch marks it merged, as GitLab\'s refresh does', async () => {
    const project = newProject();
    const head = await fake.commit(project, 'feature', { files: { 'f.txt': 'f\n' }, message: 'Add f', author: 'dev' });
    const mr = fake.createMergeRequest(project, { sourceBranch: 'feature', title: 'Add f', author: 'dev' });
    await fake.mergeRequestUpdatesDone();
    const dir = await clone(project, 'maya');
    await git(['push', '--quiet', 'origin', `${head}:refs/heads/main`], { cwd: dir });
    const merged = fake.mergeRequest(project, mr.iid);
    expect(merged.state).toBe('merged');
    expect(merged.mergeCommitSha).toBe(head);
    await hooks.waitFor((h) => h.event === 'Merge Request Hook' && attrs(h).iid === mr.iid && attrs(h).action === 'merge');
  });

  test('the target reaching an MR\'s new head before GitLab updated the MR after its push leaves it open (gitlab#636014)', async () => {
    const project = newProject();
    await fake.commit(project, 'feature', { files: { 'f.txt': 'f\n' }, message: 'Add f', author: 'dev' });
    const mr = fake.createMergeRequest(project, { sourceBranch: 'feature', title: 'Add f', author: 'dev' });
    await fake.mergeRequestUpdatesDone();
    fake.setAsyncMergeRequestUpdateMs(2000);
    try {
      await fake.commit(project, 'main', { files: { 'm.txt': 'm\n' }, message: 'Move main', author: 'maya' });
      const dir = await clone(project, 'maya');
      await git(['checkout', '--quiet', 'feature'], { cwd: dir });
      await git(['-c', 'user.name=Maya', '-c', 'user.email=maya@example.com', 'rebase', '--quiet', 'origin/main'], { cwd: dir });
      const rebased = await git(['rev-parse', 'HEAD'], { cwd: dir });
      await git(['push', '--quiet', '--force', 'origin', 'feature'], { cwd: dir });
      // The target moves to the new head while GitLab still shows the MR's old one.
      await git(['push', '--quiet', 'origin', `${rebased}:refs/heads/main`], { cwd: dir });
      expect(fake.mergeRequest(project, mr.iid).state).toBe('opened');
      await fake.mergeRequestUpdatesDone();
      expect(fake.mergeRequest(project, mr.iid)).toMatchObject({ state: 'opened', headSha: rebased });
    } finally {
      fake.setAsyncMergeRequestUpdateMs(200);
    }
  });
});
