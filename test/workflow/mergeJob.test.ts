import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mergeJobWorkflow } from '../../src/workflows/mergeJob';
import type { JobOutcome } from '../../src/workflows/definitions';
import { timeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { explanations, newScript, pipeline, scriptedActivities, type Script, type ScriptedActivities } from '../helpers/scriptedActivities';
import { aMergeRequest } from '../helpers/mergeRequests';

// The merge job against scripted activities on the time-skipping server: 15-minute CI timeouts
// pass in moments.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

const ref = { forge: 'gitlab' as const, project: 'group/app', iid: 1 };

/** Runs one job; `change` lets a test make the world move while an activity runs. */
async function runJob(
  script: Script,
  opts: { ciTimeoutMs?: number; maxRebases?: number; change?: (acts: ScriptedActivities) => Partial<ScriptedActivities> } = {},
): Promise<JobOutcome> {
  const taskQueue = uniqueTaskQueue('job');
  const acts = scriptedActivities(script, opts);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...acts, ...opts.change?.(acts) },
  });
  return worker.runUntil(
    env.client.workflow.execute(mergeJobWorkflow, {
      taskQueue,
      workflowId: `merge:gitlab:group/app:1:${taskQueue}`,
      args: [{ ref, maxRebases: opts.maxRebases }],
    }),
  );
}

test('merges after CI passes on the rebased commit, saying so once when it starts and once when merged', async () => {
  const s = newScript();
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  await expect(runJob(s)).resolves.toEqual({ kind: 'merged', sha: 'rebased1' });
  expect(s.mergeCalls).toBe(1);
  expect(explanations(s)).toEqual([]);
  expect(s.comments.map((c) => c.body)).toEqual([
    expect.stringContaining('Merging now'),
    expect.stringContaining('Merged into `main` (rebased1)'),
  ]);
});

test('a skipped pipeline counts as passed', async () => {
  const s = newScript();
  s.pipelines.set('rebased1', pipeline('rebased1', 'skipped'));
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'merged' });
});

test('CI that never finishes ends after the CI timeout with a comment, and the bot unassigns itself', async () => {
  const s = newScript();
  s.pipelines.set('rebased1', pipeline('rebased1', 'running'));
  const outcome = await runJob(s, { ciTimeoutMs: 15 * 60_000 });
  expect(outcome).toMatchObject({ kind: 'refused', reason: 'ci-timeout' });
  expect(explanations(s)).toHaveLength(1);
  expect(explanations(s)[0].body).toContain('CI did not finish within 15min');
  expect(explanations(s)[0].body).toContain('/pipelines/7');
  expect(s.unassigned).toBe(1);
  expect(s.mergeCalls).toBe(0);
});

test('failed CI is reported with the pipeline link', async () => {
  const s = newScript();
  s.pipelines.set('rebased1', pipeline('rebased1', 'failed', 42));
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'ci-failed' });
  expect(explanations(s)[0].body).toContain('http://gitlab.test/group/app/-/pipelines/42');
  expect(s.unassigned).toBe(1);
});

test('when the target moved during CI it rebases again and merges what CI tested', async () => {
  const s = newScript({
    rebases: [
      { kind: 'pushed', sha: 'rebased1', targetSha: 'target1' },
      { kind: 'pushed', sha: 'rebased2', targetSha: 'target2' },
    ],
    targetHeads: ['target2'],
  });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success', 1));
  s.pipelines.set('rebased2', pipeline('rebased2', 'success', 2));
  await expect(runJob(s)).resolves.toEqual({ kind: 'merged', sha: 'rebased2' });
  expect(s.rebaseCalls).toBe(2);
  expect(s.mergeCalls).toBe(1);
});

test.each([
  ['current GitLab (405, needs rebase)', { kind: 'not-mergeable', reason: 'needs-rebase', message: '405 Method Not Allowed' }],
  ['older GitLab (406, conflict)', { kind: 'not-mergeable', reason: 'conflict', message: '406 Branch cannot be merged' }],
] as const)('the target moving at the last moment (%s) rebases again', async (_name, refusal) => {
  const s = newScript({
    rebases: [
      { kind: 'pushed', sha: 'rebased1', targetSha: 'target1' },
      { kind: 'pushed', sha: 'rebased2', targetSha: 'target1' },
    ],
    merges: [refusal, { kind: 'merged' }],
  });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success', 1));
  s.pipelines.set('rebased2', pipeline('rebased2', 'success', 2));
  await expect(runJob(s)).resolves.toEqual({ kind: 'merged', sha: 'rebased2' });
  expect(s.mergeCalls).toBe(2);
});

test('a rebase conflict is reported with the conflicting files', async () => {
  const s = newScript({ rebases: [{ kind: 'conflict', files: ['src/app.ts', 'README.md'], targetSha: 't' }] });
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'conflict' });
  expect(explanations(s)[0].body).toContain('`src/app.ts`');
  expect(explanations(s)[0].body).toContain('`README.md`');
  expect(s.unassigned).toBe(1);
});

test('a draft is refused before any rebase, saying what to do', async () => {
  const s = newScript({ mr: aMergeRequest({ draft: true }) });
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'draft' });
  expect(s.rebaseCalls).toBe(0);
  expect(explanations(s)[0].body).toMatch(/draft.*Mark it as ready/s);
});

test('missing approvals say how many more and who can give them', async () => {
  const s = newScript({ approvals: { required: 2, left: 2, approvedBy: [], eligibleApprovers: ['bob', 'carol'] } });
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'approvals' });
  expect(explanations(s)[0].body).toContain('2 more approvals');
  expect(explanations(s)[0].body).toContain('@bob, @carol');
});

