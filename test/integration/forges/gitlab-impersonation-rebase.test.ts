// GitLabForge's newer calls (access levels, remote rebase, impersonated approvals, user emails,
// labels, assignments across projects, protected branches) through real @gitbeaker/rest
// against the fake GitLab, plus the fake behaviours they rely on (push rules, approval resets).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Gitlab } from '@gitbeaker/rest';
import { ForgeError } from '../../../src/forges/forge';
import { GitLabForge } from '../../../src/forges/gitlab';
import {
  FakeGitLab,
  git,
  runGit,
  startHookReceiver,
  type AddProjectOptions,
  type FakeUser,
  type HookReceiver,
  type ReceivedHook,
} from '../../fakes/gitlab';

const REBASE_ERROR = 'Rebase failed: Rebase locally, resolve all conflicts, then push the branch.';

let fake: FakeGitLab;
let hooks: HookReceiver;
let work: string;
/** A plain bot: maintainer in its projects, not an admin. */
let forge: GitLabForge;
/** An instance-admin bot that may use Sudo. */
let adminForge: GitLabForge;
let bot: FakeUser;
let admin: FakeUser;
let projectCount = 0;

type Json = Record<string, unknown>;
const field = (h: ReceivedHook, key: string): Json => (h.body[key] ?? {}) as Json;
const inProject = (h: ReceivedHook, project: string): boolean => field(h, 'project').path_with_namespace === project;

beforeAll(async () => {
  hooks = await startHookReceiver();
  fake = await FakeGitLab.start({ webhookUrl: hooks.url, webhookSecret: 's', log: () => undefined });
  bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  admin = fake.addUser({ username: 'admin-bot', name: 'Admin Bot', admin: true, email: 'admin-bot@corp.test' });
  fake.addUser({ username: 'alice', name: 'Alice', email: 'alice@corp.test', publicEmail: 'alice@public.test' });
  fake.addUser({ username: 'bob', name: 'Bob', email: 'bob@corp.test' });
  fake.addUser({ username: 'erin', name: 'Erin', email: 'erin@corp.test', publicEmail: 'erin@public.test' });
  fake.addUser({ username: 'carol', name: 'Carol' });
  fake.addUser({ username: 'dave', name: 'Dave' });
  forge = new GitLabForge({ url: fake.url, token: bot.token });
  adminForge = new GitLabForge({ url: fake.url, token: admin.token });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-ext-test-'));
});

afterAll(async () => {
  await fake?.stop();
  await hooks?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Bot maintainer, alice/bob/erin developers, carol reporter; admin-bot and dave not members. */
function newProject(opts: AddProjectOptions = {}): string {
  const project = `team/svc${++projectCount}`;
  fake.addProject(project, {
    members: {
      'shepherd-bot': 'maintainer',
      alice: 'developer',
      bob: 'developer',
      erin: 'developer',
      carol: 'reporter',
    },
    ...opts,
  });
  return project;
}

async function openMr(
  project: string,
  opts: { branch?: string; files?: Record<string, string>; assignees?: string[]; labels?: string[] } = {},
): Promise<{ iid: number; sha: string }> {
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
    assignees: opts.assignees,
    labels: opts.labels,
  });
  return { iid: mr.iid, sha };
}

async function rejection(p: Promise<unknown>): Promise<ForgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForgeError);
  return err as ForgeError;
}

