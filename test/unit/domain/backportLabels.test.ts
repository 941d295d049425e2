import { backportDestinationsFromLabels, compileBackportLabelPattern } from '../../../src/domain/backportLabels';

const PATTERN = /^backport (\S+)$/;
const opts = { candidateLabel: 'backport-candidate', branches: ['release-1.3', 'release-1.2'], pattern: PATTERN };

describe('backportDestinationsFromLabels', () => {
  it('finds nothing without backport labels', () => {
    expect(backportDestinationsFromLabels([], opts)).toEqual({ destinations: [], candidateWithoutBranches: false });
    expect(backportDestinationsFromLabels(['bug', 'backport', 'backportrelease-1.2'], opts)).toEqual({ destinations: [], candidateWithoutBranches: false });
  });

  it('sends a candidate to every configured branch, matching the label title exactly', () => {
    expect(backportDestinationsFromLabels(['bug', 'backport-candidate'], opts).destinations).toEqual(['release-1.3', 'release-1.2']);
    expect(backportDestinationsFromLabels(['Backport-Candidate'], opts).destinations).toEqual([]);
    expect(backportDestinationsFromLabels(['backport-candidate '], opts).destinations).toEqual([]);
  });

  it('says when the candidate label has nowhere to go', () => {
    expect(backportDestinationsFromLabels(['backport-candidate'], { ...opts, branches: [] })).toEqual({ destinations: [], candidateWithoutBranches: true });
    // Other labels still count.
    expect(backportDestinationsFromLabels(['backport-candidate', 'backport r9'], { ...opts, branches: [] })).toEqual({
      destinations: ['r9'],
      candidateWithoutBranches: true,
    });
    // Without the candidate label, empty branches are nothing to report.
    expect(backportDestinationsFromLabels(['backport r9'], { ...opts, branches: [] }).candidateWithoutBranches).toBe(false);
  });

  it('takes each pattern label’s capture as a destination, in label order', () => {
    expect(backportDestinationsFromLabels(['backport release-2.0', 'bug', 'backport release-1.0'], opts).destinations).toEqual(['release-2.0', 'release-1.0']);
  });

  it('puts configured branches first, then label destinations, each once', () => {
    const labels = ['backport release-1.0', 'backport release-1.2', 'backport-candidate', 'backport release-1.0'];
    expect(backportDestinationsFromLabels(labels, opts).destinations).toEqual(['release-1.3', 'release-1.2', 'release-1.0']);
    expect(backportDestinationsFromLabels(['backport-candidate'], { ...opts, branches: ['a', 'b', 'a'] }).destinations).toEqual(['a', 'b']);
  });

  it('uses a configured pattern with a named group', () => {
    const pattern = /^(?:cherry-pick|backport)::(?<branch>.+)$/;
    expect(backportDestinationsFromLabels(['cherry-pick::stable', 'backport::v2', 'cherry-pick::'], { ...opts, pattern }).destinations).toEqual(['stable', 'v2']);
  });

  it('does not treat the candidate label as a destination when the pattern happens to match it', () => {
    const pattern = /^backport-(.+)$/;
    expect(backportDestinationsFromLabels(['backport-candidate', 'backport-r1'], { ...opts, pattern }).destinations).toEqual(['release-1.3', 'release-1.2', 'r1']);
  });

  it('gives the same answer with a global pattern, whatever it matched before', () => {
    const pattern = /^backport (\S+)$/g;
    pattern.exec('backport x');
    expect(backportDestinationsFromLabels(['backport a', 'backport b'], { ...opts, pattern }).destinations).toEqual(['a', 'b']);
    expect(backportDestinationsFromLabels(['backport a', 'backport b'], { ...opts, pattern }).destinations).toEqual(['a', 'b']);
  });
});

describe('compileBackportLabelPattern', () => {
  it.each(['^backport (\\S+)$', '^backport (?<dest>\\S+)$', '^(?:backport|cherry-pick)[ :](\\S+)$', '^(?=backport )backport (?<!x)(.+)$', '(a)\\1'])(
    'accepts %j, which has exactly one capturing group',
    (source) => {
      const result = compileBackportLabelPattern(source);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.pattern.source).toBe(new RegExp(source).source);
    },
  );

  it('compiles a pattern that then finds destinations', () => {
    const result = compileBackportLabelPattern('^backport (\\S+)$');
    if (!result.ok) throw new Error(result.reason);
    expect(backportDestinationsFromLabels(['backport r1'], { ...opts, pattern: result.pattern }).destinations).toEqual(['r1']);
  });

  it.each<[string, RegExp]>([
    ['^backport \\S+$', /no capturing group/],
    ['', /no capturing group/],
    ['^(?:backport) (?=\\S)\\S+$', /no capturing group/],
    ['^(backport) (\\S+)$', /2 capturing groups/],
    ['^(?<kind>backport) (?<dest>\\S+)$', /2 capturing groups/],
    ['^backport ((\\S+))$', /2 capturing groups/],
    ['\\(literal\\) and [(]class[)]', /no capturing group/],
  ])('refuses %j and says what would be valid', (source, why) => {
    const result = compileBackportLabelPattern(source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(why);
    expect(result.reason).toContain('exactly one');
    expect(result.reason).toContain('^backport (\\S+)$');
  });

  it('refuses what is not a regular expression, saying so', () => {
    const result = compileBackportLabelPattern('^backport (\\S+$');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain('not a valid regular expression');
      expect(result.reason).toContain('exactly one capturing group');
    }
  });
});
