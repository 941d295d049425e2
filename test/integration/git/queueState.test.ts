// Queue states (batches and train cars) in real git against the fake GitLab: several merge
// requests stacked on the target and pushed to the queue's own branch, the source branches moved
// to their rebased heads, the target fast-forwarded to the tested state; each step again on a
// retry changes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitWorkspace, type QueueStateOutcome } from '../../../src/git/workspace';
import { withToken } from '../../../src/worker';
import { FakeGitLab, type FakeUser } from '../../fakes/gitlab';

let fake: FakeGitLab;
let bot: FakeUser;
let work: string;
let ws: GitWorkspace;
let n = 0;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined });
  bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-queue-state-'));
  ws = new GitWorkspace({ cacheDir: work, gitTimeoutMs: 60_000, committer: { name: 'Shepherd', email: 'shepherd@localhost' } });
});

afterAll(async () => {
  await fake?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A project whose main moved after three MRs branched off it. */
async function threeMergeRequests(opts: { conflictOn2?: boolean } = {}) {
  const project = `group/state-${++n}`;
  fake.addProject(project, { members: { 'shepherd-bot': 'maintainer', dev: 'developer' }, files: { 'shared.txt': 'base\n' } });
  const heads: string[] = [];
  for (const i of [1, 2, 3]) {
    const files: Record<string, string> = { [`f${i}.txt`]: `${i}\n` };
    if (opts.conflictOn2 && i <= 2) files['shared.txt'] = `changed by ${i}\n`;
    heads.push(await fake.commit(project, `mr${i}`, { files, message: `Change ${i}`, author: 'dev' }));
  }
  await fake.commit(project, 'main', { files: { 'main.txt': 'moved\n' }, message: 'Move main', author: 'dev' });
  const iids = [1, 2, 3].map((i) => fake.createMergeRequest(project, { sourceBranch: `mr${i}`, title: `Change ${i}`, author: 'dev' }).iid);
  await fake.mergeRequestUpdatesDone();
  const remoteUrl = withToken(fake.cloneUrl(project, 'shepherd-bot'), bot.token);
  const request = {
    projectKey: `gitlab/${project}`,
    remoteUrl,
    targetBranch: 'main',
    stateBranch: 'shepherd/batch/main/1',
    mergeRequests: iids.map((iid, k) => ({ iid, expectedSourceSha: heads[k] })),
  };
  return { project, heads, iids, remoteUrl, request };
}

test('a state stacks the merge requests on the target in order, is pushed to the queue branch, and a retry builds the same SHA', async () => {
  const { project, request } = await threeMergeRequests();
  const target = fake.branchHead(project, 'main') as string;
  const first: QueueStateOutcome = await ws.buildQueueState(request);
  if (first.kind !== 'built') throw new Error(`not built: ${first.kind}`);
  expect(first.targetSha).toBe(target);
  expect(fake.branchHead(project, 'shepherd/batch/main/1')).toBe(first.sha);
  const log = fake.log(project, 'shepherd/batch/main/1').map((c) => c.subject);
  expect(log.slice(0, 4)).toEqual(['Change 3', 'Change 2', 'Change 1', 'Move main']);
  expect(first.heads.map((h) => h.iid)).toEqual(request.mergeRequests.map((m) => m.iid));
  expect(first.heads[2].sha).toBe(first.sha);
  // On another worker (a fresh cache), later: the same commits.
  const other = new GitWorkspace({ cacheDir: fs.mkdtempSync(path.join(work, 'w-')), gitTimeoutMs: 60_000, committer: { name: 'Shepherd', email: 'shepherd@localhost' } });
  await expect(other.buildQueueState(request)).resolves.toEqual(first);
});

test('a merge request that conflicts with the ones before it in the state is named, with the files', async () => {
  const { request, iids } = await threeMergeRequests({ conflictOn2: true });
  await expect(ws.buildQueueState(request)).resolves.toMatchObject({ kind: 'conflict', iid: iids[1], files: ['shared.txt'] });
});

test('landing: the source branches move to their rebased heads, then the target fast-forwards to the tested state; GitLab marks them merged; retries change nothing', async () => {
  const { project, heads, iids, remoteUrl, request } = await threeMergeRequests();
  const built = await ws.buildQueueState(request);
  if (built.kind !== 'built') throw new Error(`not built: ${built.kind}`);
  const updates = built.heads.map((h, k) => ({ branch: `mr${k + 1}`, expectedSha: heads[k], sha: h.sha }));
  const req = { projectKey: request.projectKey, remoteUrl, updates };
  await expect(ws.updateSourceBranches(req)).resolves.toEqual({ kind: 'updated' });
  await expect(ws.updateSourceBranches(req)).resolves.toEqual({ kind: 'updated' });
  // GitLab must have seen the new heads before the target moves, or it never marks them merged.
  await fake.mergeRequestUpdatesDone();
  const land = { projectKey: request.projectKey, remoteUrl, targetBranch: 'main', sha: built.sha, baseSha: built.targetSha };
  await expect(ws.fastForwardTarget(land)).resolves.toEqual({ kind: 'landed' });
  expect(fake.branchHead(project, 'main')).toBe(built.sha);
  await expect(ws.fastForwardTarget(land)).resolves.toEqual({ kind: 'landed' });
  expect(iids.map((iid) => fake.mergeRequest(project, iid).state)).toEqual(['merged', 'merged', 'merged']);
});

test('landing refuses when someone moved the target since the state was built, and when a source branch moved', async () => {
  const { project, heads, remoteUrl, request } = await threeMergeRequests();
  const built = await ws.buildQueueState(request);
  if (built.kind !== 'built') throw new Error(`not built: ${built.kind}`);
  const pushedByHand = await fake.commit(project, 'mr2', { files: { 'late.txt': 'late\n' }, message: 'Late change', author: 'dev' });
  const updates = built.heads.map((h, k) => ({ branch: `mr${k + 1}`, expectedSha: heads[k], sha: h.sha }));
  await expect(ws.updateSourceBranches({ projectKey: request.projectKey, remoteUrl, updates })).resolves.toEqual({
    kind: 'source-moved',
    branch: 'mr2',
    actualSha: pushedByHand,
  });
  // All or none: mr1 was not moved either.
  expect(fake.branchHead(project, 'mr1')).toBe(heads[0]);
  const moved = await fake.commit(project, 'main', { files: { 'other.txt': 'x\n' }, message: 'Someone else lands', author: 'dev' });
  await expect(
    ws.fastForwardTarget({ projectKey: request.projectKey, remoteUrl, targetBranch: 'main', sha: built.sha, baseSha: built.targetSha }),
  ).resolves.toEqual({ kind: 'target-moved', actualSha: moved });
  expect(fake.branchHead(project, 'main')).toBe(moved);
});
