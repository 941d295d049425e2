// Protected branches in the fake GitLab: the rules as GET /protected_branches serves them (push
// and merge access levels by role, user or group, wildcards under their pattern) and git
// pushes held to them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGitLab, git, runGit } from '../../fakes/gitlab';
import { api, projectPath, type Json } from './http';

const PROJECT = 'rules/app';
let fake: FakeGitLab;
let work: string;
let releaseGroupId: number;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined });
  for (const username of ['maya', 'dev', 'rel', 'qa']) fake.addUser({ username, name: username.toUpperCase() });
  releaseGroupId = fake.addGroup('release-managers', { members: { rel: 'developer' } }).id;
  fake.addProject(PROJECT, {
    members: { maya: 'maintainer', dev: 'developer', rel: 'developer', qa: 'developer' },
    protectedBranches: [
      'main',
      { name: 'release/*', push: [{ group: 'release-managers' }], merge: [{ role: 'developer' }, { user: 'qa' }] },
      { name: 'wip/*', push: [{ role: 'developer' }], allowForcePush: true },
      { name: 'frozen', push: [{ role: 'no one' }], merge: [{ role: 'no one' }] },
    ],
  });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-protected-'));
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Clones as `user`, commits a file on top of `branch` (existing or new), pushes with `args`. */
async function push(user: string, branch: string, args: string[] = []): Promise<{ code: number; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(work, `${user}-`));
  await git(['clone', '--quiet', fake.cloneUrl(PROJECT, user), dir]);
  const exists = (await runGit(['rev-parse', '--verify', `origin/${branch}`], { cwd: dir })).code === 0;
  await git(['checkout', '--quiet', '-B', branch, exists ? `origin/${branch}` : 'origin/main'], { cwd: dir });
  fs.writeFileSync(path.join(dir, `${path.basename(dir)}.txt`), 'x\n');
  await git(['add', '.'], { cwd: dir });
  await git(['commit', '--quiet', '-m', `${user} pushes`], { cwd: dir });
  return runGit(['push', ...args, 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
}

test('GET /protected_branches serves each rule with its push and merge access levels', async () => {
  const r = await api(fake, 'dev', 'GET', `${projectPath(PROJECT)}/protected_branches`);
  expect(r.status).toBe(200);
  const rules = r.body as unknown as Json[];
  expect(rules.map((b) => b.name)).toEqual(['main', 'release/*', 'wip/*', 'frozen']);
  const [main, release, wip] = rules;
  expect(main).toMatchObject({
    push_access_levels: [{ access_level: 40, access_level_description: 'Maintainers', user_id: null, group_id: null }],
    merge_access_levels: [{ access_level: 40, user_id: null, group_id: null }],
    allow_force_push: false,
  });
  expect(release).toMatchObject({
    push_access_levels: [{ access_level: null, group_id: releaseGroupId, user_id: null }],
    merge_access_levels: [
      { access_level: 30, access_level_description: 'Developers + Maintainers' },
      { access_level: null, user_id: fake.user('qa').id, access_level_description: 'QA' },
    ],
  });
  expect(wip).toMatchObject({ allow_force_push: true, push_access_levels: [{ access_level: 30 }] });

  // A single rule by its name, wildcards included (URL-encoded); a branch a wildcard covers is not a rule.
  const one = await api(fake, 'dev', 'GET', `${projectPath(PROJECT)}/protected_branches/${encodeURIComponent('release/*')}`);
  expect(one.body).toMatchObject({ name: 'release/*' });
  const missing = await api(fake, 'dev', 'GET', `${projectPath(PROJECT)}/protected_branches/${encodeURIComponent('release/1.0')}`);
  expect(missing.status).toBe(404);
});

test('branch API answers who may push as GitLab does', async () => {
  await fake.commit(PROJECT, 'wip/a', { files: { 'w.txt': 'w\n' }, message: 'w', author: 'maya' });
  const wip = await api(fake, 'dev', 'GET', `${projectPath(PROJECT)}/repository/branches/${encodeURIComponent('wip/a')}`);
  expect(wip.body).toMatchObject({ protected: true, developers_can_push: true, can_push: true });
  const main = await api(fake, 'dev', 'GET', `${projectPath(PROJECT)}/repository/branches/main`);
  expect(main.body).toMatchObject({ protected: true, developers_can_push: false, developers_can_merge: false, can_push: false });
});

test('git pushes follow the rules: group entries, role entries, no one, force-push where allowed', async () => {
  await fake.commit(PROJECT, 'release/1.0', { files: { 'r.txt': 'r\n' }, message: 'r', author: 'maya' });
  expect((await push('rel', 'release/1.0')).code).toBe(0); // in the group
  const dev = await push('dev', 'release/1.0');
  expect(dev.code).not.toBe(0);
  expect(dev.stderr).toContain('GitLab: You are not allowed to push code to protected branches on this project.');

  expect((await push('dev', 'wip/b')).code).toBe(0);
  await fake.commit(PROJECT, 'frozen', { files: { 'f.txt': 'f\n' }, message: 'f', author: 'maya' });
  expect((await push('maya', 'frozen')).code).not.toBe(0); // nobody, not even maintainers

  // Force-pushing: allowed on wip/*, refused on release/*.
  const dir = fs.mkdtempSync(path.join(work, 'force-'));
  await git(['clone', '--quiet', fake.cloneUrl(PROJECT, 'rel'), dir]);
  for (const branch of ['wip/b', 'release/1.0']) {
    await git(['checkout', '--quiet', '-B', branch, 'origin/main'], { cwd: dir });
    fs.writeFileSync(path.join(dir, 'rewrite.txt'), `${branch}\n`);
    await git(['add', '.'], { cwd: dir });
    await git(['commit', '--quiet', '-m', 'rewrite'], { cwd: dir });
  }
  await git(['checkout', '--quiet', 'wip/b'], { cwd: dir });
  expect((await runGit(['push', '--force', 'origin', 'wip/b'], { cwd: dir })).code).toBe(0);
  await git(['checkout', '--quiet', 'release/1.0'], { cwd: dir });
  const forced = await runGit(['push', '--force', 'origin', 'release/1.0'], { cwd: dir });
  expect(forced.code).not.toBe(0);
  expect(forced.stderr).toContain('not allowed to force push code to a protected branch');

  const deleted = await runGit(['push', 'origin', ':wip/b'], { cwd: dir });
  expect(deleted.stderr).toContain('You can only delete protected branches using the web interface.');
});
