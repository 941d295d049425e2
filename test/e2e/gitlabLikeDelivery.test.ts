import { stateQuery } from '../../src/temporal/messages';
import { within } from '../helpers/eventually';
import { startShepherdAgainstFakeGitLab, type Shepherd } from './harness';

// End to end against a GitLab that delivers hooks as GitLab's background workers do: in any
// order, some twice, some never. CI is polled only every 10 minutes here, so a merge within a
// test's time proves the pipeline hook was followed; lost merge request hooks are found by
// polling the bot's merge requests every 3 s.

let s: Shepherd;
beforeAll(async () => {
  s = await startShepherdAgainstFakeGitLab({
    env: { SHEPHERD_CI_POLL_INTERVAL: '10min', SHEPHERD_MERGE_REQUEST_POLL_INTERVAL: '3s' },
  });
}, 120_000);
afterEach(() => s.gitlab.setHookDelivery(undefined));
afterAll(async () => {
  await s?.stop();
});

async function mergeRequestBehindMain(project: string, branch = 'feature'): Promise<{ iid: number; head: string }> {
  const head = await s.gitlab.commit(project, branch, { files: { [`src/${branch}.txt`]: `${branch}\n` }, message: `Change ${branch}`, author: 'alice' });
  await s.gitlab.commit(project, 'main', { files: { [`CHANGELOG-${branch}.md`]: 'moved\n' }, message: `Move main before ${branch}`, author: 'bob' });
  const mr = s.gitlab.createMergeRequest(project, { sourceBranch: branch, title: `Change ${branch}`, author: 'alice' });
  return { iid: mr.iid, head };
}

const hooksOf = (project: string, event: string) =>
  s.gitlab.webhookDeliveries.filter(
    (d) => d.event === event && (d.body.project as { path_with_namespace?: string } | undefined)?.path_with_namespace === project,
  );

test('every merge request hook lost: the bot finds its assignment by polling and merges on the pipeline hook', async () => {
  s.gitlab.setHookDelivery({ concurrency: 4, maxDelayMs: 200, dropRate: { 'Merge Request Hook': 1 } });
  const project = s.newProject('lost-hooks');
  const { iid, head } = await mergeRequestBehindMain(project);
  s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');

  const pipeline = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  s.gitlab.finishPipeline(project, pipeline.sha, 'success');
  const mr = await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
  expect(mr.headSha).toBe(pipeline.sha);
  const mrHooks = hooksOf(project, 'Merge Request Hook');
  expect(mrHooks.length).toBeGreaterThan(0);
  expect(mrHooks.every((d) => d.dropped)).toBe(true);
  await expect(within("the MR's workflow ending", 20_000, s.mergeRequestResult(project, iid))).resolves.toMatchObject({ phase: 'merged', attempts: 1 });
  expect(s.explanations(project, iid)).toEqual([]);
}, 150_000);

test('merged results pipelines: the pipeline on the merge ref is followed, and what merges is what it tested', async () => {
  s.gitlab.setHookDelivery({ concurrency: 4, maxDelayMs: 200, repeatRate: 0.3 });
  const project = s.newProject('merged-results', { pipelines: 'merged-results' });
  const { iid, head } = await mergeRequestBehindMain(project);
  s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');

  // GitLab runs it on the merge ref: a SHA that is neither the source head nor the target's.
  const pipeline = await s.gitlab.waitForPipeline(project, (p) => p.kind === 'merged-results' && p.sourceSha !== head, 60_000);
  const rebased = pipeline.sourceSha;
  expect(rebased).not.toBeNull();
  expect(pipeline.sha).not.toBe(rebased);
  expect(s.gitlab.mergeRequest(project, iid).headSha).toBe(rebased);
  s.gitlab.finishPipeline(project, pipeline.sha, 'success');

  const mr = await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
  expect(mr.headSha).toBe(rebased);
  expect(s.explanations(project, iid)).toEqual([]);
}, 150_000);

