import { coAuthorsOf, creditCommits, matchPerson, subjectOf } from '../../../../src/domain/evidence/credit';
import type { CollectedCommit, EvidencePerson } from '../../../../src/domain/evidence/types';

const ana: EvidencePerson = { name: 'Ana García', email: 'ana@example.com', aliases: ['ana.garcia@old.example.com', 'agarcia'] };
const bo: EvidencePerson = { name: 'Bo Lind', email: 'bo@example.com', aliases: ['bolind'] };
const cy: EvidencePerson = { name: 'Cy Young', email: 'cy@example.com', aliases: [] };
const PEOPLE = [ana, bo, cy];

function commit(overrides: Partial<CollectedCommit> & { sha: string }): CollectedCommit {
  return {
    repo: 'bitbucket:team/api',
    date: '2026-10-05T10:00:00+02:00',
    url: `https://bitbucket.org/team/api/commits/${overrides.sha}`,
    author: { name: 'Ana García', email: 'ana@example.com' },
    message: 'Add the thing\n',
    parentCount: 1,
    approvers: [],
    ...overrides,
  };
}

describe('matchPerson', () => {
  it.each([
    [{ email: 'ana@example.com' }, ana],
    [{ email: '  ANA@Example.COM ' }, ana],
    [{ email: 'Ana.Garcia@old.example.com' }, ana],
    [{ username: 'AGarcia' }, ana],
    [{ name: 'Someone', username: 'bolind' }, bo],
    [{ email: 'nobody@example.com', username: 'bolind' }, bo],
    [{ email: 'cy@example.com' }, cy],
  ])('%j is %j', (identity, person) => {
    expect(matchPerson(identity, PEOPLE)).toBe(person);
  });

  it.each([
    { name: 'Ana García' }, // a name alone proves nothing
    { email: 'ana@example.org' },
    { username: 'ana' },
    { username: 'ana@example.com' }, // usernames are compared with aliases only
    {},
  ])('%j is nobody', (identity) => {
    expect(matchPerson(identity, PEOPLE)).toBeUndefined();
  });

  it('takes the first person in the list when two claim the same address', () => {
    const twin: EvidencePerson = { name: 'Ana Twin', email: 'twin@example.com', aliases: ['ana@example.com'] };
    expect(matchPerson({ email: 'ana@example.com' }, [twin, ana])).toBe(twin);
  });
});

describe('coAuthorsOf', () => {
  it('reads Co-authored-by trailers from the last paragraph, any key case', () => {
    const message = 'Fix login\n\nLonger explanation.\n\nSigned-off-by: Ana García <ana@example.com>\nCo-authored-by: Bo Lind <bo@example.com>\nco-authored-by: Cy Young <CY@example.com>\n';
    expect(coAuthorsOf(message)).toEqual([
      { name: 'Bo Lind', email: 'bo@example.com' },
      { name: 'Cy Young', email: 'CY@example.com' },
    ]);
  });

  it('reads GitHub squash messages, CRLF line ends and cherry-pick notes', () => {
    const message = 'Squashed (#12)\r\n\r\n* first\r\n\r\n* second\r\n\r\n---------\r\n\r\nCo-authored-by: Bo Lind <bo@example.com>\r\n(cherry picked from commit 0123abcd)\r\n';
    expect(coAuthorsOf(message)).toEqual([{ name: 'Bo Lind', email: 'bo@example.com' }]);
  });

  it('ignores co-authors mentioned in prose, in the subject or in a paragraph before the last', () => {
    expect(coAuthorsOf('Co-authored-by: Bo Lind <bo@example.com>')).toEqual([]);
    expect(coAuthorsOf('Fix\n\nCo-authored-by: Bo Lind <bo@example.com>\n\nThanks to everyone.')).toEqual([]);
    expect(coAuthorsOf('Fix\n\nPaired with Bo today.\nCo-authored-by: Bo Lind <bo@example.com>')).toEqual([]);
  });

  it('keeps a trailer folded onto a continuation line and lists each co-author once', () => {
    const message = 'Fix\n\nCo-authored-by: Bo\n  Lind <bo@example.com>\nCo-authored-by: Bo Lind <bo@example.com>\nCo-authored-by: cy@example.com\nCo-authored-by: <>\n';
    expect(coAuthorsOf(message)).toEqual([{ name: 'Bo Lind', email: 'bo@example.com' }, { email: 'cy@example.com' }]);
  });
});

describe('subjectOf', () => {
  it('is the first non-blank line, trimmed', () => {
    expect(subjectOf('  Add the thing  \n\nBody')).toBe('Add the thing');
    expect(subjectOf('\n\nAfter blanks\r\nmore')).toBe('After blanks');
    expect(subjectOf('')).toBe('');
  });
});

