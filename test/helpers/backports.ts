// Set-ups shared by the backport tests (the workflow on its own, and end to end).
import { execFileSync } from 'node:child_process';
import type { Shepherd } from '../e2e/harness';
import type { MergeMethod } from '../fakes/gitlab/types';

/** Alice's MR of two commits on `fix` (branched from main), in a project that has `release-1` (and more). */
export async function fixOnTwoCommits(
  s: Shepherd,
  project: string,
  opts: { method?: MergeMethod; squash?: boolean; labels?: string[]; releases?: string[]; author?: string } = {},
): Promise<{ iid: number }> {
  for (const release of opts.releases ?? ['release-1']) {
    await s.gitlab.commit(project, release, { files: { 'README.md': `# app, ${release}\n` }, message: `Start ${release}`, author: 'bob' });
  }
  if (opts.method) s.gitlab.setMergeMethod(project, opts.method);
  const author = opts.author ?? 'alice';
  await s.gitlab.commit(project, 'fix', { files: { 'src/fix.txt': 'one\n' }, message: 'Fix part one', author });
  await s.gitlab.commit(project, 'fix', { files: { 'src/fix.txt': 'one\ntwo\n' }, message: 'Fix part two', author });
  const { iid } = s.gitlab.createMergeRequest(project, { sourceBranch: 'fix', title: 'Fix the thing', author, squash: opts.squash, labels: opts.labels });
  return { iid };
}

/** The same MR, merged by Bob by hand with `method`. */
export async function mergedChange(s: Shepherd, name: string, method: MergeMethod, opts: { squash?: boolean } = {}): Promise<{ project: string; iid: number }> {
  const project = s.newProject(name);
  const { iid } = await fixOnTwoCommits(s, project, { method, squash: opts.squash });
  await s.gitlab.merge(project, iid, { by: 'bob' });
  return { project, iid };
}

/** What the bot wrote on the MR. */
export function botSaid(s: Shepherd, project: string, iid: number): string[] {
  return s.gitlab.notes(project, iid).filter((n) => n.author === 'shepherd-bot' && !n.system).map((n) => n.body);
}

/** A file as it is on a branch of the fake's bare repository. */
export function fileOn(s: Shepherd, project: string, branch: string, file: string): string {
  return execFileSync('git', ['-C', s.gitlab.project(project).repoDir, 'show', `${branch}:${file}`], { encoding: 'utf8' });
}
