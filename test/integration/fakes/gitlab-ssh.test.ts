// The fake GitLab's git over SSH with the real git and OpenSSH clients: key auth, permissions,
// protected branches, and the same post-push handling as smart HTTP (MR head, pipeline).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGitLab, git, runGit } from '../../fakes/gitlab';

let fake: FakeGitLab;
let work: string;
let projectCount = 0;
const keys: Record<string, string> = {};

/** A fresh ed25519 key pair (0600 private key, as ssh demands); returns the private key path. */
function newKey(name: string): string {
  const file = path.join(work, `key-${name}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { stdio: 'ignore' });
  fs.chmodSync(file, 0o600);
  return file;
}

/** git with ssh using exactly this key and a throwaway known_hosts. */
function sshEnv(key: string): Record<string, string> {
  const knownHosts = path.join(work, 'known_hosts');
  return {
    GIT_SSH_COMMAND: `ssh -i '${key}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='${knownHosts}' -o BatchMode=yes`,
  };
}

beforeAll(async () => {
  fake = await FakeGitLab.start({ ssh: true, log: () => undefined });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-ssh-test-'));
  for (const [username, role] of [
    ['maya', 'Maya Maintainer'],
    ['dev', 'Dee Developer'],
    ['olga', 'Olga Outsider'],
  ]) {
    fake.addUser({ username, name: role });
    keys[username] = newKey(username);
    fake.addSshKey(username, fs.readFileSync(`${keys[username]}.pub`, 'utf8'));
  }
  keys.stranger = newKey('stranger'); // never registered
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function newProject(): string {
  const project = `group/ssh${++projectCount}`;
  fake.addProject(project, {
    members: { maya: 'maintainer', dev: 'developer' },
    protectedBranches: ['main'],
    files: { 'README.md': '# hello\n' },
  });
  return project;
}

async function clone(project: string, user: string): Promise<string> {
  const dir = path.join(work, `${user}-${project.replace('/', '-')}-${Date.now()}`);
  await git(['clone', '--quiet', fake.sshUrl(project), dir], { env: sshEnv(keys[user]) });
  return dir;
}

async function commitFile(dir: string, file: string, content: string, message: string): Promise<string> {
  fs.writeFileSync(path.join(dir, file), content);
  await git(['add', file], { cwd: dir });
  await git(['commit', '--quiet', '-m', message], { cwd: dir });
  return git(['rev-parse', 'HEAD'], { cwd: dir });
}

test('ssh_url_to_repo is the ssh:// URL with the port; sshUrl agrees', async () => {
  const project = newProject();
  const token = fake.addUser({ username: 'api-reader', name: 'API Reader', admin: true }).token;
  const res = await fetch(`${fake.url}/api/v4/projects/${encodeURIComponent(project)}`, {
    headers: { 'PRIVATE-TOKEN': token },
  });
  const body = (await res.json()) as { ssh_url_to_repo: string };
  expect(body.ssh_url_to_repo).toBe(`ssh://git@127.0.0.1:${fake.sshPort}/${project}.git`);
  expect(fake.sshUrl(project)).toBe(body.ssh_url_to_repo);
});

test('clone and push over SSH; the push creates a pipeline and (a moment later) moves the MR head', async () => {
  const project = newProject();
  const dir = await clone(project, 'dev');
  expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('# hello\n');
  expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(fake.branchHead(project, 'main'));

  await git(['checkout', '--quiet', '-b', 'feature'], { cwd: dir });
  const first = await commitFile(dir, 'a.txt', 'a\n', 'Add a');
  await git(['push', '--quiet', 'origin', 'feature'], { cwd: dir, env: sshEnv(keys.dev) });
  expect(fake.branchHead(project, 'feature')).toBe(first);
  // Post-push handling ran before git push returned, as over HTTP.
  expect(fake.pipelines(project).map((p) => [p.ref, p.sha])).toEqual([['feature', first]]);

  const mr = fake.createMergeRequest(project, { sourceBranch: 'feature', title: 'Feature', author: 'dev' });
  const second = await commitFile(dir, 'b.txt', 'b\n', 'Add b');
  await git(['push', '--quiet', 'origin', 'feature'], { cwd: dir, env: sshEnv(keys.dev) });
  await fake.mergeRequestUpdatesDone(); // GitLab applies the push to the MR in the background
  expect(fake.mergeRequest(project, mr.iid).headSha).toBe(second);
  expect(fake.pipelines(project).map((p) => p.sha)).toEqual([first, second]);
});

test('an unknown key is refused', async () => {
  const project = newProject();
  const r = await runGit(['clone', fake.sshUrl(project), path.join(work, 'stranger')], {
    env: sshEnv(keys.stranger),
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
});

test('a non-member is refused with GitLab’s not-found message', async () => {
  const project = newProject();
  const r = await runGit(['clone', fake.sshUrl(project), path.join(work, 'olga')], { env: sshEnv(keys.olga) });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/could not be found or you don't have permission/);
});

test('protected branches apply over SSH: a developer cannot push main, a maintainer can', async () => {
  const project = newProject();
  const dir = await clone(project, 'dev');
  const sha = await commitFile(dir, 'c.txt', 'c\n', 'Add c');
  const denied = await runGit(['push', 'origin', 'main'], { cwd: dir, env: sshEnv(keys.dev) });
  expect(denied.code).not.toBe(0);
  expect(denied.stderr).toMatch(/not allowed to push code to protected branches/);
  expect(fake.branchHead(project, 'main')).not.toBe(sha);

  await git(['push', '--quiet', 'origin', 'main'], { cwd: dir, env: sshEnv(keys.maya) });
  expect(fake.branchHead(project, 'main')).toBe(sha);
});

test('the scp-like form without a leading slash works too', async () => {
  const project = newProject();
  // ssh config via -p: scp-like URLs cannot carry a port.
  const env = { GIT_SSH_COMMAND: `${sshEnv(keys.dev).GIT_SSH_COMMAND} -p ${fake.sshPort}` };
  const dir = path.join(work, 'scp-like');
  await git(['clone', '--quiet', `git@127.0.0.1:${project}.git`, dir], { env });
  expect(await git(['rev-parse', 'HEAD'], { cwd: dir })).toBe(fake.branchHead(project, 'main'));
});