describe('creditCommits', () => {
  it('credits the author, co-authors and approvers once each, strongest role first', () => {
    const commits = [
      commit({
        sha: 'a1',
        message: 'Add login\n\nCo-authored-by: Bo Lind <bo@example.com>\nCo-authored-by: Ana García <ana@example.com>\n',
        approvers: [{ username: 'bolind' }, { username: 'agarcia' }, { name: 'Cy', email: 'cy@example.com' }, { username: 'cy' }],
      }),
    ];
    const { entries, unknown, commitsCounted } = creditCommits(commits, PEOPLE, { includeMerges: false });
    expect(entries.map(({ person, role }) => [person, role])).toEqual([
      ['Ana García', 'author'], // not also co-author or approver
      ['Bo Lind', 'co-author'], // not also approver
      ['Cy Young', 'approver'],
    ]);
    expect(entries[0]).toEqual({
      person: 'Ana García',
      repo: 'bitbucket:team/api',
      sha: 'a1',
      date: '2026-10-05T10:00:00+02:00',
      url: 'https://bitbucket.org/team/api/commits/a1',
      role: 'author',
      subject: 'Add login',
    });
    expect(unknown).toEqual([]);
    expect(commitsCounted).toBe(1);
  });

  it('leaves merge commits out unless asked to count them', () => {
    const commits = [commit({ sha: 'm1', parentCount: 2, message: "Merge branch 'x'" }), commit({ sha: 'c1' })];
    const without = creditCommits(commits, PEOPLE, { includeMerges: false });
    expect(without.entries.map((e) => e.sha)).toEqual(['c1']);
    expect(without.commitsCounted).toBe(1);
    const withMerges = creditCommits(commits, PEOPLE, { includeMerges: true });
    expect(withMerges.entries.map((e) => e.sha).sort()).toEqual(['c1', 'm1']);
    expect(withMerges.commitsCounted).toBe(2);
  });

  it('counts a commit listed twice once, with the approvers of both listings', () => {
    const commits = [commit({ sha: 'd1', approvers: [{ username: 'bolind' }] }), commit({ sha: 'd1', approvers: [{ email: 'cy@example.com' }] })];
    const { entries, commitsCounted } = creditCommits(commits, PEOPLE, { includeMerges: false });
    expect(commitsCounted).toBe(1);
    expect(entries.map(({ person, role }) => `${person}:${role}`)).toEqual(['Ana García:author', 'Bo Lind:approver', 'Cy Young:approver']);
  });

  it('keeps the same SHA apart in two repositories (a fork or a mirror)', () => {
    const commits = [commit({ sha: 'f1' }), commit({ sha: 'f1', repo: 'github:team/api' })];
    const { entries, commitsCounted } = creditCommits(commits, PEOPLE, { includeMerges: false });
    expect(commitsCounted).toBe(2);
    expect(entries.map((e) => e.repo)).toEqual(['bitbucket:team/api', 'github:team/api']);
  });

  it('reports unknown authors and co-authors once each by email, sorted, but not unknown approvers', () => {
    const commits = [
      commit({ sha: 'u1', author: { name: 'Zed Zulu', email: 'zed@example.com' }, approvers: [{ name: 'Outside Reviewer', email: 'rev@example.com' }] }),
      commit({ sha: 'u2', author: { name: 'Zed Z.', email: 'ZED@example.com' } }),
      commit({ sha: 'u3', message: 'Pair\n\nCo-authored-by: eve <eve@example.com>\n' }),
      commit({ sha: 'u4', author: { username: 'mallory' } }),
      commit({ sha: 'u5', author: { email: 'only@example.com' } }),
      commit({ sha: 'u6', author: { name: 'Ghost', username: 'ghost' } }),
    ];
    const { unknown, entries, commitsCounted } = creditCommits(commits, PEOPLE, { includeMerges: false });
    expect(unknown).toEqual(['eve <eve@example.com>', 'Ghost (@ghost)', 'mallory', 'only@example.com', 'Zed Z. <ZED@example.com>']);
    expect(entries.map((e) => e.sha)).toEqual(['u3']); // Ana wrote u3 with eve
    expect(commitsCounted).toBe(6);
  });

  it('gives the same result whatever order the commits come in', () => {
    const commits = [
      commit({ sha: 'b2', date: '2026-10-07T09:00:00Z', author: { email: 'bo@example.com' } }),
      commit({ sha: 'a3', date: '2026-10-07T10:00:00+02:00' }), // 08:00Z: earlier than b2's instant, later as text
      commit({ sha: 'a1', date: '2026-10-02T09:00:00Z', approvers: [{ username: 'bolind' }] }),
      commit({ sha: 'x9', repo: 'github:team/web', date: '2026-10-01T09:00:00Z' }),
      commit({ sha: 'z1', author: { name: 'X', email: 'x@example.com' } }),
      commit({ sha: 'z2', author: { name: 'W', email: 'w@example.com' } }),
    ];
    const forward = creditCommits(commits, PEOPLE, { includeMerges: false });
    const backward = creditCommits([...commits].reverse(), PEOPLE, { includeMerges: false });
    expect(backward).toEqual(forward);
    expect(forward.entries.map((e) => `${e.person}|${e.repo}|${e.sha}|${e.role}`)).toEqual([
      'Ana García|bitbucket:team/api|a1|author',
      'Ana García|bitbucket:team/api|a3|author',
      'Ana García|github:team/web|x9|author',
      'Bo Lind|bitbucket:team/api|a1|approver',
      'Bo Lind|bitbucket:team/api|b2|author',
    ]);
    expect(forward.unknown).toEqual(['W <w@example.com>', 'X <x@example.com>']);
  });
});
