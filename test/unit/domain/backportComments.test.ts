import {
  alreadyBackportedComment,
  backportConflictComment,
  backportConflictDraftComment,
  backportMergeRequestDescription,
  backportMergeRequestTitle,
  backportNotAllowedComment,
  backportOpenedComment,
  backportUsageComment,
  branchTakenComment,
  destinationIsTargetComment,
  destinationMissingComment,
  invalidBranchNamesComment,
  nothingToBackportComment,
  noBackportBranchesComment,
  onlyMergedBackportedComment,
  willBackportWhenMergedComment,
} from '../../../src/domain/backportComments';

const SHA_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_B = 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_M = 'c1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_D = 'd1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const MR = { iid: 57, webUrl: 'https://gitlab.example.com/group/app/-/merge_requests/57' };

/** The lines of the first ```sh block. */
function shellLines(body: string): string[] {
  const m = /```sh\n([\s\S]*?)\n```/.exec(body);
  if (!m) throw new Error(`no shell block in:\n${body}`);
  return m[1].split('\n');
}

describe('answers to a request', () => {
  it('before the merge: names every destination and says it happens once merged', () => {
    const body = willBackportWhenMergedComment(['release-1.3', 'release-1.2']);
    expect(body).toContain('`release-1.3`');
    expect(body).toContain('`release-1.2`');
    expect(body).toMatch(/once it is merged/);
    expect(willBackportWhenMergedComment(['release-1.2'])).toContain('`release-1.2`');
  });

  it('closed without merge: only merged ones are backported', () => {
    expect(onlyMergedBackportedComment()).toMatch(/closed without being merged/);
    expect(onlyMergedBackportedComment()).toMatch(/only backport merged/);
  });

  it('names the destination that is the target, or missing', () => {
    expect(destinationIsTargetComment('main')).toContain('`main`');
    expect(destinationIsTargetComment('main')).toMatch(/targets/);
    expect(destinationMissingComment('release-9')).toContain('`release-9`');
    expect(destinationMissingComment('release-9')).toMatch(/no branch/);
  });

  it('names every invalid branch name, even one with backticks', () => {
    const body = invalidBranchNamesComment(['a..b', 'x`y']);
    expect(body).toContain('`a..b`');
    expect(body).toContain('``x`y``');
    expect(body).toMatch(/not valid git branch names/);
    expect(invalidBranchNamesComment(['a b'])).toMatch(/`a b`: it is not a valid git branch name/);
  });

  it('usage: both syntaxes with the bot name', () => {
    const body = backportUsageComment('@shepherd');
    expect(body).toContain('`@shepherd backport release-1.2');
    expect(body).toContain('`/cherry-pick release-1.2`');
  });

  it('no backport branches: names the label and the option to set', () => {
    const body = noBackportBranchesComment('backport-candidate');
    expect(body).toContain('`backport-candidate`');
    expect(body).toContain('`backport-branches`');
  });

  it('not allowed: addresses the person and says who may ask', () => {
    const body = backportNotAllowedComment('eve');
    expect(body.startsWith('@eve')).toBe(true);
    expect(body).toMatch(/author/);
    expect(body).toMatch(/Developer/);
  });
});

