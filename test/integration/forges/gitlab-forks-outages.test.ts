// GitLabForge against the fake for fork merge requests (fields, who may push where, merging),
// pipelines and commits, approvals before GitLab caught up with a push, and outages: one call is
// one HTTP request, and 5xx, 429, timeouts and refused connections surface as retryable.
import net from 'node:net';
import { ForgeError, ForgeUnavailableError } from '../../../src/forges/forge';
import { GitLabForge } from '../../../src/forges/gitlab';
import { FakeGitLab, git } from '../../fakes/gitlab';

const UPSTREAM = 'up/app';
let fake: FakeGitLab;
let forge: GitLabForge;
let adminForge: GitLabForge;
let forkCount = 0;

beforeAll(async () => {
  fake = await FakeGitLab.start({ log: () => undefined, asyncMergeRequestUpdateMs: 60_000 });
  const bot = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  const admin = fake.addUser({ username: 'admin-bot', name: 'Admin', admin: true });
  fake.addUser({ username: 'alice', name: 'Alice' });
  fake.addUser({ username: 'bob', name: 'Bob' });
  fake.addProject(UPSTREAM, {
    members: { 'shepherd-bot': 'maintainer', alice: 'reporter', bob: 'developer' },
    onlyAllowMergeIfPipelineSucceeds: false,
    approvalsRequired: 1,
  });
  forge = new GitLabForge({ url: fake.url, token: bot.token });
  adminForge = new GitLabForge({ url: fake.url, token: admin.token });
});

afterAll(async () => {
  await fake?.stop();
});