test('asked again while its job runs (unassigned and assigned again, hooks in any order): merged once', async () => {
  s.gitlab.setHookDelivery({ concurrency: 4, maxDelayMs: 300, repeatRate: 0.3 });
  const project = s.newProject('asked-again');
  const { iid, head } = await mergeRequestBehindMain(project);
  s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
  const first = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  s.gitlab.assign(project, iid, [], 'alice');
  s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
  s.gitlab.finishPipeline(project, first.sha, 'success');

  // Either the job saw the bot assigned all along and merges, or it stopped and a new attempt
  // rebases again; its pipeline passes too. Never left waiting in the queue.
  s.gitlab.setPipelinePolicy((p) => (p.ref === 'feature' && p.sha !== first.sha ? { status: 'success', afterMs: 200 } : 'manual'));
  await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged', 90_000);
  const result = await within("the MR's workflow ending", 20_000, s.mergeRequestResult(project, iid));
  expect(result.phase).toBe('merged');
  expect(result.attempts).toBeLessThanOrEqual(2);
  expect(s.gitlab.mergeRequests(project).filter((m) => m.state === 'merged')).toHaveLength(1);
  expect(s.gitlab.log(project, 'main').filter((c) => c.subject === 'Change feature')).toHaveLength(1);
  expect(s.explanations(project, iid).filter((n) => n.author === 'shepherd-bot')).toEqual([]);
}, 150_000);

test('a job that ends while a new request is on its way: failed CI hands it back, the author pushes a fix and assigns the bot at once, and it is merged', async () => {
  s.gitlab.setHookDelivery({ concurrency: 4, maxDelayMs: 300, repeatRate: 0.3 });
  const project = s.newProject('new-request');
  const { iid, head } = await mergeRequestBehindMain(project);
  s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
  const first = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  s.gitlab.finishPipeline(project, first.sha, 'failed');
  await s.waitForMergeRequest(project, iid, (m) => !m.assignees.includes('shepherd-bot'));
  // At once, before the hooks of the failure and the hand-back have reached Shepherd: a fix, and the bot again.
  s.gitlab.setPipelinePolicy((p) => (p.ref === 'feature' && p.sha !== first.sha ? { status: 'success', afterMs: 200 } : 'manual'));
  await s.gitlab.commit(project, 'feature', { files: { 'src/feature.txt': 'feature, fixed\n' }, message: 'Fix the build', author: 'alice' });
  s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');

  await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged', 90_000);
  await expect(within("the MR's workflow ending", 20_000, s.mergeRequestResult(project, iid))).resolves.toMatchObject({ phase: 'merged', attempts: 2 });
  const said = s.explanations(project, iid).filter((n) => n.author === 'shepherd-bot');
  expect(said).toHaveLength(1);
  expect(said[0].body).toContain('CI failed');
}, 150_000);

test('a queued MR whose unassignment hook was lost leaves the queue by polling, long before the queue check', async () => {
  const project = s.newProject('lost-unassign');
  const one = await mergeRequestBehindMain(project, 'one');
  const two = await mergeRequestBehindMain(project, 'two');
  s.gitlab.assign(project, one.iid, ['shepherd-bot'], 'alice');
  const p = await s.gitlab.waitForPipeline(project, (x) => x.ref === 'one' && x.sha !== one.head, 60_000);
  s.gitlab.assign(project, two.iid, ['shepherd-bot'], 'alice');
  const stateOfTwo = () => s.client.workflow.getHandle(`mr:gitlab:${project}:${two.iid}`).query(stateQuery);
  await s.eventually(stateOfTwo, (st) => st.phase === 'queued');
  s.gitlab.setHookDelivery({ dropRate: { 'Merge Request Hook': 1 } });
  s.gitlab.assign(project, two.iid, [], 'alice');
  await s.eventually(stateOfTwo, (st) => st.phase === 'idle', 30_000);
  s.gitlab.finishPipeline(project, p.sha, 'success');
  await s.waitForMergeRequest(project, one.iid, (m) => m.state === 'merged');
  expect(s.gitlab.mergeRequest(project, two.iid).state).toBe('opened');
  expect(s.explanations(project, two.iid).filter((n) => n.author === 'shepherd-bot' && !n.body.includes('merge queue'))).toEqual([]);
}, 150_000);
