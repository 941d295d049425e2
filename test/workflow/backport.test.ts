// The backport workflow on its own, against the fake GitLab with real git and a real worker:
// what it picks for each way an MR was merged, the MR it opens, what it says, and that running it
// again makes nothing twice. (How requests reach it is the merge request workflow's part.)
import type { Shepherd } from '../e2e/harness';
import { startShepherdAgainstFakeGitLab } from '../e2e/harness';
import { backportWorkflow, type BackportInput } from '../../src/workflows/backport';
import type { MergeMethod } from '../fakes/gitlab/types';
import { botSaid as botSaidOf, fileOn as fileOnOf, mergedChange as mergedChangeOf } from '../helpers/backports';

jest.setTimeout(120_000);

let s: Shepherd;
beforeAll(async () => {
  s = await startShepherdAgainstFakeGitLab();
});
afterAll(() => s.stop());

let runs = 0;
function run(project: string, iid: number, destination: string, requestKey = 'label'): Promise<Awaited<ReturnType<typeof backportWorkflow>>> {
  const mr = s.gitlab.mergeRequest(project, iid);
  const input: BackportInput = {
    ref: { forge: 'gitlab', project, iid },
    destination,
    original: { title: mr.title, webUrl: mr.webUrl, targetBranch: mr.targetBranch, author: mr.author },
    requestKey,
  };
  return s.client.workflow.execute(backportWorkflow, {
    workflowId: `backport:gitlab:${project}:${iid}:${destination}:${++runs}`,
    taskQueue: s.taskQueue,
    args: [input],
  });
}

const mergedChange = (name: string, method: MergeMethod, opts: { squash?: boolean } = {}) => mergedChangeOf(s, name, method, opts);
const botSaid = (project: string, iid: number) => botSaidOf(s, project, iid);
const fileOn = async (project: string, branch: string, file: string) => fileOnOf(s, project, branch, file);

test.each<[string, MergeMethod, boolean]>([
  ['fast-forward', 'ff', false],
  ['merge commit', 'merge', false],
  ['squash', 'ff', true],
])('%s: the change lands on a backport MR to the release branch, assigned to the author, linked from the original', async (_name, method, squash) => {
  const { project, iid } = await mergedChange(`bp-${method}-${squash ? 'squash' : 'plain'}`, method, { squash });

  const result = await run(project, iid, 'release-1');

  expect(result).toMatchObject({ kind: 'opened', draft: false });
  const [backportMr] = s.gitlab.mergeRequestsOpenedBy('shepherd-bot', project);
  expect(backportMr).toMatchObject({ sourceBranch: `backport/${iid}-to-release-1`, targetBranch: 'release-1', title: '[Backport release-1] Fix the thing', assignees: ['alice'] });
  expect(backportMr.description).toContain(`Backport of !${iid}`);
  expect(await fileOn(project, `backport/${iid}-to-release-1`, 'src/fix.txt')).toBe('one\ntwo\n');
  expect(await fileOn(project, `backport/${iid}-to-release-1`, 'README.md')).toBe('# app, release-1\n');
  const said = botSaid(project, iid);
  expect(said).toHaveLength(1);
  expect(said[0]).toContain(`!${backportMr.iid}`);
});

test('asked again: no second branch, MR or push; the answer links the backport that exists', async () => {
  const { project, iid } = await mergedChange('bp-again', 'ff');
  const first = await run(project, iid, 'release-1');
  const head = s.gitlab.branchHead(project, `backport/${iid}-to-release-1`);

  const again = await run(project, iid, 'release-1', 'note:7');
  const retried = await run(project, iid, 'release-1', 'note:7');

  expect(again).toEqual({ kind: 'already', iid: (first as { iid: number }).iid, webUrl: (first as { webUrl: string }).webUrl });
  expect(retried).toEqual(again);
  expect(s.gitlab.mergeRequestsOpenedBy('shepherd-bot', project)).toHaveLength(1);
  expect(s.gitlab.branchHead(project, `backport/${iid}-to-release-1`)).toBe(head);
  // The link once for the new request, however often it is retried.
  expect(botSaid(project, iid).filter((b) => /already backported/i.test(b))).toHaveLength(1);
});

test('a conflict: the comment names the files and the commands to finish by hand; no MR', async () => {
  const project = s.newProject('bp-conflict');
  await s.gitlab.commit(project, 'release-1', { files: { 'src/app.txt': 'line 1\nrelease line 2\nline 3\n' }, message: 'Release change', author: 'bob' });
  s.gitlab.setMergeMethod(project, 'ff');
  const sha = await s.gitlab.commit(project, 'fix', { files: { 'src/app.txt': 'line 1\nfixed line 2\nline 3\n' }, message: 'Fix line 2', author: 'alice' });
  const { iid } = s.gitlab.createMergeRequest(project, { sourceBranch: 'fix', title: 'Fix line 2', author: 'alice' });
  await s.gitlab.merge(project, iid, { by: 'bob' });

  const result = await run(project, iid, 'release-1');

  expect(result).toEqual({ kind: 'conflict', files: ['src/app.txt'] });
  expect(s.gitlab.mergeRequestsOpenedBy('shepherd-bot', project)).toEqual([]);
  const [said] = botSaid(project, iid);
  expect(said).toContain('src/app.txt');
  expect(said).toContain(`git switch -c backport/${iid}-to-release-1 origin/release-1`);
  expect(said).toContain(`git cherry-pick -x ${sha}`); // a fast-forward merge: the commit as it is on main
});

test('a destination that does not exist, or the target itself: a comment naming it, nothing else', async () => {
  const { project, iid } = await mergedChange('bp-missing', 'ff');

  expect(await run(project, iid, 'release-9')).toEqual({ kind: 'refused', reason: 'destination-missing' });
  expect(await run(project, iid, 'main')).toEqual({ kind: 'refused', reason: 'destination-is-target' });

  const said = botSaid(project, iid);
  expect(said).toHaveLength(2);
  expect(said[0]).toContain('release-9');
  expect(said[1]).toContain('main');
  expect(s.gitlab.mergeRequestsOpenedBy('shepherd-bot', project)).toEqual([]);
});