async function forkMr(allowCollaboration: boolean, visibility: 'private' | 'internal' = 'internal') {
  const fork = `alice/fork${++forkCount}`;
  fake.forkProject(UPSTREAM, fork, 'alice', { visibility });
  const sha = await fake.commit(fork, 'feature', { files: { 'fork.txt': 'fork\n' }, message: 'From the fork', author: 'alice' });
  const { iid } = fake.createMergeRequest(UPSTREAM, {
    sourceProject: fork,
    sourceBranch: 'feature',
    title: 'From the fork',
    author: 'alice',
    allowCollaboration,
  });
  return { fork, sha, iid };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('fork merge requests', () => {
  test('sourceProject is the fork, allowCollaboration as the author set it, headPipeline from the fork', async () => {
    const { fork, sha, iid } = await forkMr(true);
    const [pipeline] = fake.pipelines(fork).filter((p) => p.sha === sha);
    await expect(forge.getMergeRequest(UPSTREAM, iid)).resolves.toMatchObject({
      project: UPSTREAM,
      sourceProject: fork,
      sourceBranch: 'feature',
      headSha: sha,
      allowCollaboration: true,
      headPipeline: { id: pipeline.id, sha, ref: 'feature', status: 'pending' },
    });
    const other = await forkMr(false);
    await expect(forge.getMergeRequest(UPSTREAM, other.iid)).resolves.toMatchObject({ allowCollaboration: false });
  });

  test('a fork the bot cannot see is named by its id, and the MR is still there', async () => {
    const { fork, iid } = await forkMr(false, 'private');
    await expect(forge.getMergeRequest(UPSTREAM, iid)).resolves.toMatchObject({
      sourceProject: String(fake.project(fork).id),
    });
  });

  test('the bot may not push to the fork as a member, but may merge into the target: collaboration decides', async () => {
    const { fork } = await forkMr(true);
    await expect(forge.mayPush(fork, 'shepherd-bot', 'feature')).resolves.toBe(false);
    await expect(forge.mayMerge(UPSTREAM, 'shepherd-bot', 'main')).resolves.toBe(true);
    await expect(forge.mayPush(fork, 'alice', 'feature')).resolves.toBe(true); // her fork
  });

  test('merging a fork MR lands the fork commit in the target branch', async () => {
    const { sha, iid } = await forkMr(false);
    fake.approve(UPSTREAM, iid, 'bob');
    await expect(forge.merge(UPSTREAM, iid, sha)).resolves.toMatchObject({ kind: 'merged' });
    expect(await git(['--git-dir', fake.project(UPSTREAM).repoDir, 'show', 'main:fork.txt'])).toBe('fork');
  });
});

describe('pipelines and commits', () => {
  test('getPipeline reads one pipeline with its live status; commitParents the parents', async () => {
    const sha = await fake.commit(UPSTREAM, 'pipes', { files: { 'p.txt': 'p\n' }, message: 'p', author: 'bob' });
    const [p] = fake.pipelines(UPSTREAM).filter((x) => x.sha === sha);
    fake.finishPipeline(UPSTREAM, p.id, 'success');
    await expect(forge.getPipeline(UPSTREAM, p.id)).resolves.toEqual({
      id: p.id,
      sha,
      ref: 'pipes',
      status: 'success',
      webUrl: p.webUrl,
    });
    expect(await rejection(forge.getPipeline(UPSTREAM, 999_999))).toMatchObject({ kind: 'not-found' });
    await expect(forge.commitParents(UPSTREAM, sha)).resolves.toEqual([fake.branchHead(UPSTREAM, 'main')]);
  });
});

describe('approving right after a push', () => {
  test('head-moved until GitLab shows the new head, then the approval goes through', async () => {
    await fake.commit(UPSTREAM, 'approve-me', { files: { 'a.txt': '1\n' }, message: 'a', author: 'alice' });
    const { iid } = fake.createMergeRequest(UPSTREAM, { sourceBranch: 'approve-me', title: 'a', author: 'alice' });
    const fresh = await fake.commit(UPSTREAM, 'approve-me', { files: { 'a.txt': '2\n' }, message: 'b', author: 'alice' });
    const early = await rejection(adminForge.approveAs(UPSTREAM, iid, 'bob', fresh));
    expect(early).toBeInstanceOf(ForgeError);
    expect(early).toMatchObject({ kind: 'head-moved', status: 409 });
    await fake.flushMergeRequestUpdates();
    await adminForge.approveAs(UPSTREAM, iid, 'bob', fresh);
    expect(fake.mergeRequest(UPSTREAM, iid).approvedBy).toEqual(['bob']);
  });
});

describe('outages delay, they never fail', () => {
  test.each([502, 503, 429])('%i: one request, then ForgeUnavailableError (no retries inside)', async (status) => {
    const before = fake.apiRequests.length;
    fake.failNextRequests(1, status);
    const err = await rejection(forge.branchHead(UPSTREAM, 'main'));
    expect(err).toBeInstanceOf(ForgeUnavailableError);
    expect(err).toMatchObject({ status, message: expect.stringContaining(`answered ${status}`) });
    expect((err as Error).message).toContain('GitLab unavailable');
    expect(fake.apiRequests.slice(before).map((r) => r.status)).toEqual([status]);
    // The next attempt (the caller's retry) works.
    await expect(forge.branchHead(UPSTREAM, 'main')).resolves.toBe(fake.branchHead(UPSTREAM, 'main'));
  });

  test('a merge during an outage throws (to be retried) rather than reporting a refusal', async () => {
    await fake.commit(UPSTREAM, 'outage', { files: { 'o.txt': 'o\n' }, message: 'o', author: 'alice' });
    const { iid } = fake.createMergeRequest(UPSTREAM, { sourceBranch: 'outage', title: 'o', author: 'alice' });
    fake.failNextRequests(1, 502, { method: 'PUT' });
    const err = await rejection(forge.merge(UPSTREAM, iid, fake.branchHead(UPSTREAM, 'outage') as string));
    expect(err).toBeInstanceOf(ForgeUnavailableError);
    expect(fake.mergeRequest(UPSTREAM, iid).state).toBe('opened');
  });

  test('a request that never answers times out after queryTimeoutMs as ForgeUnavailableError', async () => {
    const quick = new GitLabForge({ url: fake.url, token: fake.user('shepherd-bot').token, queryTimeoutMs: 200 });
    fake.stallNextRequests(1);
    const err = await rejection(quick.branchHead(UPSTREAM, 'main'));
    expect(err).toBeInstanceOf(ForgeUnavailableError);
    expect((err as Error).message).toContain('timed out');
  });

  test('a refused connection is ForgeUnavailableError too', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as net.AddressInfo;
        s.close(() => resolve(p));
      });
    });
    const nowhere = new GitLabForge({ url: `http://127.0.0.1:${port}`, token: 'glpat-x' });
    const err = await rejection(nowhere.currentUser());
    expect(err).toBeInstanceOf(ForgeUnavailableError);
    expect(err).not.toHaveProperty('status', expect.any(Number));
  });

  test('4xx stay ForgeError: they will not get better by retrying', async () => {
    fake.failNextRequests(1, 400);
    const err = await rejection(forge.getMergeRequest(UPSTREAM, 1));
    expect(err).toBeInstanceOf(ForgeError);
    expect(err).toMatchObject({ kind: 'invalid', status: 400 });
  });
});
