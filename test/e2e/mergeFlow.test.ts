import { within } from '../helpers/eventually';
import { startShepherdAgainstFakeGitLab, type Shepherd } from './harness';


// End to end, as a team sees it: a developer assigns a merge request to the bot in GitLab, and
// the bot rebases, waits for CI on exactly that commit, and merges it, or says on the MR why not.

let s: Shepherd;
beforeAll(async () => {
  s = await startShepherdAgainstFakeGitLab();
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

/** Alice opens an MR from `branch` changing `file`, after someone else moved main. */
async function mergeRequestBehindMain(project: string, branch: string, file: string, content: string): Promise<{ iid: number; head: string }> {
  const head = await s.gitlab.commit(project, branch, { files: { [file]: content }, message: `Change ${file}`, author: 'alice' });
  await s.gitlab.commit(project, 'main', { files: { 'CHANGELOG.md': `moved main for ${branch}\n` }, message: 'Unrelated change on main', author: 'alice' });
  const mr = s.gitlab.createMergeRequest(project, { sourceBranch: branch, title: `Change ${file}`, author: 'alice' });
  return { iid: mr.iid, head };
}

test('an MR assigned to the bot is rebased, tested on the rebased commit, and merged', async () => {
  const project = s.newProject('clean');
  const { iid, head } = await mergeRequestBehindMain(project, 'feature', 'src/feature.txt', 'feature\n');
  s.gitlab.assign(project, iid, ['shepherd-bot']);

  const pipeline = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  // What CI runs is the MR rebased onto the current main.
  const mainHead = s.gitlab.branchHead(project, 'main');
  expect(s.gitlab.log(project, 'feature').map((c) => c.sha)).toContain(mainHead);
  s.gitlab.finishPipeline(project, pipeline.sha, 'success');

  const mr = await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
  expect(mr.headSha).toBe(pipeline.sha);
  const subjects = s.gitlab.log(project, 'main').map((c) => c.subject);
  expect(subjects).toContain('Change src/feature.txt');
  expect(subjects).toContain('Unrelated change on main');
  await expect(within("the MR's workflow ending", 20_000, s.mergeRequestResult(project, iid))).resolves.toMatchObject({ phase: 'merged' });
  // Nothing went wrong, so nothing to explain; the MR says once that it started and once that it merged.
  expect(s.explanations(project, iid)).toEqual([]);
  // The "Merged" note follows GitLab's merge; wait for it rather than race it.
  const said = await s.eventually(() => s.botComments(project, iid).map((n) => n.body), (b) => b.length >= 2);
  expect(said).toEqual([expect.stringContaining('Merging now'), expect.stringContaining(`Merged into \`main\` (${pipeline.sha.slice(0, 12)})`)]);
});

test('when the target branch moves during CI, the MR is rebased again and what merges is what CI tested', async () => {
  const project = s.newProject('moved');
  const { iid, head } = await mergeRequestBehindMain(project, 'feature', 'src/feature.txt', 'feature\n');
  s.gitlab.assign(project, iid, ['shepherd-bot']);

  const first = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  // Someone merges something else into main while CI runs on the first rebase.
  await s.gitlab.commit(project, 'main', { files: { 'src/other.txt': 'other\n' }, message: 'Other work lands on main', author: 'alice' });
  s.gitlab.finishPipeline(project, first.sha, 'success');

  const second = await s.gitlab.waitForPipeline(
    project,
    (p) => p.ref === 'feature' && p.sha !== head && p.sha !== first.sha,
    60_000,
  );
  s.gitlab.finishPipeline(project, second.sha, 'success');

  const mr = await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
  expect(mr.headSha).toBe(second.sha);
  const subjects = s.gitlab.log(project, 'main').map((c) => c.subject);
  expect(subjects).toEqual(expect.arrayContaining(['Change src/feature.txt', 'Other work lands on main']));
  expect(s.explanations(project, iid)).toEqual([]);
});

test('failed CI: the bot comments with the pipeline link and unassigns itself', async () => {
  const project = s.newProject('ci-failed');
  const { iid, head } = await mergeRequestBehindMain(project, 'feature', 'src/feature.txt', 'feature\n');
  s.gitlab.assign(project, iid, ['shepherd-bot']);

  const pipeline = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  s.gitlab.finishPipeline(project, pipeline.sha, 'failed');

  const mr = await s.waitForMergeRequest(project, iid, (m) => !m.assignees.includes('shepherd-bot'));
  expect(mr.state).toBe('opened');
  const comments = s.explanations(project, iid);
  expect(comments).toHaveLength(1);
  expect(comments[0].author).toBe('shepherd-bot');
  expect(comments[0].body).toContain('CI failed');
  expect(comments[0].body).toContain(`/-/pipelines/${pipeline.id}`);
  expect(s.gitlab.branchHead(project, 'main')).not.toBe(pipeline.sha);
});

test('a rebase conflict: the bot comments naming the conflicting file and unassigns itself', async () => {
  const project = s.newProject('conflict');
  const head = await s.gitlab.commit(project, 'feature', {
    files: { 'src/app.txt': 'line 1\nfeature version\nline 3\n' },
    message: 'Edit app on the feature branch',
    author: 'alice',
  });
  await s.gitlab.commit(project, 'main', {
    files: { 'src/app.txt': 'line 1\nmain version\nline 3\n' },
    message: 'Edit app on main',
    author: 'alice',
  });
  const { iid } = s.gitlab.createMergeRequest(project, { sourceBranch: 'feature', title: 'Edit app', author: 'alice' });
  s.gitlab.assign(project, iid, ['shepherd-bot']);

  const mr = await s.waitForMergeRequest(project, iid, (m) => !m.assignees.includes('shepherd-bot'));
  expect(mr.state).toBe('opened');
  expect(mr.headSha).toBe(head); // nothing was pushed
  const comments = s.explanations(project, iid);
  expect(comments).toHaveLength(1);
  expect(comments[0].body).toContain('conflicts');
  expect(comments[0].body).toContain('`src/app.txt`');
});

test('GitLab redelivering the assignment hook changes nothing: one job, one push, one merge', async () => {
  const project = s.newProject('redelivered');
  const { iid, head } = await mergeRequestBehindMain(project, 'feature', 'src/feature.txt', 'feature\n');
  s.gitlab.assign(project, iid, ['shepherd-bot']);
  await within('delivering the assignment hook', 20_000, s.gitlab.webhooksIdle());
  const assignment = [...s.gitlab.webhookDeliveries]
    .reverse()
    .find(
      (d) =>
        d.event === 'Merge Request Hook' &&
        (d.body.project as { path_with_namespace: string }).path_with_namespace === project &&
        (d.body.changes as Record<string, unknown> | undefined)?.assignees !== undefined,
    );
  if (!assignment) throw new Error('no assignment hook was sent');

  const pipeline = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'feature' && p.sha !== head, 60_000);
  s.gitlab.redeliver(assignment.index);
  s.gitlab.redeliver(assignment.index);
  await within('redelivering the assignment hook', 20_000, s.gitlab.webhooksIdle());
  expect(s.gitlab.webhookDeliveries.filter((d) => d.redeliveryOf === assignment.index).map((d) => d.status)).toEqual([202, 202]);
  s.gitlab.finishPipeline(project, pipeline.sha, 'success');

  await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
  await expect(within("the MR's workflow ending", 20_000, s.mergeRequestResult(project, iid))).resolves.toMatchObject({ phase: 'merged', attempts: 1 });
  expect(s.gitlab.pipelines(project).filter((p) => p.ref === 'feature')).toHaveLength(2);
}, 200_000); // longer than the bounded waits inside, so a hang reports where it is

test('`@bot merge priority=high` goes ahead of the waiting merge requests without stopping the one being merged', async () => {
  const project = s.newProject('priority');
  const mrs: Array<{ iid: number; head: string }> = [];
  for (const branch of ['a', 'b', 'c', 'd']) mrs.push(await mergeRequestBehindMain(project, branch, `src/${branch}.txt`, `${branch}\n`));
  s.gitlab.assign(project, mrs[0].iid, ['shepherd-bot']);
  const first = await s.gitlab.waitForPipeline(project, (p) => p.ref === 'a' && p.sha !== mrs[0].head, 60_000);
  s.gitlab.assign(project, mrs[1].iid, ['shepherd-bot']);
  s.gitlab.assign(project, mrs[2].iid, ['shepherd-bot']);
  await s.eventually(() => s.botComments(project, mrs[2].iid), (n) => n.length === 1);
  s.gitlab.comment(project, mrs[3].iid, 'alice', '@shepherd-bot merge priority=urgent');
  const refusal = await s.eventually(() => s.botComments(project, mrs[3].iid), (n) => n.length === 1);
  expect(refusal[0].body).toContain('`priority=urgent` is not a priority I know');
  s.gitlab.comment(project, mrs[3].iid, 'alice', '@shepherd-bot merge priority=high');
  const place = await s.eventually(() => s.botComments(project, mrs[3].iid), (n) => n.length === 2);
  expect(place[1].body).toContain('next in line');
  // The MR being merged is not disturbed: it merges, then the priority MR goes next.
  s.gitlab.finishPipeline(project, first.sha, 'success');
  await s.waitForMergeRequest(project, mrs[0].iid, (m) => m.state === 'merged');
  const next = await s.gitlab.waitForPipeline(project, (p) => ['b', 'c', 'd'].includes(p.ref) && p.sha !== mrs[['b', 'c', 'd'].indexOf(p.ref) + 1].head, 60_000);
  expect(next.ref).toBe('d');
}, 200_000);