describe('outcomes', () => {
  it('opened: links the backport and lists picked and skipped commits with short SHAs', () => {
    const body = backportOpenedComment({
      destination: 'release-1.2',
      mr: MR,
      picked: [
        { sha: SHA_A, subject: 'Fix the parser' },
        { sha: SHA_B, subject: 'Add a test' },
      ],
      skipped: [{ sha: SHA_D, subject: 'Bump version' }],
    });
    expect(body).toContain('`release-1.2`');
    expect(body).toContain(`[!57](${MR.webUrl})`);
    expect(body).toContain('- `a1b2c3d4` Fix the parser\n- `b1b2c3d4` Add a test');
    expect(body).toMatch(/Skipped, as their changes are already on `release-1.2`:\n- `d1b2c3d4` Bump version/);
    expect(body).not.toContain(SHA_A);
  });

  it('opened with nothing skipped says nothing about skipping', () => {
    const body = backportOpenedComment({ destination: 'r', mr: MR, picked: [{ sha: SHA_A, subject: 's' }], skipped: [] });
    expect(body).not.toMatch(/Skipped/);
  });

  it('already backported: links the existing merge request', () => {
    const body = alreadyBackportedComment('release-1.2', MR);
    expect(body).toContain('`release-1.2`');
    expect(body).toContain(`already backported in [!57](${MR.webUrl})`);
  });

  it('nothing to backport: says every commit is already there, and which', () => {
    const body = nothingToBackportComment('release-1.2', [{ sha: SHA_A, subject: 'Fix' }]);
    expect(body).toContain('`release-1.2`');
    expect(body).toMatch(/already there/);
    expect(body).toContain('- `a1b2c3d4` Fix');
  });

  it('branch taken: names the branch, refuses to push over it, says what to do', () => {
    const body = branchTakenComment({ destination: 'release-1.2', backportBranch: 'backport/57/release-1.2' });
    expect(body).toContain('`release-1.2`');
    expect(body).toContain('`backport/57/release-1.2`');
    expect(body).toMatch(/won't push over/);
    expect(body).toMatch(/delete it and ask me again/);
  });
});

describe('backportConflictComment', () => {
  const base = { destination: 'release-1.2', backportBranch: 'backport/42/release-1.2', files: ['src/a.ts', 'README.md'] };

  it('names the destination and the conflicting files', () => {
    const body = backportConflictComment({ ...base, picks: [{ sha: SHA_A }] });
    expect(body).toContain('`release-1.2`');
    expect(body).toContain('- `src/a.ts`\n- `README.md`');
  });

  it('gives the exact commands: fetch, switch from the destination, cherry-pick -x of the full SHAs in order, push', () => {
    const body = backportConflictComment({ ...base, picks: [{ sha: SHA_A }, { sha: SHA_B }] });
    expect(shellLines(body)).toEqual([
      'git fetch origin',
      'git switch -c backport/42/release-1.2 origin/release-1.2',
      `git cherry-pick -x ${SHA_A} ${SHA_B}`,
      'git push origin backport/42/release-1.2',
    ]);
    expect(body).toMatch(/git cherry-pick --continue/);
    expect(body).toMatch(/open a merge request from `backport\/42\/release-1.2` to `release-1.2`/);
  });

  it('gives a merge commit its own command with -m 1, keeping the order', () => {
    const body = backportConflictComment({ ...base, picks: [{ sha: SHA_A }, { sha: SHA_M, mainline: 1 }, { sha: SHA_B }, { sha: SHA_D }] });
    expect(shellLines(body).filter((l) => l.startsWith('git cherry-pick'))).toEqual([
      `git cherry-pick -x ${SHA_A}`,
      `git cherry-pick -x -m 1 ${SHA_M}`,
      `git cherry-pick -x ${SHA_B} ${SHA_D}`,
    ]);
  });

  it('quotes a branch name the shell would misread', () => {
    const body = backportConflictComment({ destination: 'rel;$x', backportBranch: "it's", files: [], picks: [{ sha: SHA_A }] });
    expect(shellLines(body)).toContain(`git switch -c 'it'\\''s' 'origin/rel;$x'`);
  });
});

describe('backportConflictDraftComment', () => {
  it('says the conflicts were committed with markers in a draft labelled backport-conflict, and how to finish', () => {
    const body = backportConflictDraftComment({ destination: 'release-1.2', mr: MR, backportBranch: 'backport/42/release-1.2', files: ['src/a.ts'] });
    expect(body).toContain('`release-1.2`');
    expect(body).toContain(`[!57](${MR.webUrl})`);
    expect(body).toMatch(/markers/);
    expect(body).toMatch(/draft/);
    expect(body).toContain('`backport-conflict`');
    expect(body).toContain('- `src/a.ts`');
    expect(body).toMatch(/Resolve the markers on `backport\/42\/release-1.2`.*mark .* as ready/);
  });
});

describe('backportMergeRequestTitle', () => {
  it.each<[string, string]>([
    ['Fix the parser', '[Backport release-1.2] Fix the parser'],
    ['Draft: Fix the parser', '[Backport release-1.2] Fix the parser'],
    ['draft:Fix the parser', '[Backport release-1.2] Fix the parser'],
    ['[Draft] Fix the parser', '[Backport release-1.2] Fix the parser'],
    ['(DRAFT) Fix the parser', '[Backport release-1.2] Fix the parser'],
    ['  Draft: [Draft] Fix the parser', '[Backport release-1.2] Fix the parser'],
    ['Drafting: the parser', '[Backport release-1.2] Drafting: the parser'],
    ['Fix the Draft: parser', '[Backport release-1.2] Fix the Draft: parser'],
  ])('%j → %j', (original, title) => {
    expect(backportMergeRequestTitle('release-1.2', original)).toBe(title);
  });
});

describe('backportMergeRequestDescription', () => {
  it('refers to the original and lists picked and skipped commits', () => {
    const body = backportMergeRequestDescription({
      originalIid: 42,
      picked: [{ sha: SHA_A, subject: 'Fix the parser' }],
      skipped: [{ sha: SHA_D, subject: 'Bump version' }],
    });
    expect(body).toMatch(/^Backport of !42\b/);
    expect(body).toContain('- `a1b2c3d4` Fix the parser');
    expect(body).toMatch(/Skipped.*\n- `d1b2c3d4` Bump version/);
    expect(body).not.toMatch(/conflict/i);
  });

  it('links the original when its URL is known, keeping the words "Backport of !<iid>"', () => {
    const body = backportMergeRequestDescription({ originalIid: 42, originalUrl: 'https://gitlab.example.com/g/a/-/merge_requests/42', picked: [], skipped: [] });
    expect(body).toContain('Backport of !42');
    expect(body).toContain('(https://gitlab.example.com/g/a/-/merge_requests/42)');
    expect(body).not.toMatch(/Skipped/);
  });

  it('for a conflicted draft, names the files with markers', () => {
    const body = backportMergeRequestDescription({ originalIid: 42, picked: [{ sha: SHA_A, subject: 'Fix' }], skipped: [], conflictFiles: ['src/a.ts', 'b.txt'] });
    expect(body).toMatch(/conflict markers/);
    expect(body).toContain('- `src/a.ts`\n- `b.txt`');
    expect(body).toMatch(/mark this merge request as ready/);
  });
});
