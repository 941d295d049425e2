// Fork merge requests in the fake GitLab: the source branch lives in a fork, the MR in the
// target project; "allow commits from members who can merge to the target branch" lets them
// push to that one branch of the fork, over HTTP and SSH; merging brings the fork's commits in.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGitLab, git, runGit } from '../../fakes/gitlab';
import { api, getMr, mergeMr, projectPath } from './http';

const UPSTREAM = 'team/app';
let fake: FakeGitLab;
let work: string;
let forkCount = 0;
let botKey: string;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined, ssh: true });
  fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  fake.addUser({ username: 'alice', name: 'Alice Contributor' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  fake.addProject(UPSTREAM, {
    members: { 'shepherd-bot': 'maintainer', dev: 'developer', alice: 'reporter' },
    onlyAllowMergeIfPipelineSucceeds: false,
    files: { 'README.md': '# app\n' },
  });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-forks-'));
  botKey = path.join(work, 'bot-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bot', '-f', botKey], { stdio: 'ignore' });
  fs.chmodSync(botKey, 0o600);
  fake.addSshKey('shepherd-bot', fs.readFileSync(`${botKey}.pub`, 'utf8'));
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** alice's fork with a commit on `feature`, and her MR from it into upstream main. */
async function forkMr(opts: { allowCollaboration: boolean; visibility?: 'private' | 'internal' }) {
  const fork = `alice/app${++forkCount}`;
  fake.forkProject(UPSTREAM, fork, 'alice', { visibility: opts.visibility });
  const sha = await fake.commit(fork, 'feature', {
    files: { 'feature.txt': 'from the fork\n' },
    message: 'Add feature',
    author: 'alice',
  });
  const created = await api(fake, 'alice', 'POST', `${projectPath(fork)}/merge_requests`, {
    source_branch: 'feature',
    target_branch: 'main',
    target_project_id: fake.project(UPSTREAM).id,
    title: 'Add feature',
    allow_collaboration: opts.allowCollaboration,
  });
  expect(created.status).toBe(201);
  return { fork, sha, iid: created.body.iid as number };
}

/** Clones `project` as `user` over HTTP, commits on `branch`, pushes; returns git's result. */
async function pushAs(user: string, project: string, branch: string) {
  const dir = fs.mkdtempSync(path.join(work, 'clone-'));
  const clone = await runGit(['clone', '--quiet', fake.cloneUrl(project, user), dir]);
  if (clone.code !== 0) return { ...clone, sha: '' };
  await runGit(['checkout', '--quiet', '-B', branch, `origin/${branch}`], { cwd: dir }).then((r) =>
    r.code === 0 ? r : runGit(['checkout', '--quiet', '-b', branch], { cwd: dir }),
  );
  fs.writeFileSync(path.join(dir, `${user}.txt`), `${user}\n`);
  await git(['add', '.'], { cwd: dir });
  await git(['commit', '--quiet', '-m', `${user} was here`], { cwd: dir });
  const sha = await git(['rev-parse', 'HEAD'], { cwd: dir });
  const push = await runGit(['push', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
  return { ...push, sha };
}

test('a fork knows its upstream; the fork MR names both projects and allow_collaboration', async () => {
  const { fork, sha, iid } = await forkMr({ allowCollaboration: true });
  const forkJson = await api(fake, 'alice', 'GET', projectPath(fork));
  expect(forkJson.body).toMatchObject({ path_with_namespace: fork, forked_from_project: { path_with_namespace: UPSTREAM } });
  expect(fake.project(fork).forkedFrom).toBe(UPSTREAM);

  const mr = await getMr(fake, 'shepherd-bot', UPSTREAM, iid);
  expect(mr).toMatchObject({
    sha,
    source_branch: 'feature',
    source_project_id: fake.project(fork).id,
    target_project_id: fake.project(UPSTREAM).id,
    project_id: fake.project(UPSTREAM).id,
    allow_collaboration: true,
  });
  // GitLab shows allow_collaboration only on MRs from forks.
  await fake.commit(UPSTREAM, 'inside', { files: { 'i.txt': 'i\n' }, message: 'Inside', author: 'dev' });
  const inside = fake.createMergeRequest(UPSTREAM, { sourceBranch: 'inside', title: 'Inside', author: 'dev' });
  expect('allow_collaboration' in (await getMr(fake, 'dev', UPSTREAM, inside.iid))).toBe(false);
});

test('with allow_collaboration the bot (may merge into main) pushes to that branch of the fork, no other', async () => {
  const { fork, iid } = await forkMr({ allowCollaboration: true });
  const pushed = await pushAs('shepherd-bot', fork, 'feature');
  expect(pushed.code).toBe(0);
  expect(fake.branchHead(fork, 'feature')).toBe(pushed.sha);
  await fake.mergeRequestUpdatesDone();
  expect((await getMr(fake, 'shepherd-bot', UPSTREAM, iid)).sha).toBe(pushed.sha);

  const elsewhere = await pushAs('shepherd-bot', fork, 'bot-branch');
  expect(elsewhere.code).not.toBe(0);
  expect(elsewhere.stderr).toContain('GitLab: You are not allowed to push code to this project.');

  // dev is a Developer upstream, but main is protected: dev may not merge there, so may not push.
  const denied = await pushAs('dev', fork, 'feature');
  expect(denied.code).not.toBe(0);
});

test('over SSH the same: collaboration admits that branch only', async () => {
  const { fork } = await forkMr({ allowCollaboration: true });
  const knownHosts = path.join(work, 'known_hosts');
  const env = {
    GIT_SSH_COMMAND: `ssh -i '${botKey}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='${knownHosts}' -o BatchMode=yes`,
  };
  const dir = path.join(work, `ssh-${fork.replace('/', '-')}`);
  await git(['clone', '--quiet', '--branch', 'feature', fake.sshUrl(fork), dir], { env });
  fs.writeFileSync(path.join(dir, 'ssh.txt'), 'ssh\n');
  await git(['add', '.'], { cwd: dir });
  await git(['commit', '--quiet', '-m', 'over ssh'], { cwd: dir });
  await git(['push', '--quiet', 'origin', 'feature'], { cwd: dir, env });
  expect(fake.branchHead(fork, 'feature')).toBe(await git(['rev-parse', 'HEAD'], { cwd: dir }));
  const other = await runGit(['push', 'origin', 'HEAD:refs/heads/elsewhere'], { cwd: dir, env });
  expect(other.code).not.toBe(0);
  expect(other.stderr).toContain('You are not allowed to push code to this project.');
});

test('without allow_collaboration the bot may not push to the fork, unless it is a Developer there', async () => {
  const { fork } = await forkMr({ allowCollaboration: false, visibility: 'internal' });
  const refused = await pushAs('shepherd-bot', fork, 'feature');
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/not allowed to push code to this project|403/);
  fake.setMember(fork, 'shepherd-bot', 'developer');
  expect((await pushAs('shepherd-bot', fork, 'feature')).code).toBe(0);
});

test('merging a fork MR brings the fork commits into the target repository', async () => {
  const { fork, sha, iid } = await forkMr({ allowCollaboration: false });
  // GitLab keeps the fork's head in the target under refs/merge-requests/<iid>/head.
  const upstreamRepo = fake.project(UPSTREAM).repoDir;
  expect(await git(['--git-dir', upstreamRepo, 'rev-parse', `refs/merge-requests/${iid}/head`])).toBe(sha);
  const merged = await mergeMr(fake, 'shepherd-bot', UPSTREAM, iid, sha);
  expect(merged).toMatchObject({ status: 200, body: { state: 'merged' } });
  expect(await git(['--git-dir', upstreamRepo, 'show', 'main:feature.txt'])).toBe('from the fork');
  expect(fake.branchHead(fork, 'feature')).toBe(sha);
});
