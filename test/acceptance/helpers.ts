import { startShepherdAgainstFakeGitLab, type Shepherd, type ShepherdOptions } from '../e2e/harness';
import type { HookDeliveryOptions } from '../fakes/gitlab';

/**
 * How GitLab's background workers deliver hooks: several at once after random delays, so in any
 * order, some twice and some never. Comment hooks are not dropped: a command whose hook is lost
 * is lost (nothing lists comments to poll), and the person repeats it.
 */
export const GITLAB_LIKE_DELIVERY: HookDeliveryOptions = {
  concurrency: 4,
  maxDelayMs: 300,
  dropRate: { 'Merge Request Hook': 0.15, 'Pipeline Hook': 0.15, 'Push Hook': 0.15 },
  repeatRate: 0.15,
};

/** Shepherd as users run it, against a GitLab delivering hooks as GitLab does, polling every 2 s for lost ones. */
export function startShepherd(opts: ShepherdOptions = {}): Promise<Shepherd> {
  return startShepherdAgainstFakeGitLab({
    hookDelivery: GITLAB_LIKE_DELIVERY,
    ...opts,
    env: { SHEPHERD_MERGE_REQUEST_POLL_INTERVAL: '2s', ...opts.env },
  });
}

/** Alice opens an MR from `branch` after someone else moved main, so the bot must rebase it. */
export async function openMergeRequest(
  s: Shepherd,
  project: string,
  opts: { branch?: string; file?: string; title?: string; draft?: boolean; squash?: boolean; labels?: string[]; message?: string } = {},
): Promise<{ iid: number; head: string }> {
  const branch = opts.branch ?? 'feature';
  const file = opts.file ?? `src/${branch}.txt`;
  const head = await s.gitlab.commit(project, branch, { files: { [file]: `${branch}\n` }, message: opts.message ?? `Change ${file}`, author: 'alice' });
  await s.gitlab.commit(project, 'main', { files: { [`CHANGELOG-${branch}.md`]: 'moved\n' }, message: `Move main before ${branch}`, author: 'bob' });
  const mr = s.gitlab.createMergeRequest(project, {
    sourceBranch: branch,
    title: opts.title ?? `Change ${file}`,
    author: 'alice',
    draft: opts.draft,
    squash: opts.squash,
    labels: opts.labels,
  });
  return { iid: mr.iid, head };
}

/** Waits for the pipeline of the bot's rebased commit of `branch` (any SHA but `notSha`). */
export function rebasedPipeline(s: Shepherd, project: string, branch: string, notSha: string) {
  return s.gitlab.waitForPipeline(project, (p) => p.ref === branch && p.sha !== notSha, 60_000);
}

export function merged(s: Shepherd, project: string, iid: number) {
  return s.waitForMergeRequest(project, iid, (m) => m.state === 'merged');
}

export function handedBack(s: Shepherd, project: string, iid: number) {
  return s.waitForMergeRequest(project, iid, (m) => !m.assignees.includes('shepherd-bot'));
}

/** The one explanation the bot gave (fails if there is not exactly one). */
export async function theExplanation(s: Shepherd, project: string, iid: number): Promise<string> {
  const notes = await s.eventually(() => s.explanations(project, iid).filter((n) => n.author === 'shepherd-bot'), (n) => n.length >= 1);
  expect(notes).toHaveLength(1);
  return notes[0].body;
}

/** Passes CI on every branch but main, shortly after each push. */
export function greenCi(s: Shepherd): void {
  s.gitlab.setPipelinePolicy((p) => (p.ref === 'main' ? 'manual' : { status: 'success', afterMs: 200 }));
}
