// What a backport needs from GitLab, through GitLabForge (real @gitbeaker/rest over HTTP) against
// the fake with real git: what landed for each merge method, squashed or not (and that picking
// it as LandingKind says gives the MR's change on a release branch), the MRs between two branches,
// and opening the backport MR (labels, assignee, draft, a duplicate's 409).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LandedChanges } from '../../../src/domain/types';
import { ForgeError, ForgeUnavailableError, MergeRequestExistsError } from '../../../src/forges/forge';
import { GitLabForge } from '../../../src/forges/gitlab';
import { FakeGitLab, git, type AddProjectOptions, type FakeUser } from '../../fakes/gitlab';

let fake: FakeGitLab;
let forge: GitLabForge;
let bot: FakeUser;
let work: string;
let projectCount = 0;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined, asyncMergeRequestUpdateMs: 0 });
  bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  for (const username of ['alice', 'bob', 'carol', 'dave']) fake.addUser({ username, name: username.toUpperCase() });
  forge = new GitLabForge({ url: fake.url, token: bot.token });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-backports-'));
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh project with a release-1 branch cut from main; bot maintainer, alice/bob developers, carol reporter. */
async function newProject(opts: AddProjectOptions = {}): Promise<string> {
  const project = `group/bp${++projectCount}`;
  fake.addProject(project, {
    members: { 'shepherd-bot': 'maintainer', alice: 'developer', bob: 'developer', carol: 'reporter' },
    onlyAllowMergeIfPipelineSucceeds: false,
    ...opts,
  });
  await fake.setBranch(project, 'release-1', fake.branchHead(project, 'main') as string);
  return project;
}

/** alice's MR from `branch` with `count` commits, one new file each; its iid and commits, oldest first. */
async function openMr(project: string, branch: string, count: number, squash = false): Promise<{ iid: number; shas: string[] }> {
  const shas: string[] = [];
  for (let i = 1; i <= count; i++) {
    shas.push(await fake.commit(project, branch, { files: { [`${branch}-${i}.txt`]: `${i}\n` }, message: `${branch}: part ${i}`, author: 'alice' }));
  }
  const { iid } = fake.createMergeRequest(project, { sourceBranch: branch, title: `Add ${branch}`, author: 'alice', squash });
  return { iid, shas };
}

/** Something else lands on main first, so the MR is behind its target. */
const moveMain = (project: string): Promise<string> =>
  fake.commit(project, 'main', { files: { 'unrelated.txt': 'u\n' }, message: 'Unrelated', author: 'bob' });

const subjects = (l: LandedChanges): string[] => l.commits.map((c) => c.subject);

/**
 * Picks what landed onto release-1 as LandingKind says, in a clone, and lists the files the
 * release branch then has: the MR's change must arrive whole, and nothing else from main.
 */
async function pickOntoRelease(project: string, landed: LandedChanges): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(work, 'clone-'));
  await git(['clone', '--quiet', fake.cloneUrl(project, 'shepherd-bot'), dir]);
  await git(['checkout', '--quiet', 'release-1'], { cwd: dir });
  const picks =
    landed.how === 'merge-commit'
      ? [['-m', '1', landed.mergeCommitSha as string]]
      : landed.how === 'squash'
        ? [[landed.squashCommitSha as string]]
        : landed.commits.map((c) => [c.sha]);
  for (const pick of picks) await git(['cherry-pick', '-x', ...pick], { cwd: dir });
  return (await git(['ls-files'], { cwd: dir })).split('\n').sort();
}

