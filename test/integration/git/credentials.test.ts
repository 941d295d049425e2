// GitWorkspace over git smart HTTP with token auth against the fake GitLab: the token reaches git
// for every fetch and push, yet nothing in the cached clone (any file) holds it, and no git
// command line carries it. A clone left by an older version with the token in .git/config is
// scrubbed on its next use. Fork merge requests use the same rules for both repositories.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configHoldsCredentials, remoteAccess } from '../../../src/git/credentials';
import { cacheFolderName, GitWorkspace, GitWorkspaceError, type RebaseRequest } from '../../../src/git/workspace';
import { FakeGitLab, git } from '../../fakes/gitlab';

const BOT = { name: 'Shepherd Bot', email: 'shepherd@example.com' };
let fake: FakeGitLab;
let work: string;
let token: string;
/** The token as git would send it in an Authorization header. */
let basic: string;
let argvLog: string;
let savedPath: string | undefined;
let seq = 0;
/** The real git (the test's own setup bypasses the wrapper). */
let realGit: string;

function findGit(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'git');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('git not found on PATH');
}

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-git-creds-'));
  token = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' }).token;
  basic = Buffer.from(`oauth2:${token}`).toString('base64');
  fake.addUser({ username: 'dev', name: 'Dee Developer' });

  // Every git the workspace starts goes through this wrapper, which records its arguments: what
  // `ps` shows other users of the machine.
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  argvLog = path.join(work, 'git-argv.log');
  realGit = findGit();
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`, {
    mode: 0o755,
  });
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
});

beforeEach(() => fs.rmSync(argvLog, { force: true }));

afterAll(async () => {
  process.env.PATH = savedPath;
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function newCache(): string {
  return path.join(work, `cache-${++seq}`);
}

function workspace(cacheDir: string): GitWorkspace {
  return new GitWorkspace({ cacheDir, gitTimeoutMs: 20_000, committer: BOT });
}

/** Every file below `dir` (the whole clone, .git included) whose bytes contain one of `needles`. */
function filesContaining(dir: string, needles: string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const bytes = fs.readFileSync(p);
        if (needles.some((n) => bytes.includes(n))) hits.push(path.relative(dir, p));
      }
    }
  };
  walk(dir);
  return hits;
}

function expectNoCredentials(cacheDir: string): void {
  expect(fs.readdirSync(cacheDir).length).toBeGreaterThan(0);
  expect(filesContaining(cacheDir, [token, basic])).toEqual([]);
  const argv = fs.readFileSync(argvLog, 'utf8');
  expect(argv).toMatch(/ push --porcelain /); // the wrapper did see the workspace's git commands
  expect(argv).not.toContain(token);
  expect(argv).not.toContain(basic);
}

/** A project whose `feature` (one commit by dev) is behind a moved `main`. */
async function projectNeedingRebase(): Promise<{ project: string; source: string }> {
  const project = `group/creds${++seq}`;
  fake.addProject(project, { members: { 'shepherd-bot': 'developer', dev: 'developer' } });
  const source = await fake.commit(project, 'feature', { files: { 'f.txt': 'f\n' }, message: 'Add f', author: 'dev' });
  await fake.commit(project, 'main', { files: { 'm.txt': 'm\n' }, message: 'Move main', author: 'dev' });
  return { project, source };
}

function request(project: string, expectedSourceSha: string, extra: Partial<RebaseRequest> = {}): RebaseRequest {
  return {
    projectKey: `gitlab/${project}`,
    remoteUrl: fake.cloneUrl(project, 'shepherd-bot'),
    sourceBranch: 'feature',
    targetBranch: 'main',
    expectedSourceSha,
    ...extra,
  };
}

test('fetches and pushes with the token, which is in no file of the clone and on no git command line', async () => {
  const { project, source } = await projectNeedingRebase();
  const cacheDir = newCache();
  const ws = workspace(cacheDir);
  const outcome = await ws.rebaseAndPush(request(project, source));
  expect(outcome).toEqual({ kind: 'pushed', sha: expect.any(String), targetSha: fake.branchHead(project, 'main') });
  if (outcome.kind !== 'pushed') throw new Error('unreachable');
  expect(fake.branchHead(project, 'feature')).toBe(outcome.sha);
  expectNoCredentials(cacheDir);
  const clone = path.join(cacheDir, cacheFolderName(`gitlab/${project}`));
  expect(await git(['config', '--get', 'remote.origin.url'], { cwd: clone })).toBe(`${fake.url}/${project}.git`);

  // The developer pushes again and main moves: the same clone fetches and pushes again.
  const next = await fake.commit(project, 'feature', { files: { 'g.txt': 'g\n' }, message: 'Add g', author: 'dev' });
  await fake.commit(project, 'main', { files: { 'n.txt': 'n\n' }, message: 'Move main again', author: 'dev' });
  const second = await ws.rebaseAndPush(request(project, next));
  expect(second).toEqual({ kind: 'pushed', sha: expect.any(String), targetSha: fake.branchHead(project, 'main') });
  expect(fake.branchHead(project, 'feature')).toBe(second.kind === 'pushed' ? second.sha : '');
  expectNoCredentials(cacheDir);
});

test('a clone an older version left with the token in .git/config is scrubbed on its next use', async () => {
  const { project, source } = await projectNeedingRebase();
  const cacheDir = newCache();
  // What earlier versions did: clone with the token in the URL, into the project's cache folder.
  const clone = path.join(cacheDir, cacheFolderName(`gitlab/${project}`));
  fs.mkdirSync(cacheDir);
  await new Promise<void>((resolve, reject) =>
    execFile(realGit, ['clone', '--quiet', '--no-checkout', '--no-tags', fake.cloneUrl(project, 'shepherd-bot'), clone], (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  expect(fs.readFileSync(path.join(clone, '.git', 'config'), 'utf8')).toContain(token);

  const outcome = await workspace(cacheDir).rebaseAndPush(request(project, source));
  expect(outcome.kind).toBe('pushed');
  expect(fake.branchHead(project, 'feature')).toBe(outcome.kind === 'pushed' ? outcome.sha : '');
  expectNoCredentials(cacheDir);
});

test('a refused token fails with an error that does not show it', async () => {
  const { project, source } = await projectNeedingRebase();
  const bad = new URL(fake.cloneUrl(project, 'shepherd-bot'));
  bad.password = `${token}-revoked`;
  const cacheDir = newCache();
  const error = await workspace(cacheDir)
    .rebaseAndPush(request(project, source, { remoteUrl: bad.toString() }))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GitWorkspaceError);
  expect((error as Error).message).toMatch(/git clone failed/);
  expect((error as Error).message).not.toContain(token);
  expect(fake.branchHead(project, 'feature')).toBe(source);
});

test('a fork merge request: target from the project, source from and pushed to the fork, no token on disk', async () => {
  const upstream = `group/upstream${++seq}`;
  const fork = `dev/fork${seq}`;
  fake.addProject(upstream, { members: { 'shepherd-bot': 'developer', dev: 'reporter' } });
  fake.addProject(fork, { members: { 'shepherd-bot': 'developer', dev: 'maintainer' } });
  // The developer branches from the upstream main and pushes the branch to their fork.
  const dev = path.join(work, `dev-${seq}`);
  await git(['clone', '--quiet', fake.cloneUrl(upstream, 'dev'), dev]);
  await git(['checkout', '--quiet', '-b', 'feature'], { cwd: dev });
  fs.writeFileSync(path.join(dev, 'f.txt'), 'from the fork\n');
  await git(['add', 'f.txt'], { cwd: dev });
  await git(['commit', '--quiet', '-m', 'Add f'], { cwd: dev });
  await git(['push', '--quiet', fake.cloneUrl(fork, 'dev'), 'feature'], { cwd: dev });
  const source = await git(['rev-parse', 'HEAD'], { cwd: dev });
  await fake.commit(upstream, 'main', { files: { 'm.txt': 'm\n' }, message: 'Move main', author: 'shepherd-bot' });
  const main = fake.branchHead(upstream, 'main');

  const cacheDir = newCache();
  const forkRequest = request(upstream, source, { sourceRemoteUrl: fake.cloneUrl(fork, 'shepherd-bot') });
  const outcome = await workspace(cacheDir).rebaseAndPush(forkRequest);
  expect(outcome).toEqual({ kind: 'pushed', sha: expect.any(String), targetSha: main });
  if (outcome.kind !== 'pushed') throw new Error('unreachable');
  expect(fake.branchHead(fork, 'feature')).toBe(outcome.sha);
  expect(fake.log(fork, 'feature').map((c) => c.subject)).toEqual(['Add f', 'Move main', 'Initial commit']);
  expect(fake.log(fork, 'feature')[1].sha).toBe(main);
  expect(fake.branchHead(upstream, 'feature')).toBeUndefined();
  expectNoCredentials(cacheDir);
  const clone = path.join(cacheDir, cacheFolderName(`gitlab/${upstream}`));
  expect(await git(['config', '--get', 'remote.source.url'], { cwd: clone })).toBe(`${fake.url}/${fork}.git`);

  // A retry (here on another worker) recognises its push in the fork.
  expect(await workspace(newCache()).rebaseAndPush(forkRequest)).toEqual(outcome);
  expect(fake.branchHead(fork, 'feature')).toBe(outcome.sha);
});

describe('remoteAccess', () => {
  test('moves HTTP(S) userinfo into an Authorization header in the environment, decoded as git would', () => {
    const access = remoteAccess('https://oauth2:p%40ss%3Aword@gitlab.example.com:8443/group/app.git');
    expect(access.url).toBe('https://gitlab.example.com:8443/group/app.git');
    const header = `Authorization: Basic ${Buffer.from('oauth2:p@ss:word').toString('base64')}`;
    expect(access.env).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.extraHeader',
      GIT_CONFIG_VALUE_1: header,
    });
    expect(access.secrets).toEqual(expect.arrayContaining(['p%40ss%3Aword', 'p@ss:word', header.slice('Authorization: Basic '.length)]));
  });

  test('keeps the login name of SSH URLs, drops file:// userinfo, leaves scp-like addresses and paths alone', () => {
    expect(remoteAccess('ssh://git@gitlab.example.com:2222/group/app.git')).toEqual({
      url: 'ssh://git@gitlab.example.com:2222/group/app.git',
      env: {},
      secrets: [],
    });
    expect(remoteAccess('ssh://git:hunter22@host/app.git').url).toBe('ssh://git@host/app.git');
    expect(remoteAccess('file://oauth2:secret-token@/srv/app.git')).toMatchObject({ url: 'file:///srv/app.git', env: {} });
    expect(remoteAccess('git@gitlab.example.com:group/app.git')).toEqual({ url: 'git@gitlab.example.com:group/app.git', env: {}, secrets: [] });
    expect(remoteAccess('/srv/git/app.git').url).toBe('/srv/git/app.git');
    expect(remoteAccess('http://gitlab.example.com/group/app.git')).toEqual({
      url: 'http://gitlab.example.com/group/app.git',
      env: {},
      secrets: [],
    });
  });

  test('configHoldsCredentials spots a stored token but not an SSH login name', () => {
    expect(configHoldsCredentials('[remote "origin"]\n\turl = http://oauth2:glpat-x@host/g/a.git\n')).toBe(true);
    expect(configHoldsCredentials('[remote "origin"]\n\turl = https://glpat-x@host/g/a.git\n')).toBe(true);
    expect(configHoldsCredentials('[remote "origin"]\n\turl = ssh://git@host/g/a.git\n')).toBe(false);
    expect(configHoldsCredentials('[remote "origin"]\n\turl = http://host/g/a.git\n')).toBe(false);
  });
});
