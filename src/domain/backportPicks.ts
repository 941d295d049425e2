// What a backport cherry-picks, from how the merge request landed: the commits that are on the
// target branch, so the backport carries exactly what was merged (after the forge's own rebase or
// squash), not the commits as they were reviewed.
import type { LandedChanges } from './types';

export interface BackportPick {
  sha: string;
  /** A merge commit is picked against its first parent: the target as it was before the merge. */
  mainline?: 1;
}

export function backportPicks(landed: LandedChanges): BackportPick[] {
  switch (landed.how) {
    case 'merge-commit':
      return landed.mergeCommitSha ? [{ sha: landed.mergeCommitSha, mainline: 1 }] : landed.commits.map((c) => ({ sha: c.sha }));
    case 'squash':
      // A forge too old to name the squash commit: the MR's commits hold the same change together.
      return landed.squashCommitSha ? [{ sha: landed.squashCommitSha }] : landed.commits.map((c) => ({ sha: c.sha }));
    case 'fast-forward':
      return landed.commits.map((c) => ({ sha: c.sha }));
  }
}

/** The branch a backport is built on: one per merge request and destination, so a re-run finds it. */
export function backportBranchName(iid: number, destination: string): string {
  return `backport/${iid}-to-${destination}`;
}