describe('landedChanges', () => {
  test('merge: the merge commit (mainline 1), the MR commits oldest first as on the target', async () => {
    const project = await newProject();
    const { iid, shas } = await openMr(project, 'fix', 3);
    await moveMain(project);
    const merged = await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    expect(landed).toEqual({
      how: 'merge-commit',
      mergeCommitSha: merged.mergeCommitSha,
      squashCommitSha: null,
      commits: shas.map((sha, i) => ({ sha, subject: `fix: part ${i + 1}` })),
      targetBranch: 'main',
    });
    expect(landed.mergeCommitSha).toBe(fake.branchHead(project, 'main'));
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'fix-1.txt', 'fix-2.txt', 'fix-3.txt']);
  });

  test('merge with squash: a merge commit whose second parent is the squash commit; the commits are the reviewed ones', async () => {
    const project = await newProject();
    const { iid, shas } = await openMr(project, 'sq', 2, true);
    await moveMain(project);
    const merged = await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    expect(landed).toMatchObject({ how: 'merge-commit', mergeCommitSha: merged.mergeCommitSha, squashCommitSha: merged.squashCommitSha });
    expect(await forge.commitParents(project, merged.mergeCommitSha as string)).toEqual([
      expect.any(String),
      merged.squashCommitSha,
    ]);
    expect(landed.commits.map((c) => c.sha)).toEqual(shas);
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'sq-1.txt', 'sq-2.txt']);
  });

  test('rebase_merge (semi-linear): GitLab still makes a merge commit, so merge-commit; after the rebase the commits are the rebased ones', async () => {
    const project = await newProject({ mergeMethod: 'rebase_merge' });
    const { iid, shas } = await openMr(project, 'semi', 2);
    await moveMain(project);
    const merged = await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    expect(landed.how).toBe('merge-commit');
    expect(landed.mergeCommitSha).toBe(merged.mergeCommitSha);
    expect(subjects(landed)).toEqual(['semi: part 1', 'semi: part 2']);
    expect(landed.commits[1].sha).toBe(merged.headSha);
    expect(landed.commits.map((c) => c.sha)).not.toEqual(shas);
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'semi-1.txt', 'semi-2.txt']);
  });

  test('ff: fast-forward, the MR commits as the target has them (rebased by the Rebase button first)', async () => {
    const project = await newProject({ mergeMethod: 'ff' });
    const { iid } = await openMr(project, 'lin', 2);
    await moveMain(project);
    await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    const onMain = fake.log(project, 'main', 2).reverse();
    expect(landed).toEqual({
      how: 'fast-forward',
      mergeCommitSha: null,
      squashCommitSha: null,
      commits: onMain.map((c) => ({ sha: c.sha, subject: c.subject })),
      targetBranch: 'main',
    });
    expect(subjects(landed)).toEqual(['lin: part 1', 'lin: part 2']);
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'lin-1.txt', 'lin-2.txt']);
  });

  test('ff with squash: the squash commit, which is what the target got', async () => {
    const project = await newProject({ mergeMethod: 'ff' });
    const { iid, shas } = await openMr(project, 'one', 3, true);
    await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    expect(landed).toEqual({
      how: 'squash',
      mergeCommitSha: null,
      squashCommitSha: fake.branchHead(project, 'main'),
      commits: shas.map((sha, i) => ({ sha, subject: `one: part ${i + 1}` })),
      targetBranch: 'main',
    });
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'one-1.txt', 'one-2.txt', 'one-3.txt']);
  });

  test('rebase_merge with squash: a merge commit again, its second parent the squash', async () => {
    const project = await newProject({ mergeMethod: 'rebase_merge' });
    const { iid } = await openMr(project, 'semisq', 2, true);
    const merged = await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    expect(landed).toMatchObject({ how: 'merge-commit', mergeCommitSha: merged.mergeCommitSha, squashCommitSha: merged.squashCommitSha });
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'semisq-1.txt', 'semisq-2.txt']);
  });

  test("GitLab's automatic rebase on merge: the rebased commits as on the target, a commit the target had already dropped", async () => {
    const project = await newProject({ mergeMethod: 'rebase_merge', rebaseOnMerge: true });
    const { iid, shas } = await openMr(project, 'auto', 3);
    // The target already has part 2's change (e.g. picked there by hand): the rebase drops it.
    await fake.commit(project, 'main', { files: { 'auto-2.txt': '2\n' }, message: 'auto: part 2 (picked early)', author: 'bob' });
    await moveMain(project);
    const merged = await fake.merge(project, iid, { by: 'bob' });
    expect(merged.headSha).toBe(shas[2]); // the source branch was left as it was
    const landed = await forge.landedChanges(project, iid);
    expect(landed.how).toBe('merge-commit');
    expect(subjects(landed)).toEqual(['auto: part 1', 'auto: part 3']);
    const second = (await forge.commitParents(project, landed.mergeCommitSha as string))[1];
    expect(landed.commits[1].sha).toBe(second);
    expect(landed.commits.some((c) => shas.includes(c.sha))).toBe(false);
  });

  test('ff with the automatic rebase: the rebased commits, where the merge left the target', async () => {
    const project = await newProject({ mergeMethod: 'ff', rebaseOnMerge: true });
    const { iid, shas } = await openMr(project, 'autoff', 2);
    await moveMain(project);
    await fake.merge(project, iid, { by: 'bob' });
    const landed = await forge.landedChanges(project, iid);
    expect(landed.how).toBe('fast-forward');
    expect(landed.commits.map((c) => c.sha)).toEqual(fake.log(project, 'main', 2).reverse().map((c) => c.sha));
    expect(landed.commits.some((c) => shas.includes(c.sha))).toBe(false);
    expect(await pickOntoRelease(project, landed)).toEqual(['README.md', 'autoff-1.txt', 'autoff-2.txt']);
  });

  test('merged by a push of its commits to the target: fast-forward, no merge commit', async () => {
    const project = await newProject();
    const { iid, shas } = await openMr(project, 'pushed', 2);
    await fake.setBranch(project, 'main', shas[1], { author: 'bob' });
    expect(fake.mergeRequest(project, iid).state).toBe('merged');
    await expect(forge.landedChanges(project, iid)).resolves.toEqual({
      how: 'fast-forward',
      mergeCommitSha: null,
      squashCommitSha: null,
      commits: shas.map((sha, i) => ({ sha, subject: `pushed: part ${i + 1}` })),
      targetBranch: 'main',
    });
  });

  test('every commit of a long MR, across pages', async () => {
    const project = await newProject();
    const { iid, shas } = await openMr(project, 'long', 7);
    await fake.merge(project, iid, { by: 'bob' });
    const small = new GitLabForge({ url: fake.url, token: bot.token, perPage: 3 });
    expect((await small.landedChanges(project, iid)).commits.map((c) => c.sha)).toEqual(shas);
  });

  test('invalid for an MR that is not merged, not-found for none, unavailable while GitLab is merging it', async () => {
    const project = await newProject();
    const { iid } = await openMr(project, 'open', 1);
    await expect(forge.landedChanges(project, iid)).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('opened') });
    await expect(forge.landedChanges(project, 99)).rejects.toMatchObject({ kind: 'not-found', status: 404 });

    const held = fake.holdNextMerge(project, iid);
    const impatient = new GitLabForge({ url: fake.url, token: bot.token, mergeWaitMs: 0 });
    await expect(impatient.merge(project, iid, fake.mergeRequest(project, iid).headSha)).resolves.toMatchObject({
      kind: 'not-mergeable',
      reason: 'checking',
    });
    await held.accepted;
    await expect(forge.landedChanges(project, iid)).rejects.toBeInstanceOf(ForgeUnavailableError);
    held.finish();
  });
});

