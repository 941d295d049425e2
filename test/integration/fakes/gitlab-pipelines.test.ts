// The fake GitLab's pipelines as GitLab runs them: branch pipelines, merge request pipelines
// and merged results pipelines, which of them a push creates, what their hooks say and which one
// an MR counts as its head_pipeline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  FakeGitLab,
  git,
  startHookReceiver,
  type AddProjectOptions,
  type FakePipeline,
  type HookReceiver,
  type PipelinePolicy,
  type ReceivedHook,
} from '../../fakes/gitlab';
import { getMr, mergeMr, api, eventually, projectPath, type Json } from './http';

let fake: FakeGitLab;
let hooks: HookReceiver;
let work: string;
let projectCount = 0;

beforeAll(async () => {
  hooks = await startHookReceiver();
  fake = await FakeGitLab.start({ webhookUrl: hooks.url, webhookSecret: 's', log: () => undefined });
  fake.addUser({ username: 'maya', name: 'Maya Maintainer' });
  fake.addUser({ username: 'dev', name: 'Dee Developer' });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-pipelines-'));
});

afterAll(async () => {
  await fake?.stop();
  await hooks?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function newProject(opts: AddProjectOptions = {}): string {
  const project = `ci/app${++projectCount}`;
  fake.addProject(project, { members: { maya: 'maintainer', dev: 'developer' }, ...opts });
  return project;
}

const attrs = (h: ReceivedHook): Json => (h.body.object_attributes ?? {}) as Json;
const pipelineHook =
  (id: number) =>
  (h: ReceivedHook): boolean =>
    h.event === 'Pipeline Hook' && attrs(h).id === id;

/** dev's MR from `topic` with one commit; returns its iid and head. */
async function openMr(project: string, files: Record<string, string> = { 'topic.txt': '1\n' }) {
  const first = await fake.commit(project, 'topic', { files, message: 'Topic', author: 'dev' });
  const mr = fake.createMergeRequest(project, { sourceBranch: 'topic', title: 'Topic', author: 'dev' });
  return { iid: mr.iid, first };
}

/** A second commit on the MR's branch, applied to the MR (GitLab does that in the background). */
async function pushToMr(project: string): Promise<string> {
  const sha = await fake.commit(project, 'topic', { files: { 'topic.txt': '2\n' }, message: 'Topic 2', author: 'dev' });
  await fake.mergeRequestUpdatesDone();
  return sha;
}

const forSha = (project: string, sha: string): FakePipeline[] => fake.pipelines(project).filter((p) => p.sha === sha);

test('branch pipelines (the default): source push, and the hook names no MR even when one has the branch', async () => {
  const project = newProject();
  const { iid } = await openMr(project);
  const second = await pushToMr(project);

  const [pipeline] = forSha(project, second);
  expect(pipeline).toMatchObject({ kind: 'branch', source: 'push', ref: 'topic', mergeRequestIid: null });
  const hook = await hooks.waitFor(pipelineHook(pipeline.id));
  expect(hook.body).toMatchObject({ object_attributes: { source: 'push', ref: 'topic', sha: second }, merge_request: null });

  const mr = await getMr(fake, 'dev', project, iid);
  expect(mr.sha).toBe(second);
  expect(mr.head_pipeline).toMatchObject({ id: pipeline.id, sha: second, ref: 'topic', source: 'push' });
});

test('merge request pipelines: on the MR head ref, hook with the MR, no branch pipeline for MR branches', async () => {
  const project = newProject({ pipelines: 'merge-request' });
  const { iid, first } = await openMr(project);
  // Before the MR existed the push ran a branch pipeline; opening the MR runs one for the MR.
  expect(forSha(project, first).map((p) => p.kind)).toEqual(['branch', 'merge-request']);

  const second = await pushToMr(project);
  const [pipeline] = forSha(project, second);
  expect(forSha(project, second)).toHaveLength(1);
  expect(pipeline).toMatchObject({
    kind: 'merge-request',
    source: 'merge_request_event',
    ref: `refs/merge-requests/${iid}/head`,
    mergeRequestIid: iid,
  });
  const hook = await hooks.waitFor(pipelineHook(pipeline.id));
  expect(hook.body).toMatchObject({
    object_attributes: { source: 'merge_request_event', ref: `refs/merge-requests/${iid}/head`, sha: second },
    merge_request: {
      iid,
      source_branch: 'topic',
      target_branch: 'main',
      state: 'opened',
      url: `${fake.url}/${project}/-/merge_requests/${iid}`,
    },
  });
  const mr = await getMr(fake, 'dev', project, iid);
  expect(mr.head_pipeline).toMatchObject({ id: pipeline.id, source: 'merge_request_event' });

  // A branch without an MR still gets branch pipelines.
  const other = await fake.commit(project, 'other', { files: { 'o.txt': 'o\n' }, message: 'Other', author: 'dev' });
  expect(forSha(project, other).map((p) => p.kind)).toEqual(['branch']);

  // GitLab keeps the MR head under refs/merge-requests/<iid>/head, fetchable with git.
  const dir = path.join(work, `mr-head-${project.replace('/', '-')}`);
  await git(['clone', '--quiet', fake.cloneUrl(project, 'dev'), dir]);
  await git(['fetch', '--quiet', 'origin', `refs/merge-requests/${iid}/head:mr-head`], { cwd: dir });
  expect(await git(['rev-parse', 'mr-head'], { cwd: dir })).toBe(second);

  const listed = await api(fake, 'dev', 'GET', `${projectPath(project)}/pipelines?source=merge_request_event`);
  expect((listed.body as unknown as Json[]).map((p) => p.id)).toEqual(
    fake.pipelines(project).filter((p) => p.kind === 'merge-request').map((p) => p.id).reverse(),
  );
});

test('merged results pipelines test a merge commit of the head into the target, which is not the head', async () => {
  const project = newProject({ pipelines: 'merged-results' });
  const { iid } = await openMr(project);
  const mainHead = await fake.commit(project, 'main', { files: { 'main.txt': 'm\n' }, message: 'Main moves', author: 'maya' });
  const second = await pushToMr(project);

  const pipeline = fake.pipelines(project).find((p) => p.kind === 'merged-results' && p.sourceSha === second);
  if (!pipeline) throw new Error('no merged results pipeline for the new head');
  expect(pipeline).toMatchObject({
    source: 'merge_request_event',
    ref: `refs/merge-requests/${iid}/merge`,
    mergeRequestIid: iid,
    targetSha: mainHead,
  });
  expect(pipeline.sha).not.toBe(second);
  const repo = fake.project(project).repoDir;
  expect((await git(['--git-dir', repo, 'log', '-1', '--format=%P', pipeline.sha])).split(' ')).toEqual([mainHead, second]);
  expect(await git(['--git-dir', repo, 'show', `${pipeline.sha}:main.txt`])).toBe('m');

  const hook = await hooks.waitFor(pipelineHook(pipeline.id));
  expect(hook.body).toMatchObject({
    object_attributes: { sha: pipeline.sha, ref: `refs/merge-requests/${iid}/merge` },
    merge_request: { iid },
  });
  // The MR counts it for its head, although its SHA is another commit.
  const mr = await getMr(fake, 'dev', project, iid);
  expect(mr.sha).toBe(second);
  expect(mr.head_pipeline).toMatchObject({ id: pipeline.id, sha: pipeline.sha });
});

test('merged results with conflicts: GitLab runs a merge request pipeline on the head instead', async () => {
  const project = newProject({ pipelines: 'merged-results' });
  const { iid } = await openMr(project, { 'README.md': 'ours\n' });
  await fake.commit(project, 'main', { files: { 'README.md': 'theirs\n' }, message: 'Theirs', author: 'maya' });
  const second = await pushToMr(project);
  const pipelines = forSha(project, second).filter((p) => p.mergeRequestIid === iid);
  expect(pipelines.map((p) => [p.kind, p.ref])).toEqual([['merge-request', `refs/merge-requests/${iid}/head`]]);
});

test('branch and merge request pipelines both run; the MR counts its merge request pipeline', async () => {
  const project = newProject({ pipelines: 'branch-and-merge-request' });
  const { iid } = await openMr(project);
  const second = await pushToMr(project);
  const kinds = forSha(project, second).map((p) => p.kind);
  expect(kinds.sort()).toEqual(['branch', 'merge-request']);
  const mrPipeline = forSha(project, second).find((p) => p.kind === 'merge-request');
  const mr = await getMr(fake, 'dev', project, iid);
  expect(mr.head_pipeline).toMatchObject({ id: mrPipeline?.id });
});

test('the pipeline policy sees the kind and MR of each pipeline; the MR pipeline is what must pass to merge', async () => {
  const project = newProject({ pipelines: 'merge-request' });
  const seen: Array<{ kind: string; iid: number | null; ref: string }> = [];
  fake.setPipelinePolicy(({ project: p, kind, mergeRequestIid, ref }) => {
    if (p !== project) return 'manual';
    seen.push({ kind, iid: mergeRequestIid, ref });
    return kind === 'branch' ? 'manual' : { status: 'success', afterMs: 10 };
  });
  try {
    const { iid, first } = await openMr(project);
    const mrPipeline = await fake.waitForPipeline(project, (p) => p.kind === 'merge-request' && p.sha === first);
    await hooks.waitFor((h) => h.event === 'Pipeline Hook' && attrs(h).id === mrPipeline.id && attrs(h).status === 'success');
    expect(seen).toEqual([
      { kind: 'branch', iid: null, ref: 'topic' },
      { kind: 'merge-request', iid, ref: `refs/merge-requests/${iid}/head` },
    ]);
    // The branch pipeline is still pending, but the MR's own pipeline passed: it may merge.
    const merged = await mergeMr(fake, 'maya', project, iid, first);
    expect(merged.status).toBe(200);
    expect(merged.body.state).toBe('merged');
  } finally {
    fake.setPipelinePolicy(undefined);
  }
});

// --- retry and cancel (POST .../pipelines/:id/retry and .../cancel) -----------------------

/** Statuses of this pipeline's hooks, in the order they arrived. */
const hookStatuses = (id: number): unknown[] => hooks.received.filter(pipelineHook(id)).map((h) => attrs(h).status);
const pipelineUrl = (project: string, id: number, action: string): string =>
  `${projectPath(project)}/pipelines/${id}/${action}`;
const pipelineOf = (project: string, id: number): FakePipeline => {
  const pl = fake.pipelines(project).find((p) => p.id === id);
  if (!pl) throw new Error(`no pipeline ${id} in ${project}`);
  return pl;
};

/** A branch pipeline for a new commit on `branch`, pushed by dev. */
async function branchPipeline(project: string, branch = 'topic'): Promise<FakePipeline> {
  const sha = await fake.commit(project, branch, { files: { [`${branch}.txt`]: 'x\n' }, message: branch, author: 'dev' });
  const [pipeline] = forSha(project, sha);
  return pipeline;
}

type PolicyArg = Parameters<PipelinePolicy>[0];

describe('retry and cancel', () => {
  afterEach(() => fake.setPipelinePolicy(undefined));

  test('retry reruns the same pipeline: same id, back to pending with hooks, the policy asked with run 2', async () => {
    const project = newProject();
    const seen: Array<Pick<PolicyArg, 'run' | 'pipelineId' | 'ref'>> = [];
    // A flaky pipeline: the first run fails, the retry passes.
    fake.setPipelinePolicy(({ project: p, run, pipelineId, ref }) => {
      if (p !== project) return 'manual';
      seen.push({ run, pipelineId, ref });
      return { status: run === 1 ? 'failed' : 'success', afterMs: 20 };
    });
    const pipeline = await branchPipeline(project);
    await hooks.waitFor((h) => pipelineHook(pipeline.id)(h) && attrs(h).status === 'failed');

    const retried = await api(fake, 'dev', 'POST', pipelineUrl(project, pipeline.id, 'retry'));
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id: pipeline.id, iid: pipeline.iid, sha: pipeline.sha, status: 'pending' });

    await hooks.waitFor((h) => pipelineHook(pipeline.id)(h) && attrs(h).status === 'success');
    expect(hookStatuses(pipeline.id)).toEqual(['pending', 'failed', 'pending', 'success']);
    expect(seen).toEqual([
      { run: 1, pipelineId: pipeline.id, ref: 'topic' },
      { run: 2, pipelineId: pipeline.id, ref: 'topic' },
    ]);
    // No new pipeline: the one there was ran twice and passed.
    expect(forSha(project, pipeline.sha)).toEqual([expect.objectContaining({ id: pipeline.id, status: 'success', runs: 2 })]);
    const shown = await api(fake, 'dev', 'GET', `${projectPath(project)}/pipelines/${pipeline.id}`);
    expect(shown.body).toMatchObject({ id: pipeline.id, status: 'success', finished_at: expect.any(String) });
  });

  test('retry of a pipeline with nothing failed or canceled changes nothing (201, same pipeline)', async () => {
    const project = newProject();
    const runs: number[] = [];
    fake.setPipelinePolicy(({ project: p, run }) => {
      if (p === project) runs.push(run);
      return 'manual';
    });
    const pipeline = await branchPipeline(project);
    const running = await api(fake, 'dev', 'POST', pipelineUrl(project, pipeline.id, 'retry'));
    expect(running.status).toBe(201);
    expect(running.body).toMatchObject({ id: pipeline.id, status: 'pending' });

    fake.finishPipeline(project, pipeline.id, 'success');
    const passed = await api(fake, 'dev', 'POST', pipelineUrl(project, pipeline.id, 'retry'));
    expect(passed.status).toBe(201);
    expect(passed.body).toMatchObject({ id: pipeline.id, status: 'success' });
    expect(pipelineOf(project, pipeline.id)).toMatchObject({ status: 'success', runs: 1 });
    expect(runs).toEqual([1]);
  });

  test("cancel: canceled with a hook, the policy's later status does not override it; 200 also when finished", async () => {
    const project = newProject();
    fake.setPipelinePolicy(({ project: p, run }) =>
      p === project ? { status: 'success', afterMs: run === 1 ? 150 : 20 } : 'manual',
    );
    const pipeline = await branchPipeline(project);

    const canceled = await api(fake, 'dev', 'POST', pipelineUrl(project, pipeline.id, 'cancel'));
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ id: pipeline.id, status: 'canceled', finished_at: expect.any(String) });
    await hooks.waitFor((h) => pipelineHook(pipeline.id)(h) && attrs(h).status === 'canceled');

    // Well past the policy's 150 ms: still canceled, and no success hook was sent.
    await new Promise((r) => setTimeout(r, 300));
    await fake.webhooksIdle();
    expect(pipelineOf(project, pipeline.id).status).toBe('canceled');
    expect(hookStatuses(pipeline.id)).toEqual(['pending', 'canceled']);

    // GitLab answers 200 with the pipeline unchanged when there is nothing left to cancel.
    const again = await api(fake, 'dev', 'POST', pipelineUrl(project, pipeline.id, 'cancel'));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: pipeline.id, status: 'canceled' });
    expect(hookStatuses(pipeline.id)).toEqual(['pending', 'canceled']);

    // A canceled pipeline can be retried: it runs again (run 2) and passes.
    const retried = await api(fake, 'dev', 'POST', pipelineUrl(project, pipeline.id, 'retry'));
    expect(retried.status).toBe(201);
    const done = await eventually(
      () => pipelineOf(project, pipeline.id),
      (p) => p.status === 'success',
    );
    expect(done.runs).toBe(2);
  });

  test('403 for a Reporter and for a developer on a protected branch, 404 for an unknown pipeline', async () => {
    fake.addUser({ username: 'rita', name: 'Rita Reporter' });
    const project = newProject({ members: { maya: 'maintainer', dev: 'developer', rita: 'reporter' } });
    const pipeline = await branchPipeline(project);
    for (const action of ['retry', 'cancel']) {
      const reporter = await api(fake, 'rita', 'POST', pipelineUrl(project, pipeline.id, action));
      expect([action, reporter.status, reporter.body]).toEqual([action, 403, { message: '403 Forbidden' }]);
      const unknown = await api(fake, 'dev', 'POST', pipelineUrl(project, 99_999, action));
      expect([action, unknown.status, unknown.body]).toEqual([action, 404, { message: '404 Not found' }]);
    }
    expect(pipelineOf(project, pipeline.id)).toMatchObject({ status: 'pending', runs: 1 });

    // main is protected (maintainers push and merge): GitLab's protected_ref keeps a developer out.
    const onMain = await fake.commit(project, 'main', { files: { 'm.txt': 'm\n' }, message: 'm', author: 'maya' });
    const [mainPipeline] = forSha(project, onMain);
    expect((await api(fake, 'dev', 'POST', pipelineUrl(project, mainPipeline.id, 'cancel'))).status).toBe(403);
    const byMaintainer = await api(fake, 'maya', 'POST', pipelineUrl(project, mainPipeline.id, 'cancel'));
    expect([byMaintainer.status, byMaintainer.body.status]).toEqual([200, 'canceled']);
  });
});