/** Polls until `ok` holds (GitLab's rebase and approval reset happen in the background). */
async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Clones as `user`, commits one file on `branch` with `message`, pushes over smart HTTP. */
async function pushCommit(
  project: string,
  user: string,
  branch: string,
  message: string,
): Promise<{ code: number; stderr: string; sha: string }> {
  const dir = fs.mkdtempSync(path.join(work, 'clone-'));
  await git(['clone', '--quiet', '--branch', branch, fake.cloneUrl(project, user), dir]);
  fs.writeFileSync(path.join(dir, `pushed-${path.basename(dir)}.txt`), `${message}\n`);
  await git(['add', '.'], { cwd: dir });
  await git(['commit', '--quiet', '-m', message], { cwd: dir });
  const sha = await git(['rev-parse', 'HEAD'], { cwd: dir });
  const push = await runGit(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
  return { code: push.code, stderr: push.stderr, sha };
}

describe('members and protected branches', () => {
  test('mayRequest: active Developers and up; not reporters, non-members, unknown users or invisible projects', async () => {
    const project = newProject();
    await expect(forge.mayRequest(project, 'alice')).resolves.toBe(true);
    await expect(forge.mayRequest(project, 'shepherd-bot')).resolves.toBe(true);
    await expect(forge.mayRequest(project, 'carol')).resolves.toBe(false); // reporter
    await expect(forge.mayRequest(project, 'dave')).resolves.toBe(false);
    await expect(forge.mayRequest(project, 'no-such-user')).resolves.toBe(false);
    fake.setMember(project, 'dave', 'owner');
    await expect(forge.mayRequest(project, 'dave')).resolves.toBe(true);
    fake.addProject(`hidden/p${++projectCount}`, { members: { alice: 'owner' } });
    await expect(forge.mayRequest(`hidden/p${projectCount}`, 'alice')).resolves.toBe(false);
  });

  test('mayPush: protected main only for maintainers, wildcard rules too, and the git side agrees', async () => {
    const project = newProject();
    await expect(forge.mayPush(project, 'alice', 'main')).resolves.toBe(false);
    await expect(forge.mayPush(project, 'shepherd-bot', 'main')).resolves.toBe(true);
    await expect(forge.mayPush(project, 'alice', 'feature/x')).resolves.toBe(true);
    await expect(forge.mayPush(project, 'carol', 'feature/x')).resolves.toBe(false); // reporter
    fake.setProjectOption(project, { protectedBranches: ['main', 'release/*'] });
    await expect(forge.mayPush(project, 'alice', 'release/1.0')).resolves.toBe(false);
    await expect(forge.mayPush(project, 'alice', 'release/1.0/hotfix')).resolves.toBe(false);
    await expect(forge.mayPush(project, 'alice', 'releases')).resolves.toBe(true);
    // The fake's git side agrees: a developer may not push to a wildcard-protected branch.
    await fake.commit(project, 'release/2.0', { files: { 'r.txt': 'r\n' }, message: 'r', author: 'shepherd-bot' });
    const push = await pushCommit(project, 'alice', 'release/2.0', 'Touch release');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('You are not allowed to push code to protected branches on this project.');
  });
});

describe('users and emails', () => {
  test('userDetails: admins see private emails, others the public one or none', async () => {
    const alice = fake.user('alice');
    const bob = fake.user('bob');
    await expect(forge.userDetails(alice.id)).resolves.toEqual({
      id: alice.id,
      username: 'alice',
      name: 'Alice',
      email: 'alice@public.test',
    });
    const noEmail = await forge.userDetails(bob.id);
    expect(noEmail).toEqual({ id: bob.id, username: 'bob', name: 'Bob' });
    expect('email' in noEmail).toBe(false);
    await expect(adminForge.userDetails(alice.id)).resolves.toMatchObject({ email: 'alice@corp.test' });
    await expect(adminForge.userDetails(bob.id)).resolves.toMatchObject({ email: 'bob@corp.test' });
    expect((await rejection(forge.userDetails(99_999))).kind).toBe('not-found');
  });

  test('getApprovals fills approvers emails as far as the token may see them', async () => {
    const project = newProject({ approvalsRequired: 2 });
    fake.setMember(project, 'admin-bot', 'maintainer');
    const { iid } = await openMr(project);
    fake.approve(project, iid, 'bob');
    fake.approve(project, iid, 'erin');
    const plain = await forge.getApprovals(project, iid);
    expect(plain.approvedBy.map((u) => [u.username, u.email])).toEqual([
      ['bob', undefined],
      ['erin', 'erin@public.test'],
    ]);
    const asAdmin = await adminForge.getApprovals(project, iid);
    expect(asAdmin.approvedBy.map((u) => u.email)).toEqual(['bob@corp.test', 'erin@corp.test']);
  });
});

describe('impersonation', () => {
  test('canImpersonate: only an admin token may use Sudo', async () => {
    await expect(adminForge.canImpersonate()).resolves.toBe(true);
    await expect(forge.canImpersonate()).resolves.toBe(false);
  });

  test('approveAs approves as the user; twice is fine; a stale sha and the author are refused', async () => {
    const project = newProject({ approvalsRequired: 1 });
    const { iid, sha } = await openMr(project);
    await adminForge.approveAs(project, iid, 'bob', sha);
    expect(fake.mergeRequest(project, iid).approvedBy).toEqual(['bob']);
    expect(fake.notes(project, iid).filter((n) => n.system).map((n) => [n.author, n.body])).toContainEqual([
      'bob',
      'approved this merge request',
    ]);
    expect(fake.sudoRequests.at(-1)).toEqual({
      admin: 'admin-bot',
      as: 'bob',
      method: 'POST',
      path: `/projects/${encodeURIComponent(project)}/merge_requests/${iid}/approve`,
    });
    // GitLab answers 401 to a second approval: still a success for us.
    await adminForge.approveAs(project, iid, 'bob', sha);
    await expect(forge.getApprovals(project, iid)).resolves.toMatchObject({ left: 0 });

    const stale = await rejection(adminForge.approveAs(project, iid, 'erin', 'f'.repeat(40)));
    expect(stale).toMatchObject({ kind: 'head-moved', status: 409 });
    expect(stale.message).toContain('SHA does not match HEAD of source branch');
    // The author may not approve (GitLab's default): 401 that is not "already approved".
    expect(await rejection(adminForge.approveAs(project, iid, 'alice'))).toMatchObject({
      kind: 'unauthorized',
      status: 401,
    });
    // Without admin rights Sudo is refused outright.
    const denied = await rejection(forge.approveAs(project, iid, 'erin'));
    expect(denied).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(denied.message).toContain('Must be admin to use sudo');
    expect(fake.mergeRequest(project, iid).approvedBy).toEqual(['bob']);
  });
});

describe('approvals reset on push', () => {
  test('a push by the bot over smart HTTP drops approvals when the project says so', async () => {
    const project = newProject({ approvalsRequired: 1, resetApprovalsOnPush: true });
    const { iid } = await openMr(project);
    fake.approve(project, iid, 'bob');
    const push = await pushCommit(project, 'shepherd-bot', 'feature', 'Bot update');
    expect(push.code).toBe(0);
    expect(fake.mergeRequest(project, iid).approvedBy).toEqual([]);
    await fake.mergeRequestUpdatesDone();
    expect(fake.mergeRequest(project, iid).headSha).toBe(push.sha);
    await expect(forge.getApprovals(project, iid)).resolves.toMatchObject({ left: 1, approvedBy: [] });
    expect(fake.notes(project, iid).map((n) => n.body)).toContain('reset approvals from @bob by pushing to the branch');

    // Without the setting approvals survive a push.
    fake.setProjectOption(project, { resetApprovalsOnPush: false });
    fake.approve(project, iid, 'erin');
    expect((await pushCommit(project, 'shepherd-bot', 'feature', 'Another')).code).toBe(0);
    expect(fake.mergeRequest(project, iid).approvedBy).toEqual(['erin']);
  });

  test('with approvalResetDelayMs the reset comes later and also sweeps re-approvals', async () => {
    const project = newProject({ approvalsRequired: 1, resetApprovalsOnPush: true, approvalResetDelayMs: 300 });
    const { iid } = await openMr(project);
    fake.approve(project, iid, 'bob');
    expect((await pushCommit(project, 'shepherd-bot', 'feature', 'Bot update')).code).toBe(0);
    expect(fake.mergeRequest(project, iid).approvedBy).toEqual(['bob']); // not yet
    await adminForge.approveAs(project, iid, 'erin'); // re-approving too early is the race marge-bot waits out
    await until(
      () => fake.mergeRequest(project, iid).approvedBy,
      (a) => a.length === 0,
    );
  });
});

describe('remote rebase', () => {
  test('fast-forward project: rebase makes the MR mergeable again, as the bot, with a pipeline and hooks', async () => {
    const project = newProject({ mergeMethod: 'ff', onlyAllowMergeIfPipelineSucceeds: false, approvalsRequired: 1 });
    fake.setProjectOption(project, { resetApprovalsOnPush: true });
    const { iid, sha: oldHead } = await openMr(project);
    fake.approve(project, iid, 'bob');
    const targetHead = await fake.commit(project, 'main', {
      files: { 'other.txt': 'other\n' },
      message: 'Other change',
      author: 'erin',
    });
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({
      mergeability: 'needs-rebase',
      rebaseInProgress: false,
      mergeError: null,
    });

    await forge.requestRebase(project, iid);
    await forge.requestRebase(project, iid); // already running: GitLab's 409, fine for us
    expect((await forge.getMergeRequest(project, iid)).rebaseInProgress).toBe(true);
    const done = await until(
      () => forge.getMergeRequest(project, iid),
      (mr) => !mr.rebaseInProgress,
    );
    expect(done).toMatchObject({ mergeError: null, mergeability: 'mergeable' });
    expect(done.headSha).not.toBe(oldHead);
    expect(fake.branchHead(project, 'feature')).toBe(done.headSha);

    const repo = fake.project(project).repoDir;
    const [parent, committer, author] = (
      await git(['--git-dir', repo, 'log', '-1', '--format=%P|%cn|%an', done.headSha])
    ).split('|');
    expect({ parent, committer, author }).toEqual({ parent: targetHead, committer: 'Shepherd', author: 'Alice' });
    // GitLab keeps approvals when the new head comes from its own rebase.
    expect(fake.mergeRequest(project, iid).approvedBy).toEqual(['bob']);
    await fake.waitForPipeline(project, (p) => p.sha === done.headSha && p.ref === 'feature', 2000);
    const update = await hooks.waitFor(
      (h) =>
        h.event === 'Merge Request Hook' && inProject(h, project) && field(h, 'object_attributes').oldrev === oldHead,
    );
    expect(update.body).toMatchObject({ user: { username: 'shepherd-bot' }, object_attributes: { action: 'update' } });
    await hooks.waitFor((h) => h.event === 'Push Hook' && h.body.after === done.headSha);

    await expect(forge.merge(project, iid, done.headSha)).resolves.toEqual({
      kind: 'merged',
      mergeCommitSha: done.headSha,
    });
  });

  test('a conflicting rebase sets merge_error and leaves the branch alone', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: false });
    const { iid, sha } = await openMr(project, { files: { 'README.md': 'ours\n' } });
    await fake.commit(project, 'main', { files: { 'README.md': 'theirs\n' }, message: 'Theirs', author: 'erin' });
    const pipelinesBefore = fake.pipelines(project).length;

    await forge.requestRebase(project, iid);
    const done = await until(
      () => forge.getMergeRequest(project, iid),
      (mr) => !mr.rebaseInProgress,
    );
    expect(done).toMatchObject({ headSha: sha, mergeError: REBASE_ERROR, mergeability: 'conflict' });
    expect(fake.branchHead(project, 'feature')).toBe(sha);
    expect(fake.mergeRequest(project, iid).mergeError).toBe(REBASE_ERROR);
    expect(fake.pipelines(project)).toHaveLength(pipelinesBefore);
    // No worktree is left behind in the bare repository.
    expect(await git(['--git-dir', fake.project(project).repoDir, 'worktree', 'list'])).not.toContain('rebase');
  });

  test('rebasing needs push access to the source branch (403)', async () => {
    const project = newProject();
    const { iid } = await openMr(project);
    const reporter = new GitLabForge({ url: fake.url, token: fake.user('carol').token });
    const err = await rejection(reporter.requestRebase(project, iid));
    expect(err).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(err.message).toContain('Cannot push to source branch');
  });
});