describe('mergeRequestsBetween', () => {
  test('every state, newest first; other targets and forks with a branch of the same name left out', async () => {
    const project = await newProject();
    await expect(forge.mergeRequestsBetween(project, 'backport/1-to-release-1', 'release-1')).resolves.toEqual([]);
    await fake.commit(project, 'backport/1-to-release-1', { files: { 'f.txt': 'f\n' }, message: 'F', author: 'alice', from: 'release-1' });
    const closed = fake.createMergeRequest(project, { sourceBranch: 'backport/1-to-release-1', targetBranch: 'release-1', title: 'Old', author: 'alice' });
    fake.close(project, closed.iid);
    const open = fake.createMergeRequest(project, {
      sourceBranch: 'backport/1-to-release-1',
      targetBranch: 'release-1',
      title: 'New',
      author: 'alice',
      draft: true,
    });
    fake.createMergeRequest(project, { sourceBranch: 'backport/1-to-release-1', targetBranch: 'main', title: 'Elsewhere', author: 'alice' });
    const fork = fake.forkProject(project, `dave/bp${projectCount}`, 'dave');
    fake.createMergeRequest(project, { sourceProject: fork.path, sourceBranch: 'backport/1-to-release-1', targetBranch: 'release-1', title: 'Fork', author: 'dave' });

    await expect(forge.mergeRequestsBetween(project, 'backport/1-to-release-1', 'release-1')).resolves.toEqual([
      { iid: open.iid, webUrl: open.webUrl, state: 'opened', draft: true },
      { iid: closed.iid, webUrl: closed.webUrl, state: 'closed', draft: false },
    ]);
    fake.setDraft(project, open.iid, false);
    await fake.merge(project, open.iid, { by: 'bob' });
    expect((await forge.mergeRequestsBetween(project, 'backport/1-to-release-1', 'release-1'))[0]).toMatchObject({
      iid: open.iid,
      state: 'merged',
    });
  });
});

