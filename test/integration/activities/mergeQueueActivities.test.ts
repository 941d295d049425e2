import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities, mergeQueueSettings, type ShepherdActivities } from '../../../src/activities';
import type { MergeRequestRef } from '../../../src/domain/types';
import type { LoadedMergeRequest, RebaseResult as RebaseOutcome } from '../../../src/activities/types';
import { GitLabForge } from '../../../src/forges/gitlab';
import { GitWorkspace } from '../../../src/git/workspace';
import { withToken } from '../../../src/worker';
import { FakeGitLab, type FakeUser } from '../../fakes/gitlab';

// A retried activity must not double-comment, double-push or double-merge: each is run twice here,
// as Temporal does after a worker dies between the side effect and reporting it.

let gitlab: FakeGitLab;
let bot: FakeUser;
let cacheDir: string;
let acts: ShepherdActivities;
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
let n = 0;

beforeAll(async () => {
  gitlab = await FakeGitLab.start({ log: () => undefined });
  bot = gitlab.addUser({ username: 'shepherd-bot', name: 'Shepherd' });
  gitlab.addUser({ username: 'alice', name: 'Alice' });
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-acts-'));
  const forge = new GitLabForge({ url: gitlab.url, token: bot.token });
  acts = createActivities({
    forges: { gitlab: forge },
    git: new GitWorkspace({ cacheDir, gitTimeoutMs: 60_000, committer: { name: 'Shepherd', email: 'shepherd@localhost' } }),
    authenticatedCloneUrl: async (_kind, project) => withToken(await forge.httpCloneUrl(project), bot.token),
    temporal: {} as Client,
    taskQueue: 'unused',
    settings: mergeQueueSettings({ ciTimeoutMs: 60_000, ciPollIntervalMs: 1000 }),
  });
});
afterAll(async () => {
  await gitlab.stop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

async function assignedMergeRequest(): Promise<{ ref: MergeRequestRef; head: string }> {
  const project = `group/acts-${++n}`;
  gitlab.addProject(project, { members: { 'shepherd-bot': 'maintainer', alice: 'developer' } });
  const head = await gitlab.commit(project, 'feature', { files: { 'f.txt': 'f\n' }, message: 'Add f', author: 'alice' });
  await gitlab.commit(project, 'main', { files: { 'g.txt': 'g\n' }, message: 'Move main', author: 'alice' });
  const mr = gitlab.createMergeRequest(project, { sourceBranch: 'feature', title: 'Add f', author: 'alice', assignees: ['shepherd-bot'] });
  return { ref: { forge: 'gitlab', project, iid: mr.iid }, head };
}

test('commentOnce posts once however often it is retried', async () => {
  const { ref } = await assignedMergeRequest();
  const args = { ref, key: 'merge:job:1:ci-failed', body: 'CI failed.' };
  await env.run(acts.commentOnce, args);
  await env.run(acts.commentOnce, args);
  const notes = gitlab.notes(ref.project, ref.iid).filter((x) => !x.system);
  expect(notes).toHaveLength(1);
  expect(notes[0].body).toContain('CI failed.');
});

test('a retried rebase after a successful push pushes nothing new and answers the same commit', async () => {
  const { ref, head } = await assignedMergeRequest();
  const args = { ref, sourceBranch: 'feature', targetBranch: 'main', expectedSourceSha: head };
  const first: RebaseOutcome = await env.run(acts.rebaseMergeRequest, args);
  const second = await env.run(acts.rebaseMergeRequest, args);
  expect(first.kind).toBe('pushed');
  expect(second).toEqual(first);
  const pushed = gitlab.pipelines(ref.project).filter((p) => p.ref === 'feature' && p.sha !== head);
  expect(pushed).toHaveLength(1);
});

test('a retried merge after a successful merge does not merge again', async () => {
  const { ref, head } = await assignedMergeRequest();
  const rebased: RebaseOutcome = await env.run(acts.rebaseMergeRequest, { ref, sourceBranch: 'feature', targetBranch: 'main', expectedSourceSha: head });
  if (rebased.kind !== 'pushed') throw new Error(`unexpected ${rebased.kind}`);
  gitlab.finishPipeline(ref.project, rebased.sha, 'success');
  await gitlab.mergeRequestUpdatesDone(); // GitLab has caught up with the push and checked mergeability
  await expect(env.run(acts.merge, { ref, sha: rebased.sha })).resolves.toMatchObject({ kind: 'merged' });
  const mainAfterMerge = gitlab.branchHead(ref.project, 'main');
  await expect(env.run(acts.merge, { ref, sha: rebased.sha })).resolves.toMatchObject({ kind: 'merged' });
  expect(gitlab.branchHead(ref.project, 'main')).toBe(mainAfterMerge);
});

test('unassignBot removes only the bot, and a retry changes nothing more', async () => {
  const { ref } = await assignedMergeRequest();
  gitlab.assign(ref.project, ref.iid, ['alice', 'shepherd-bot']);
  await env.run(acts.unassignBot, { ref });
  await env.run(acts.unassignBot, { ref });
  expect(gitlab.mergeRequest(ref.project, ref.iid).assignees).toEqual(['alice']);
});

test('the clone URL handed to git carries the token, but activity results never do', async () => {
  const { ref, head } = await assignedMergeRequest();
  const result = await env.run(acts.rebaseMergeRequest, { ref, sourceBranch: 'feature', targetBranch: 'main', expectedSourceSha: head });
  expect(JSON.stringify(result)).not.toContain(bot.token);
  const loaded = await env.run(acts.loadMergeRequest, ref);
  expect(JSON.stringify(loaded)).not.toContain(bot.token);
});

test('an unknown merge request fails at once (not retried) with a clear reason', async () => {
  const { ref } = await assignedMergeRequest();
  await expect(env.run(acts.loadMergeRequest, { ...ref, iid: 999 })).rejects.toMatchObject({
    name: 'ApplicationFailure',
    nonRetryable: true,
    type: 'ForgeNotFound',
  });
});

test("only the bot's own notes count as already posted: someone quoting its marker does not silence it", async () => {
  const { ref } = await assignedMergeRequest();
  const key = 'merge:job:7:ci-failed';
  // Alice quotes the bot's hidden marker (copied from an earlier comment, say).
  gitlab.comment(ref.project, ref.iid, 'alice', `> I couldn't merge this\n> <!-- shepherd:${key} -->`);
  await env.run(acts.commentOnce, { ref, key, body: 'CI failed.' });
  const fromBot = gitlab.notes(ref.project, ref.iid).filter((x) => !x.system && x.author === 'shepherd-bot');
  expect(fromBot).toHaveLength(1);
  expect(fromBot[0].body).toContain('CI failed.');
});

test('a retried rebase after its push went through recognises its own push even if the target moved since', async () => {
  const { ref, head } = await assignedMergeRequest();
  const args = { ref, sourceBranch: 'feature', targetBranch: 'main', expectedSourceSha: head };
  const first: RebaseOutcome = await env.run(acts.rebaseMergeRequest, args);
  expect(first.kind).toBe('pushed');
  await gitlab.commit(ref.project, 'main', { files: { 'later.txt': 'later\n' }, message: 'Someone merges meanwhile', author: 'alice' });
  const second = await env.run(acts.rebaseMergeRequest, args);
  expect(second).toEqual(first);
});

test("loadMergeRequest right after a push waits for GitLab's asynchronous head update, so the view is the pushed head", async () => {
  const { ref } = await assignedMergeRequest();
  gitlab.setAsyncMergeRequestUpdateMs(1500);
  try {
    const pushed = await gitlab.commit(ref.project, 'feature', { files: { 'f.txt': 'fixed\n' }, message: 'Fix f', author: 'alice' });
    // GitLab still shows the old head for a while.
    expect(gitlab.mergeRequest(ref.project, ref.iid).headSha).not.toBe(pushed);
    const loaded: LoadedMergeRequest = await env.run(acts.loadMergeRequest, ref);
    expect(loaded.mr.headSha).toBe(pushed);
  } finally {
    gitlab.setAsyncMergeRequestUpdateMs(200);
  }
});
