import { backportBranchName, backportPicks } from '../../../src/domain/backportPicks';
import type { LandedChanges } from '../../../src/domain/types';

const commits = [
  { sha: 'a'.repeat(40), subject: 'First' },
  { sha: 'b'.repeat(40), subject: 'Second' },
];
const landed = (over: Partial<LandedChanges>): LandedChanges => ({
  how: 'fast-forward',
  mergeCommitSha: null,
  squashCommitSha: null,
  commits,
  targetBranch: 'main',
  ...over,
});

test('a fast-forward merge: the MR commits as they are on the target, oldest first', () => {
  expect(backportPicks(landed({}))).toEqual([{ sha: 'a'.repeat(40) }, { sha: 'b'.repeat(40) }]);
});

test('a merge commit: that one commit against its first parent', () => {
  expect(backportPicks(landed({ how: 'merge-commit', mergeCommitSha: 'c'.repeat(40) }))).toEqual([{ sha: 'c'.repeat(40), mainline: 1 }]);
});

test('a squash merge: the squash commit; without it (an old forge) the commits, which hold the same change', () => {
  expect(backportPicks(landed({ how: 'squash', squashCommitSha: 'd'.repeat(40) }))).toEqual([{ sha: 'd'.repeat(40) }]);
  expect(backportPicks(landed({ how: 'squash' }))).toEqual([{ sha: 'a'.repeat(40) }, { sha: 'b'.repeat(40) }]);
});

test('the backport branch is named after the MR and the destination', () => {
  expect(backportBranchName(42, 'release-1.2')).toBe('backport/42-to-release-1.2');
});
