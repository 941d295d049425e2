// GitLabForge.merge through @gitbeaker/rest against the fake in each of GitLab's merge-error
// styles: every MergeResult kind, the reasons read back from the MR, a merge GitLab accepts but
// finishes later, and the "checking" right after a push, waited out.
import { GitLabForge } from '../../../src/forges/gitlab';
import { FakeGitLab, type AddProjectOptions, type MergeErrorStyle } from '../../fakes/gitlab';

let fake: FakeGitLab;
let forge: GitLabForge;
let projectCount = 0;

beforeAll(async () => {
  // Pushes reach MRs only when a test flushes them, so "checking" lasts as long as a test needs.
  fake = await FakeGitLab.start({ log: () => undefined, asyncMergeRequestUpdateMs: 60_000 });
  const bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  fake.addUser({ username: 'alice', name: 'Alice' });
  fake.addUser({ username: 'bob', name: 'Bob' });
  forge = new GitLabForge({ url: fake.url, token: bot.token });
});

afterEach(() => fake.setMergeErrorStyle('current'));

afterAll(async () => {
  await fake?.stop();
});

function newProject(opts: AddProjectOptions = {}): string {
  const project = `results/app${++projectCount}`;
  fake.addProject(project, {
    members: { 'shepherd-bot': 'maintainer', alice: 'developer', bob: 'developer' },
    onlyAllowMergeIfPipelineSucceeds: false,
    ...opts,
  });
  return project;
}

async function openMr(project: string, files: Record<string, string> = { 'f.txt': 'f\n' }) {
  const sha = await fake.commit(project, 'feature', { files, message: 'Add feature', author: 'alice' });
  const { iid } = fake.createMergeRequest(project, { sourceBranch: 'feature', title: 'Add feature', author: 'alice' });
  return { iid, sha };
}

describe.each<MergeErrorStyle>(['current', 'legacy', 'latest'])('GitLab answering in the %s style', (style) => {
  beforeEach(() => fake.setMergeErrorStyle(style));

  test('merged, with the merge commit', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    const result = await forge.merge(project, iid, sha);
    expect(result).toEqual({ kind: 'merged', mergeCommitSha: fake.branchHead(project, 'main') });
  });

  test('head-moved for a SHA that is no longer the head', async () => {
    const project = newProject();
    const { iid } = await openMr(project);
    await expect(forge.merge(project, iid, 'f'.repeat(40))).resolves.toMatchObject({ kind: 'head-moved' });
  });

  test('not-mergeable: draft, discussions, ci, approvals, closed, merged, each named', async () => {
    const project = newProject({ onlyAllowMergeIfPipelineSucceeds: true, approvalsRequired: 1 });
    const { iid, sha } = await openMr(project);
    const reason = async (): Promise<string> => {
      const r = await forge.merge(project, iid, sha);
      return r.kind === 'not-mergeable' ? r.reason : r.kind;
    };
    fake.setDraft(project, iid, true);
    expect(await reason()).toBe('draft');
    fake.setDraft(project, iid, false);
    fake.addDiscussion(project, iid, { author: 'bob' });
    expect(await reason()).toBe('discussions');
    fake.resolveDiscussions(project, iid);
    expect(await reason()).toBe('ci');
    fake.finishPipeline(project, sha, 'success');
    expect(await reason()).toBe('approvals');
    fake.close(project, iid);
    expect(await reason()).toBe('closed');
    fake.reopen(project, iid);
    fake.approve(project, iid, 'bob');
    expect(await reason()).toBe('merged');
    expect(await reason()).toBe('merged'); // a retried merge of a merged MR
  });

  test('not-mergeable: conflict and needs-rebase, read from the MR whatever the status code', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project, { 'README.md': 'ours\n' });
    await fake.commit(project, 'main', { files: { 'README.md': 'theirs\n' }, message: 'Theirs', author: 'bob' });
    await expect(forge.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'conflict' });

    const ff = newProject({ mergeMethod: 'ff' });
    const f = await openMr(ff);
    await fake.commit(ff, 'main', { files: { 'other.txt': 'o\n' }, message: 'Other', author: 'bob' });
    await expect(forge.merge(ff, f.iid, f.sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'needs-rebase' });
  });

  test('checking right after a push, then merged once GitLab caught up', async () => {
    const project = newProject();
    const { iid } = await openMr(project);
    const fresh = await fake.commit(project, 'feature', { files: { 'g.txt': 'g\n' }, message: 'More', author: 'alice' });
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ mergeability: 'checking' });
    await expect(forge.merge(project, iid, fresh)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'checking' });
    await fake.flushMergeRequestUpdates();
    await expect(forge.getMergeRequest(project, iid)).resolves.toMatchObject({ headSha: fresh, mergeability: 'mergeable' });
    await expect(forge.merge(project, iid, fresh)).resolves.toMatchObject({ kind: 'merged' });
  });

  test('refused with the reason when a push rule or a server hook refuses the merge itself', async () => {
    const project = newProject({ mergeMethod: 'ff', pushRule: { commitMessageRegex: '^JIRA-\\d+' } });
    const { iid, sha } = await openMr(project);
    await expect(forge.merge(project, iid, sha)).resolves.toEqual({
      kind: 'refused',
      message: "Commit message does not follow the pattern '^JIRA-\\d+'",
    });
    fake.setProjectOption(project, { pushRule: null });
    fake.failNextMerge(project, iid, 'GitLab: pre-receive hook declined: deploy freeze');
    await expect(forge.merge(project, iid, sha)).resolves.toEqual({
      kind: 'refused',
      message: 'GitLab: pre-receive hook declined: deploy freeze',
    });
    await expect(forge.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'merged' });
  });

  test('not-found for an MR that does not exist', async () => {
    const project = newProject();
    await expect(forge.merge(project, 404, 'a'.repeat(40))).resolves.toMatchObject({ kind: 'not-found' });
  });
});

describe('merges GitLab accepts (200) without having merged', () => {
  test('200 with the MR open and merge_error is refused with that error', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    fake.failNextMerge(project, iid, 'pre-receive hook declined', { answer: 200 });
    await expect(forge.merge(project, iid, sha)).resolves.toEqual({ kind: 'refused', message: 'pre-receive hook declined' });
    expect(fake.mergeRequest(project, iid).state).toBe('opened');
  });

  test('200 while GitLab still merges: merge() waits until it has merged', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    const hold = fake.holdNextMerge(project, iid);
    const result = forge.merge(project, iid, sha);
    await hold.accepted;
    hold.finish();
    await expect(result).resolves.toEqual({ kind: 'merged', mergeCommitSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(fake.mergeRequest(project, iid).state).toBe('merged');
  });

  test('200 while GitLab still merges, and then the merge fails: refused with merge_error', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    const hold = fake.holdNextMerge(project, iid);
    const result = forge.merge(project, iid, sha);
    await hold.accepted;
    hold.fail('Something went wrong during merge');
    await expect(result).resolves.toEqual({ kind: 'refused', message: 'Something went wrong during merge' });
  });

  test('a merge GitLab does not finish within mergeWaitMs is reported as checking, not as failed', async () => {
    const project = newProject();
    const { iid, sha } = await openMr(project);
    const impatient = new GitLabForge({ url: fake.url, token: fake.user('shepherd-bot').token, mergeWaitMs: 0 });
    const hold = fake.holdNextMerge(project, iid);
    await expect(impatient.merge(project, iid, sha)).resolves.toMatchObject({ kind: 'not-mergeable', reason: 'checking' });
    hold.finish();
  });
});
