import { startShepherdAgainstFakeGitLab, type Shepherd } from './harness';


// What marge-bot users lose today when the bot crashes: the job. Here the worker goes away in the
// middle of a job and a new one, with nothing in memory and no clone, finishes it exactly once.

let s: Shepherd;
beforeAll(async () => {
  s = await startShepherdAgainstFakeGitLab();
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

test('a worker restarted while CI runs finishes the job: one push, one merge, no comment', async () => {
  const project = s.newProject('restart');
  const head = await s.gitlab.commit(project, 'feature', { files: { 'src/f.txt': 'f\n' }, message: 'Add f', author: 'alice' });
  await s.gitlab.commit(project, 'main', { files: { 'CHANGELOG.md': 'x\n' }, message: 'Move main', author: 'alice' });
  const { iid } = s.gitlab.createMergeRequest(project, { sourceBranch: 'feature', title: 'Add f', author: 'alice' });
  s.gitlab.assign(project, iid, ['shepherd-bot']);

  const rebased = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  // CI finishes while no worker is running: the webhook is kept by Temporal, not by a process.
  await s.restartWorker(async () => {
    s.gitlab.finishPipeline(project, rebased.sha, 'success');
    await s.gitlab.webhooksIdle();
  });

  const mr = await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
  expect(mr.headSha).toBe(rebased.sha);
  const featurePipelines = s.gitlab.pipelines(project).filter((p) => p.ref === 'feature');
  expect(featurePipelines.map((p) => p.sha)).toEqual(expect.arrayContaining([head, rebased.sha]));
  expect(featurePipelines).toHaveLength(2); // Alice's push and the bot's one push: no second push
  expect(s.explanations(project, iid)).toEqual([]);
  const merges = s.gitlab.log(project, 'main').filter((c) => c.subject.startsWith('Merge branch'));
  expect(merges).toHaveLength(1);
});