describe('openMergeRequest', () => {
  /** The bot's backport branch off release-1, pushed with real git. */
  async function pushBackportBranch(project: string, branch: string): Promise<void> {
    const dir = fs.mkdtempSync(path.join(work, 'push-'));
    await git(['clone', '--quiet', '--branch', 'release-1', fake.cloneUrl(project, 'shepherd-bot'), dir]);
    fs.writeFileSync(path.join(dir, 'fix.txt'), 'fixed\n');
    await git(['add', 'fix.txt'], { cwd: dir });
    await git(['commit', '--quiet', '-m', 'Fix (cherry picked)'], { cwd: dir });
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
  }

  test('labels, assignee, description and draft, as the bot; what GitLab then shows', async () => {
    const project = await newProject();
    await pushBackportBranch(project, 'backport/7-to-release-1');
    const opened = await forge.openMergeRequest(project, {
      sourceBranch: 'backport/7-to-release-1',
      targetBranch: 'release-1',
      title: 'Backport !7 to release-1',
      description: 'Picked from !7 by Shepherd.',
      assignee: 'alice',
      labels: ['backport', 'release-1'],
      draft: true,
    });
    const [mr] = fake.mergeRequestsOpenedBy('shepherd-bot', project);
    expect(opened).toEqual({ iid: mr.iid, webUrl: mr.webUrl });
    expect(mr).toMatchObject({
      title: 'Draft: Backport !7 to release-1',
      draft: true,
      description: 'Picked from !7 by Shepherd.',
      assignees: ['alice'],
      labels: ['backport', 'release-1'],
      sourceBranch: 'backport/7-to-release-1',
      targetBranch: 'release-1',
      state: 'opened',
    });
    await expect(forge.getMergeRequest(project, opened.iid)).resolves.toMatchObject({
      draft: true,
      assignees: ['alice'],
      labels: ['backport', 'release-1'],
      authorUsername: 'shepherd-bot',
    });
    await expect(forge.mergeRequestsBetween(project, 'backport/7-to-release-1', 'release-1')).resolves.toEqual([
      { iid: opened.iid, webUrl: opened.webUrl, state: 'opened', draft: true },
    ]);
  });

  test('not a draft, no assignee, no labels: as given; a title that is already a draft keeps one prefix', async () => {
    const project = await newProject();
    await pushBackportBranch(project, 'bp-a');
    await pushBackportBranch(project, 'bp-b');
    const plain = await forge.openMergeRequest(project, {
      sourceBranch: 'bp-a',
      targetBranch: 'release-1',
      title: 'Backport !1',
      description: '',
      labels: [],
      draft: false,
    });
    expect(fake.mergeRequest(project, plain.iid)).toMatchObject({ title: 'Backport !1', draft: false, assignees: [], labels: [] });
    const prefixed = await forge.openMergeRequest(project, {
      sourceBranch: 'bp-b',
      targetBranch: 'release-1',
      title: 'Draft: Backport !2',
      description: '',
      labels: [],
      draft: true,
    });
    expect(fake.mergeRequest(project, prefixed.iid).title).toBe('Draft: Backport !2');
  });

  test('an open MR between the same branches already: MergeRequestExistsError naming it (409)', async () => {
    const project = await newProject();
    await pushBackportBranch(project, 'backport/8-to-release-1');
    const request = {
      sourceBranch: 'backport/8-to-release-1',
      targetBranch: 'release-1',
      title: 'Backport !8',
      description: 'd',
      labels: ['backport'],
      draft: false,
    };
    const first = await forge.openMergeRequest(project, request);
    const err = await forge.openMergeRequest(project, request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeRequestExistsError);
    expect(err).toBeInstanceOf(ForgeError);
    expect(err).toMatchObject({ kind: 'invalid', status: 409, existingIid: first.iid });
    expect(String((err as Error).message)).toContain(`Another open merge request already exists for this source branch: !${first.iid}`);
    expect(fake.mergeRequestsOpenedBy('shepherd-bot', project)).toHaveLength(1);
  });

  test('invalid for an unknown assignee and a missing branch; forbidden for a reporter bot', async () => {
    const project = await newProject();
    await pushBackportBranch(project, 'bp');
    const base = { sourceBranch: 'bp', targetBranch: 'release-1', title: 'T', description: '', labels: [], draft: false };
    await expect(forge.openMergeRequest(project, { ...base, assignee: 'nobody-here' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(forge.openMergeRequest(project, { ...base, sourceBranch: 'gone' })).rejects.toMatchObject({
      kind: 'invalid',
      status: 422,
      message: expect.stringContaining('Source branch "gone" does not exist'),
    });
    fake.setMember(project, 'shepherd-bot', 'reporter');
    await expect(forge.openMergeRequest(project, base)).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
    expect(fake.mergeRequests(project)).toHaveLength(0);
  });
});