describe('push rules', () => {
  test('a push over smart HTTP with a non-matching commit message is refused like GitLab does', async () => {
    const project = newProject({ pushRule: { commitMessageRegex: '^[A-Z]+-\\d+: ' } });
    await fake.commit(project, 'topic', { files: { 't.txt': 't\n' }, message: 'ABC-1: start', author: 'alice' });
    const before = fake.branchHead(project, 'topic');
    const bad = await pushCommit(project, 'alice', 'topic', 'no ticket here');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("GitLab: Commit message does not follow the pattern '^[A-Z]+-\\d+: '");
    expect(bad.stderr).toContain('pre-receive hook declined');
    expect(fake.branchHead(project, 'topic')).toBe(before);
    const good = await pushCommit(project, 'alice', 'topic', 'ABC-2: fine');
    expect(good.code).toBe(0);
    expect(fake.branchHead(project, 'topic')).toBe(good.sha);

    fake.setProjectOption(project, { pushRule: { commitMessageRegex: '^OK', rejectMessage: 'Say OK first.' } });
    const custom = await pushCommit(project, 'alice', 'topic', 'ABC-3: no longer enough');
    expect(custom.stderr).toContain('GitLab: Say OK first.');
  });

  test('a merge whose commits break the push rule is refused (422) with merge_error', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: false, mergeMethod: 'ff' });
    const { iid, sha } = await openMr(project); // "Add feature"
    fake.setProjectOption(project, { pushRule: { commitMessageRegex: '^JIRA-\\d+' } });
    const mainBefore = fake.branchHead(project, 'main');
    const result = await forge.merge(project, iid, sha);
    expect(result).toEqual({ kind: 'refused', message: "Commit message does not follow the pattern '^JIRA-\\d+'" });
    expect(fake.branchHead(project, 'main')).toBe(mainBefore);
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({
      state: 'opened',
      mergeError: "Commit message does not follow the pattern '^JIRA-\\d+'",
    });
    fake.setProjectOption(project, { pushRule: null });
    await expect(forge.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'merged' });
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ mergeError: null });
  });
});