test('someone pushing to the source branch during CI stops the job with an explanation', async () => {
  const s = newScript();
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  // The developer pushes while CI runs: the MR head is no longer what was tested.
  const outcome = await runJob(s, {
    change: (acts) => ({
      async ciStatus(args) {
        s.mr = { ...s.mr, headSha: 'pushed-by-alice' };
        return acts.ciStatus(args);
      },
    }),
  });
  expect(outcome).toMatchObject({ kind: 'refused', reason: 'source-pushed' });
  expect(s.mergeCalls).toBe(0);
  expect(explanations(s)[0].body).toContain('someone pushed to its source branch');
});

test('an MR unassigned before merging is left alone, without a comment', async () => {
  const s = newScript({ mr: aMergeRequest({ assignees: ['alice'] }) });
  await expect(runJob(s)).resolves.toEqual({ kind: 'stopped', reason: 'not-assigned' });
  expect(explanations(s)).toEqual([]);
});

test('unresolved discussions are refused with a comment saying to resolve them', async () => {
  const s = newScript({ mr: aMergeRequest({ blockingDiscussionsResolved: false }) });
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'discussions' });
  expect(s.rebaseCalls).toBe(0);
  expect(explanations(s)[0].body).toContain('unresolved discussions');
  expect(s.unassigned).toBe(1);
});

test('GitLab refusing the merge for a reason it does not name (405) is explained, and the bot unassigns itself', async () => {
  const s = newScript({ merges: [{ kind: 'not-mergeable', reason: 'other', message: '405 Method Not Allowed' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'not-allowed' });
  expect(explanations(s)[0].body).toContain('GitLab refused the merge (405 Method Not Allowed)');
  expect(s.unassigned).toBe(1);
});

test('a target that keeps moving ends after the configured number of rebases, with a comment', async () => {
  const s = newScript({ targetHeads: ['elsewhere'] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  const outcome = await runJob(s, { maxRebases: 3 });
  expect(outcome).toMatchObject({ kind: 'refused', reason: 'target-kept-moving' });
  expect(s.rebaseCalls).toBe(3);
  expect(explanations(s)[0].body).toContain('`main` moved every time CI passed, 3 times');
});

test('a 405 on a merge request that became a draft meanwhile is explained as a draft', async () => {
  const s = newScript({ merges: [{ kind: 'not-mergeable', reason: 'draft', message: '405 Method Not Allowed' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  const outcome = await runJob(s, {
    change: (acts) => ({
      async merge(args) {
        s.mr = { ...s.mr, draft: true }; // marked draft between the last check and the merge
        return acts.merge(args);
      },
    }),
  });
  expect(outcome).toMatchObject({ kind: 'refused', reason: 'draft' });
  expect(explanations(s)[0].body).toContain('marked as draft');
});

test('a 404 from the merge of an MR that is in fact merged (a retried merge) counts as merged', async () => {
  const s = newScript({ merges: [{ kind: 'not-found', message: '404 Not found' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  const outcome = await runJob(s, {
    change: (acts) => ({
      async merge(args) {
        const answer = await acts.merge(args);
        s.mr = { ...s.mr, state: 'merged' }; // the first try went through; GitLab answers 404 now
        return answer;
      },
    }),
  });
  expect(outcome).toEqual({ kind: 'merged', sha: 'rebased1' });
  expect(explanations(s)).toEqual([]);
});

test('a merge refused by a push rule or hook (422, or merge_error) is explained from GitLab\'s message, not retried by rebasing', async () => {
  const s = newScript({ merges: [{ kind: 'refused', message: 'Commit message does not follow the pattern' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'merge-refused' });
  expect(s.rebaseCalls).toBe(1);
  expect(s.mergeCalls).toBe(1);
  expect(explanations(s)[0].body).toContain('Commit message does not follow the pattern');
  expect(s.unassigned).toBe(1);
});

test('mergeability still being checked after the push is waited out, not read as a refusal', async () => {
  const checking = { kind: 'not-mergeable', reason: 'checking', message: '405 Method Not Allowed' } as const;
  const s = newScript({ merges: [checking, checking, checking, { kind: 'merged' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  await expect(runJob(s)).resolves.toEqual({ kind: 'merged', sha: 'rebased1' });
  expect(s.mergeCalls).toBe(4);
  expect(s.rebaseCalls).toBe(1);
  expect(explanations(s)).toEqual([]);
});

test('a forge that never finishes checking mergeability ends in one comment, after a bounded wait', async () => {
  const s = newScript({ merges: [{ kind: 'not-mergeable', reason: 'checking', message: '405 Method Not Allowed' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'not-mergeable' });
  expect(explanations(s)).toHaveLength(1);
  expect(explanations(s)[0].body).toContain('not consider it mergeable');
});

test('a 409 because GitLab has not caught up with the push yet is not taken for someone pushing', async () => {
  const s = newScript({ merges: [{ kind: 'head-moved', message: '409 SHA does not match HEAD of source branch' }, { kind: 'merged' }] });
  s.pipelines.set('rebased1', pipeline('rebased1', 'success'));
  await expect(runJob(s)).resolves.toEqual({ kind: 'merged', sha: 'rebased1' });
  expect(explanations(s)).toEqual([]);
});

test('a fork MR whose branch the bot may not push to gets one comment saying what the author must do', async () => {
  const s = newScript({
    mr: aMergeRequest({ sourceProject: 'alice/app' }),
    rebases: [{ kind: 'fork-not-writable', sourceProject: 'alice/app', branch: 'feature' }],
  });
  await expect(runJob(s)).resolves.toMatchObject({ kind: 'refused', reason: 'fork-not-writable' });
  expect(s.rebaseArgs[0].sourceProject).toBe('alice/app');
  expect(explanations(s)).toHaveLength(1);
  expect(explanations(s)[0].body).toContain('Allow commits from members who can merge to the target branch');
});

