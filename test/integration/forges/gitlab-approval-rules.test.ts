// GitLabForge against the fake GitLab with approval rules (GitLab Premium): approvals left and
// eligible approvers come from the rules, and the merge waits for every rule.
import { GitLabForge } from '../../../src/forges/gitlab';
import { FakeGitLab } from '../../fakes/gitlab';

const PROJECT = 'group/rules';
let fake: FakeGitLab;
let forge: GitLabForge;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined });
  const bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  for (const username of ['alice', 'bob', 'carol', 'sam', 'erin']) fake.addUser({ username, name: username.toUpperCase() });
  fake.addProject(PROJECT, {
    members: {
      'shepherd-bot': 'maintainer',
      alice: 'developer',
      bob: 'developer',
      carol: 'developer',
      sam: 'developer',
      erin: 'developer',
    },
    onlyAllowMergeIfPipelineSucceeds: false,
    approvalRules: [
      // alice (the author) is listed but may not approve her own MR.
      { name: 'Backend', approvalsRequired: 1, eligible: ['bob', 'carol', 'alice'] },
      { name: 'Security', approvalsRequired: 1, eligible: ['sam'] },
    ],
  });
  forge = new GitLabForge({ url: fake.url, token: bot.token });
});

afterAll(async () => {
  await fake?.stop();
});

test('approvals follow the rules: each rule needs its own approvers before the merge', async () => {
  const sha = await fake.commit(PROJECT, 'feature', { files: { 'f.txt': 'f\n' }, message: 'Add f', author: 'alice' });
  const { iid } = fake.createMergeRequest(PROJECT, { sourceBranch: 'feature', title: 'Add f', author: 'alice' });

  // erin is a developer but in no rule: not suggested.
  await expect(forge.getApprovals(PROJECT, iid)).resolves.toMatchObject({
    required: 2,
    left: 2,
    approvedBy: [],
    eligibleApprovers: ['bob', 'carol', 'sam'],
  });

  fake.approve(PROJECT, iid, 'bob');
  await expect(forge.getApprovals(PROJECT, iid)).resolves.toMatchObject({
    left: 1,
    approvedBy: [expect.objectContaining({ username: 'bob' })],
    eligibleApprovers: ['sam'],
  });
  await expect(forge.merge(PROJECT, iid, sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'approvals' });

  // A second Backend approval does not satisfy Security.
  fake.approve(PROJECT, iid, 'carol');
  await expect(forge.getApprovals(PROJECT, iid)).resolves.toMatchObject({ left: 1, eligibleApprovers: ['sam'] });
  await expect(forge.merge(PROJECT, iid, sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'approvals' });

  fake.approve(PROJECT, iid, 'sam');
  await expect(forge.getApprovals(PROJECT, iid)).resolves.toMatchObject({ left: 0, eligibleApprovers: [] });
  await expect(forge.merge(PROJECT, iid, sha)).resolves.toMatchObject({ kind: 'merged' });
  expect(fake.mergeRequest(PROJECT, iid).state).toBe('merged');
});

test('without rules (or after they are removed) the member-based guess is used', async () => {
  fake.setProjectOption(PROJECT, { approvalRules: [], approvalsRequired: 1 });
  await fake.commit(PROJECT, 'other', { files: { 'o.txt': 'o\n' }, message: 'Add o', author: 'alice' });
  const { iid } = fake.createMergeRequest(PROJECT, { sourceBranch: 'other', title: 'Add o', author: 'alice' });
  await expect(forge.getApprovals(PROJECT, iid)).resolves.toMatchObject({
    required: 1,
    left: 1,
    eligibleApprovers: ['bob', 'carol', 'erin', 'sam'],
  });
});