describe('labels', () => {
  test('labels round-trip through REST, and setLabels sends GitLab-shaped hooks', async () => {
    const project = newProject();
    const { iid } = await openMr(project, { labels: ['needs-review', 'backend'] });
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ labels: ['backend', 'needs-review'] });

    fake.setLabels(project, iid, ['backend', 'merge-queue'], 'bob');
    expect(fake.mergeRequest(project, iid).labels).toEqual(['backend', 'merge-queue']);
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ labels: ['backend', 'merge-queue'] });
    const hook = await hooks.waitFor(
      (h) => h.event === 'Merge Request Hook' && inProject(h, project) && field(h, 'changes').labels !== undefined,
    );
    type Labels = Array<{ title: string; id: number; type: string }>;
    const change = field(hook, 'changes').labels as { previous: Labels; current: Labels };
    expect(change.previous.map((l) => l.title)).toEqual(['backend', 'needs-review']);
    expect(change.current.map((l) => l.title)).toEqual(['backend', 'merge-queue']);
    expect(change.current[0]).toMatchObject({ id: change.previous[0].id, type: 'ProjectLabel' });
    expect((hook.body.labels as Labels).map((l) => l.title)).toEqual(['backend', 'merge-queue']);
    expect((field(hook, 'object_attributes').labels as Labels).map((l) => l.title)).toEqual(['backend', 'merge-queue']);
    expect(hook.body).toMatchObject({ user: { username: 'bob' }, object_attributes: { action: 'update' } });

    // The REST side edits them too (add_labels / remove_labels), and lists filter by them.
    const api = new Gitlab({ host: fake.url, token: bot.token });
    const edited = await api.MergeRequests.edit(project, iid, { addLabels: 'urgent', removeLabels: 'backend' });
    expect(edited.labels).toEqual(['merge-queue', 'urgent']);
    const found = await api.MergeRequests.all({ projectId: project, labels: 'urgent' });
    expect(found.map((m) => m.iid)).toEqual([iid]);
  });
});

