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
  type ReceivedHook,
} from '../../fakes/gitlab';
import { getMr, mergeMr, api, projectPath, type Json } from './http';

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
