import { evidenceFileName, groupEvidence, personSlug, renderEvidenceFile } from '../../../../src/domain/evidence/render';
import type { EvidenceEntry, EvidencePerson } from '../../../../src/domain/evidence/types';

const nuria: EvidencePerson = { name: 'Núria Pérez-Sol', email: 'nuria@example.com', aliases: [] };

function entry(overrides: Partial<EvidenceEntry> & { sha: string }): EvidenceEntry {
  return {
    person: nuria.name,
    repo: 'bitbucket:team/api',
    date: '2026-10-05T10:00:00+02:00',
    url: `https://bitbucket.org/team/api/commits/${overrides.sha}`,
    role: 'author',
    subject: 'Add the thing',
    ...overrides,
  };
}

describe('personSlug', () => {
  it.each<[string, string, string]>([
    ['Núria Pérez-Sol', 'nuria@example.com', 'nuria-perez-sol'],
    ['  José   María  ', 'jm@example.com', 'jose-maria'],
    ['Jørgen Ødegård', 'j@example.com', 'jorgen-odegard'],
    ['Łukasz Straße', 'l@example.com', 'lukasz-strasse'],
    ["O'Brien, Seán", 'sb@example.com', 'o-brien-sean'],
    ['Ça va_ok', 'c@example.com', 'ca-va-ok'],
    ['李小龙', 'bruce.lee@example.com', 'bruce-lee'], // nothing ASCII in the name: the email's local part
    ['', '', 'person'],
  ])('%j → %j', (name, email, slug) => {
    expect(personSlug({ name, email, aliases: [] })).toBe(slug);
  });
});

describe('evidenceFileName', () => {
  it('turns the id into a flat file name', () => {
    expect(evidenceFileName('bitbucket:team/api')).toBe('bitbucket_team_api.txt');
    expect(evidenceFileName('gitlab:group/sub/app')).toBe('gitlab_group_sub_app.txt');
  });

  it('never gives two repositories the same name, even when their own names hold "_"', () => {
    const ids = ['github:a_b/c', 'github:a/b_c', 'github:a_/b', 'github:a/_b', 'gitlab:a/b/c', 'gitlab:a_b/c', 'gitlab:a/b_c', 'bitbucket:team/api', 'github:team/api'];
    const names = ids.map(evidenceFileName);
    expect(new Set(names).size).toBe(ids.length);
    expect(evidenceFileName('github:a_b/c')).toBe('github_a+b_c.txt');
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9._+-]+\.txt$/);
  });

  it('refuses what is not a repository id', () => {
    expect(() => evidenceFileName('team/api')).toThrow('Invalid evidence repository "team/api"');
    expect(() => evidenceFileName('github:../etc')).toThrow('Invalid evidence repository');
  });
});

describe('renderEvidenceFile', () => {
  const entries = [
    entry({ sha: 'b'.repeat(40), date: '2026-10-07T09:00:00Z', subject: 'Second\tthing' }),
    entry({ sha: 'a'.repeat(40), date: '2026-10-07T10:00:00+02:00', role: 'approver', subject: 'First' }), // 08:00Z
    entry({ sha: 'c'.repeat(40), date: '2026-10-01T12:00:00+02:00', role: 'co-author', subject: 'Zeroth' }),
  ];

  it('writes a header and one tab-separated line per commit, oldest first', () => {
    expect(renderEvidenceFile(nuria, 'bitbucket:team/api', '2026-10', entries)).toBe(
      [
        'Evidence of Núria Pérez-Sol <nuria@example.com>',
        'Repository: bitbucket:team/api',
        'Month: October 2026 (2026-10)',
        'Commits: 3',
        '',
        'Date\tRepository\tCommit\tLink\tRole\tSubject',
        `2026-10-01T12:00:00+02:00\tbitbucket:team/api\t${'c'.repeat(40)}\thttps://bitbucket.org/team/api/commits/${'c'.repeat(40)}\tco-author\tZeroth`,
        `2026-10-07T10:00:00+02:00\tbitbucket:team/api\t${'a'.repeat(40)}\thttps://bitbucket.org/team/api/commits/${'a'.repeat(40)}\tapprover\tFirst`,
        `2026-10-07T09:00:00Z\tbitbucket:team/api\t${'b'.repeat(40)}\thttps://bitbucket.org/team/api/commits/${'b'.repeat(40)}\tauthor\tSecond thing`,
        '',
      ].join('\n'),
    );
  });

  it('writes the same text whatever order the entries come in, repeats written once', () => {
    const once = renderEvidenceFile(nuria, 'bitbucket:team/api', '2026-10', entries);
    const shuffled = [entries[2], entries[0], entries[1], entries[0]].filter((e): e is EvidenceEntry => e !== undefined);
    expect(renderEvidenceFile(nuria, 'bitbucket:team/api', '2026-10', shuffled)).toBe(once);
  });

  it('writes a header saying 0 commits for an empty month', () => {
    const text = renderEvidenceFile(nuria, 'github:team/web', '2026-10', []);
    expect(text).toContain('Commits: 0\n');
    expect(text.endsWith('Date\tRepository\tCommit\tLink\tRole\tSubject\n')).toBe(true);
  });

  it("refuses entries of another person or repository rather than putting them in this person's evidence", () => {
    expect(() => renderEvidenceFile(nuria, 'bitbucket:team/api', '2026-10', [entry({ sha: 'x', person: 'Bo Lind' })])).toThrow('Evidence of Bo Lind');
    expect(() => renderEvidenceFile(nuria, 'bitbucket:team/api', '2026-10', [entry({ sha: 'x', repo: 'github:team/web' })])).toThrow('github:team/web');
  });
});

describe('groupEvidence', () => {
  it('groups by person, then repository, in a stable order', () => {
    const all = [
      entry({ sha: 's3', person: 'Bo Lind', repo: 'github:team/web' }),
      entry({ sha: 's2', repo: 'github:team/web', date: '2026-10-09T00:00:00Z' }),
      entry({ sha: 's1', repo: 'github:team/web', date: '2026-10-08T00:00:00Z' }),
      entry({ sha: 's0' }),
    ];
    const groups = groupEvidence(all);
    const shape = [...groups].map(([person, byRepo]) => [person, [...byRepo].map(([repo, list]) => [repo, list.map((e) => e.sha)])]);
    expect(shape).toEqual([
      ['Bo Lind', [['github:team/web', ['s3']]]],
      [
        'Núria Pérez-Sol',
        [
          ['bitbucket:team/api', ['s0']],
          ['github:team/web', ['s1', 's2']],
        ],
      ],
    ]);
    expect([...groupEvidence([...all].reverse())]).toEqual([...groups]);
  });
});