describe('assignments across projects', () => {
  test('mergeRequestsAssignedTo lists open MRs of the projects the bot works in, following pagination', async () => {
    const a = newProject();
    const b = newProject();
    const mine: string[] = [];
    for (const branch of ['a1', 'a2', 'a3']) {
      const { iid } = await openMr(a, { branch, assignees: ['shepherd-bot'] });
      mine.push(`${a}!${iid}`);
    }
    const { iid: b1 } = await openMr(b, { branch: 'b1', assignees: ['bob', 'shepherd-bot'], labels: ['x'] });
    mine.push(`${b}!${b1}`);
    await openMr(b, { branch: 'b2', assignees: ['bob'] }); // someone else's
    const { iid: closed } = await openMr(b, { branch: 'b3', assignees: ['shepherd-bot'] });
    fake.close(b, closed);
    // Assigned in a project the bot cannot see (set up behind GitLab's back): not listed.
    const hidden = `hidden/q${++projectCount}`;
    fake.addProject(hidden, { members: { alice: 'owner' } });
    await fake.commit(hidden, 'h', { files: { 'h.txt': 'h\n' }, message: 'h', author: 'alice' });
    fake.createMergeRequest(hidden, { sourceBranch: 'h', title: 'h', author: 'alice', assignees: ['shepherd-bot'] });

    const small = new GitLabForge({ url: fake.url, token: bot.token, perPage: 2 });
    const list = await small.mergeRequestsAssignedTo('shepherd-bot');
    const ours = list.filter((mr) => mr.project === a || mr.project === b);
    expect(ours.map((mr) => `${mr.project}!${mr.iid}`).sort()).toEqual([...mine].sort());
    expect(list.every((mr) => mr.assignees.includes('shepherd-bot') && mr.state === 'opened')).toBe(true);
    expect(list.some((mr) => mr.project === hidden)).toBe(false);
    expect(list.length).toBeGreaterThan(2); // more than one page of 2
    const inB = ours.find((mr) => mr.project === b);
    expect(inB).toMatchObject({
      sourceProject: b,
      sourceBranch: 'b1',
      labels: ['x'],
      rebaseInProgress: false,
      mergeError: null,
    });
    await expect(small.mergeRequestsAssignedTo('erin')).resolves.toEqual([]);
  });

  test('mergeRequestsLabelled lists open MRs carrying the label in the projects the bot works in, following pagination, and not a stranger\'s visible project', async () => {
    const a = newProject();
    const b = newProject();
    const wanted: string[] = [];
    for (const [project, branch] of [[a, 'l1'], [a, 'l2'], [b, 'l3']] as const) {
      const { iid } = await openMr(project, { branch, labels: ['merge-me', 'other'] });
      wanted.push(`${project}!${iid}`);
    }
    await openMr(a, { branch: 'l4', labels: ['other'] });
    const { iid: closed } = await openMr(b, { branch: 'l5', labels: ['merge-me'] });
    fake.close(b, closed);
    // Someone else's internal project: the bot can see it, but does not work there.
    const stranger = `strangers/q${++projectCount}`;
    fake.addProject(stranger, { members: { alice: 'owner' }, visibility: 'internal' });
    await fake.commit(stranger, 's', { files: { 's.txt': 's\n' }, message: 's', author: 'alice' });
    fake.createMergeRequest(stranger, { sourceBranch: 's', title: 's', author: 'alice', labels: ['merge-me'], assignees: ['shepherd-bot'] });

    const small = new GitLabForge({ url: fake.url, token: bot.token, perPage: 2 });
    const all = await small.mergeRequestsLabelled('merge-me');
    expect(all.some((mr) => mr.project === stranger)).toBe(false);
    await expect(small.mergeRequestsAssignedTo('shepherd-bot')).resolves.not.toContainEqual(expect.objectContaining({ project: stranger }));
    const list = all.filter((mr) => mr.project === a || mr.project === b);
    expect(list.map((mr) => `${mr.project}!${mr.iid}`).sort()).toEqual([...wanted].sort());
    expect(list.every((mr) => mr.labels.includes('merge-me') && mr.state === 'opened')).toBe(true);
  });
});
