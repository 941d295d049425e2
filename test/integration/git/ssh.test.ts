// GitWorkspace over SSH (marge-bot's default: ssh-key-file) against the fake GitLab's SSH server:
// the clone URL comes from the forge (ssh_url_to_repo), the key from GitWorkspaceOptions.sshKeyFile.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitLabForge } from '../../../src/forges/gitlab';
import { GitWorkspace, GitWorkspaceError, sshCommand } from '../../../src/git/workspace';
import { FakeGitLab } from '../../fakes/gitlab';

const BOT = { name: 'Shepherd Bot', email: 'shepherd@example.com' };
let fake: FakeGitLab;
let forge: GitLabForge;
let work: string;
let botKey: string;
let seq = 0;

function newKey(name: string): string {
  const file = path.join(work, `key-${name}`);
  // ssh-keygen does not talk to the fake, so running it synchronously cannot deadlock.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { stdio: 'ignore' });
  fs.chmodSync(file, 0o600); // ssh refuses private keys others can read
  return file;
}

beforeAll(async () => {
  fake = await FakeGitLab.start({ ssh: true, log: () => undefined });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-git-ssh-'));
  const bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  botKey = newKey('bot');
  fake.addSshKey('shepherd-bot', fs.readFileSync(`${botKey}.pub`, 'utf8'));
  forge = new GitLabForge({ url: fake.url, token: bot.token });
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function mrNeedingRebase(): Promise<{ project: string; source: string; iid: number }> {
  const project = `group/ssh-ws${++seq}`;
  fake.addProject(project, {
    members: { 'shepherd-bot': 'developer', dev: 'developer' },
    files: { 'README.md': '# hello\n' },
  });
  const source = await fake.commit(project, 'feature', {
    files: { 'feature.txt': 'f\n' },
    message: 'Add feature',
    author: 'dev',
  });
  await fake.commit(project, 'main', { files: { 'main.txt': 'm\n' }, message: 'Move main', author: 'dev' });
  const mr = fake.createMergeRequest(project, { sourceBranch: 'feature', title: 'Feature', author: 'dev' });
  return { project, source, iid: mr.iid };
}

test('GitLabForge.sshCloneUrl is the ssh_url_to_repo', async () => {
  const project = `group/ssh-url${++seq}`;
  fake.addProject(project, { members: { 'shepherd-bot': 'developer' } });
  await expect(forge.sshCloneUrl(project)).resolves.toBe(`ssh://git@127.0.0.1:${fake.sshPort}/${project}.git`);
});

test('rebaseAndPush over SSH with sshKeyFile pushes the rebased branch (MR head and pipeline follow)', async () => {
  const { project, source, iid } = await mrNeedingRebase();
  const cacheDir = path.join(work, `cache dir ${seq}`); // a space: the ssh command must quote paths
  const ws = new GitWorkspace({ cacheDir, gitTimeoutMs: 20_000, committer: BOT, sshKeyFile: botKey });
  const outcome = await ws.rebaseAndPush({
    projectKey: `gitlab/${project}`,
    remoteUrl: await forge.sshCloneUrl(project),
    sourceBranch: 'feature',
    targetBranch: 'main',
    expectedSourceSha: source,
  });
  const main = fake.branchHead(project, 'main');
  expect(outcome).toMatchObject({ kind: 'pushed', targetSha: main });
  const pushed = outcome.kind === 'pushed' ? outcome.sha : '';
  expect(pushed).not.toBe(source);
  expect(fake.branchHead(project, 'feature')).toBe(pushed);
  await fake.mergeRequestUpdatesDone(); // GitLab updates the MR after the push, asynchronously
  expect(fake.mergeRequest(project, iid).headSha).toBe(pushed);
  expect(fake.pipelines(project).map((p) => p.sha)).toContain(pushed);
  // The host key was recorded (accept-new) next to the clones (host names may be hashed).
  expect(fs.readFileSync(path.join(cacheDir, 'known_hosts'), 'utf8')).toMatch(/ ecdsa-sha2-nistp256 AAAA/);

  // A second run reuses the clone and the recorded host key: already up to date.
  await expect(
    ws.rebaseAndPush({
      projectKey: `gitlab/${project}`,
      remoteUrl: await forge.sshCloneUrl(project),
      sourceBranch: 'feature',
      targetBranch: 'main',
      expectedSourceSha: pushed,
    }),
  ).resolves.toMatchObject({ kind: 'up-to-date', sha: pushed });
});

test('a key the forge does not know fails with a GitWorkspaceError, without prompting', async () => {
  const { project, source } = await mrNeedingRebase();
  const ws = new GitWorkspace({
    cacheDir: path.join(work, `cache-${seq}`),
    gitTimeoutMs: 20_000,
    committer: BOT,
    sshKeyFile: newKey(`stranger-${seq}`),
  });
  const err = await ws
    .rebaseAndPush({
      projectKey: `gitlab/${project}`,
      remoteUrl: await forge.sshCloneUrl(project),
      sourceBranch: 'feature',
      targetBranch: 'main',
      expectedSourceSha: source,
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GitWorkspaceError);
  expect((err as Error).message).toMatch(/Permission denied \(publickey\)/);
});

test('sshCommand quotes paths for the shell and for ssh', () => {
  expect(sshCommand('/keys/id_ed25519', '/cache/known_hosts')).toBe(
    'ssh -i /keys/id_ed25519 -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new ' +
      '-o UserKnownHostsFile=/cache/known_hosts -o BatchMode=yes',
  );
  expect(sshCommand("/k/it's key", '/c d/known_hosts')).toBe(
    "ssh -i '/k/it'\\''s key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new " +
      `-o 'UserKnownHostsFile="/c d/known_hosts"' -o BatchMode=yes`,
  );
});
