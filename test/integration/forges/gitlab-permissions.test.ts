// GitLabForge.mayRequest / mayMerge / mayPush through @gitbeaker/rest against the fake: who may
// ask for merges, merge into and push to a branch, from members and protected branch rules
// (roles, users, groups, wildcards) as GitLab serves them.
import { GitLabForge } from '../../../src/forges/gitlab';
import { FakeGitLab } from '../../fakes/gitlab';

const PROJECT = 'perm/app';
let fake: FakeGitLab;
let forge: GitLabForge;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined });
  const bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  for (const u of ['maya', 'dev', 'rel', 'qa', 'rita', 'owen', 'outsider']) fake.addUser({ username: u, name: u });
  fake.addGroup('release-managers', { members: { rel: 'developer', rita: 'reporter' } });
  fake.addProject(PROJECT, {
    members: {
      'shepherd-bot': 'developer',
      maya: 'maintainer',
      owen: 'owner',
      dev: 'developer',
      rel: 'developer',
      qa: 'developer',
      rita: 'reporter',
    },
    protectedBranches: [
      'main',
      { name: 'release/*', push: [{ group: 'release-managers' }], merge: [{ role: 'developer' }] },
      { name: 'release/2.*', push: [{ user: 'qa' }], merge: [{ role: 'no one' }] },
      { name: 'hotfix/*', push: [{ role: 'no one' }], merge: [{ user: 'qa' }] },
      { name: 'frozen', push: [{ role: 'no one' }], merge: [{ role: 'no one' }] },
    ],
  });
  forge = new GitLabForge({ url: fake.url, token: bot.token });
});

afterAll(async () => {
  await fake?.stop();
});

test('mayRequest: Developers and up, not reporters, outsiders or unknown users', async () => {
  const answers = await Promise.all(
    ['dev', 'maya', 'owen', 'rita', 'outsider', 'no-such-user'].map((u) => forge.mayRequest(PROJECT, u)),
  );
  expect(answers).toEqual([true, true, true, false, false, false]);
});

test('unprotected branches: Developers and up may push and merge', async () => {
  await expect(forge.mayPush(PROJECT, 'dev', 'feature/x')).resolves.toBe(true);
  await expect(forge.mayMerge(PROJECT, 'dev', 'feature/x')).resolves.toBe(true);
  await expect(forge.mayPush(PROJECT, 'rita', 'feature/x')).resolves.toBe(false);
  await expect(forge.mayMerge(PROJECT, 'outsider', 'feature/x')).resolves.toBe(false);
});

test('protected main: maintainers and owners only', async () => {
  for (const [user, expected] of [
    ['maya', true],
    ['owen', true],
    ['dev', false],
    ['shepherd-bot', false],
  ] as const) {
    await expect(forge.mayMerge(PROJECT, user, 'main')).resolves.toBe(expected);
    await expect(forge.mayPush(PROJECT, user, 'main')).resolves.toBe(expected);
  }
});

test('wildcards: merge by role, push by group membership; rules matching one branch add up', async () => {
  // release/1.0 matches release/* only.
  await expect(forge.mayMerge(PROJECT, 'dev', 'release/1.0')).resolves.toBe(true);
  await expect(forge.mayPush(PROJECT, 'dev', 'release/1.0')).resolves.toBe(false);
  await expect(forge.mayPush(PROJECT, 'rel', 'release/1.0')).resolves.toBe(true);
  // A reporter in the project gets nothing from the group.
  await expect(forge.mayPush(PROJECT, 'rita', 'release/1.0')).resolves.toBe(false);
  // release/2.1 matches release/* and release/2.*: either rule admits.
  await expect(forge.mayMerge(PROJECT, 'dev', 'release/2.1')).resolves.toBe(true);
  await expect(forge.mayPush(PROJECT, 'qa', 'release/2.1')).resolves.toBe(true);
  await expect(forge.mayPush(PROJECT, 'rel', 'release/2.1')).resolves.toBe(true);
  await expect(forge.mayPush(PROJECT, 'dev', 'release/2.1')).resolves.toBe(false);
});

test('user entries and "no one": whoever may push may merge too, nobody at all on frozen', async () => {
  await expect(forge.mayMerge(PROJECT, 'qa', 'hotfix/1')).resolves.toBe(true);
  await expect(forge.mayMerge(PROJECT, 'maya', 'hotfix/1')).resolves.toBe(false);
  await expect(forge.mayPush(PROJECT, 'qa', 'hotfix/1')).resolves.toBe(false);
  await expect(forge.mayMerge(PROJECT, 'owen', 'frozen')).resolves.toBe(false);
  await expect(forge.mayPush(PROJECT, 'owen', 'frozen')).resolves.toBe(false);
});

test('the answers agree with what the merge API lets them do', async () => {
  await fake.commit(PROJECT, 'feature', { files: { 'f.txt': 'f\n' }, message: 'f', author: 'dev' });
  const { iid } = fake.createMergeRequest(PROJECT, { sourceBranch: 'feature', title: 'f', author: 'dev' });
  fake.finishPipeline(PROJECT, fake.branchHead(PROJECT, 'feature') as string, 'success');
  const asDev = new GitLabForge({ url: fake.url, token: fake.user('dev').token });
  expect(await forge.mayMerge(PROJECT, 'dev', 'main')).toBe(false);
  await expect(asDev.merge(PROJECT, iid, fake.branchHead(PROJECT, 'feature') as string)).rejects.toMatchObject({
    kind: 'unauthorized',
  });
});

test('a project the bot cannot see: false, not an error', async () => {
  fake.addProject('secret/app', { members: { maya: 'owner' } });
  await expect(forge.mayRequest('secret/app', 'maya')).resolves.toBe(false);
  await expect(forge.mayMerge('secret/app', 'maya', 'main')).resolves.toBe(false);
});

test('older GitLab (protection rules for maintainers only): the branch says what Developers may do', async () => {
  const project = 'perm/old';
  fake.addProject(project, {
    members: { 'shepherd-bot': 'developer', dev: 'developer', maya: 'maintainer' },
    protectedBranches: ['main', { name: 'stable', merge: [{ role: 'developer' }] }],
  });
  await fake.commit(project, 'stable', { files: { 's.txt': 's\n' }, message: 's', author: 'maya' });
  const refuseRules = (): void => fake.failNextRequests(1, 403, { path: /protected_branches/ });
  refuseRules();
  await expect(forge.mayMerge(project, 'dev', 'main')).resolves.toBe(false);
  refuseRules();
  await expect(forge.mayMerge(project, 'dev', 'stable')).resolves.toBe(true);
  refuseRules();
  await expect(forge.mayPush(project, 'dev', 'stable')).resolves.toBe(false);
  refuseRules();
  await expect(forge.mayPush(project, 'maya', 'main')).resolves.toBe(true);
  refuseRules();
  await expect(forge.mayPush(project, 'dev', 'not-yet-a-branch')).resolves.toBe(true);
});
