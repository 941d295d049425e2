import { checkScope, compileScopeRegexp, type ScopeRules } from '../../../src/domain/scope';

const ALL: ScopeRules = { projectRegexp: '.*', branchRegexp: '.*', sourceBranchRegexp: '.*' };
const mr = { project: 'group/app', targetBranch: 'main', sourceBranch: 'feature/login' };

describe('checkScope', () => {
  it('accepts everything with the defaults', () => {
    expect(checkScope(mr, ALL)).toEqual({ inScope: true });
    expect(checkScope(mr, { projectRegexp: '', branchRegexp: '', sourceBranchRegexp: '' })).toEqual({ inScope: true });
  });

  it('anchors at the start only, like Python re.match', () => {
    expect(checkScope(mr, { ...ALL, projectRegexp: 'group/' }).inScope).toBe(true);
    expect(checkScope(mr, { ...ALL, projectRegexp: 'app' }).inScope).toBe(false); // would match unanchored
    expect(checkScope({ ...mr, targetBranch: 'main-2' }, { ...ALL, branchRegexp: 'main' }).inScope).toBe(true);
    expect(checkScope(mr, { ...ALL, branchRegexp: 'main$' }).inScope).toBe(true);
    expect(checkScope({ ...mr, targetBranch: 'main-2' }, { ...ALL, branchRegexp: 'main$' }).inScope).toBe(false);
  });

  it('anchors alternations as a whole', () => {
    const rules = { ...ALL, branchRegexp: 'main|release/.*' };
    expect(checkScope({ ...mr, targetBranch: 'release/1.2' }, rules).inScope).toBe(true);
    expect(checkScope({ ...mr, targetBranch: 'old-release/1.2' }, rules).inScope).toBe(false);
  });

  it("supports marge-bot's negative look-ahead examples", () => {
    const rules = { ...ALL, projectRegexp: '(?!exclude/me)' };
    expect(checkScope({ ...mr, project: 'exclude/me' }, rules).inScope).toBe(false);
    expect(checkScope({ ...mr, project: 'exclude/me-too' }, rules).inScope).toBe(false);
    expect(checkScope({ ...mr, project: 'include/me' }, rules).inScope).toBe(true);
    expect(checkScope({ ...mr, targetBranch: 'master' }, { ...ALL, branchRegexp: '(?!master)' }).inScope).toBe(false);
    expect(checkScope({ ...mr, targetBranch: 'develop' }, { ...ALL, branchRegexp: '(?!master)' }).inScope).toBe(true);
  });

  it('says which rule excluded the merge request, in its users\' words', () => {
    expect(checkScope({ ...mr, targetBranch: 'release-1' }, { ...ALL, branchRegexp: 'main' })).toEqual({
      inScope: false,
      reason: 'the bot is not configured for target branch `release-1` (branch-regexp `main`)',
    });
    expect(checkScope(mr, { ...ALL, projectRegexp: 'other/.*' })).toEqual({
      inScope: false,
      reason: 'the bot is not configured for project `group/app` (project-regexp `other/.*`)',
    });
    expect(checkScope(mr, { ...ALL, sourceBranchRegexp: '(?!feature/)' })).toEqual({
      inScope: false,
      reason: 'the bot is not configured for source branch `feature/login` (source-branch-regexp `(?!feature/)`)',
    });
  });

  it('names the project rule first when several exclude it', () => {
    const reason = checkScope(mr, { projectRegexp: 'x', branchRegexp: 'x', sourceBranchRegexp: 'x' });
    expect(reason).toEqual({ inScope: false, reason: expect.stringContaining('project-regexp') });
  });

  it('keeps a backtick in a branch name from breaking the markdown', () => {
    const result = checkScope({ ...mr, sourceBranch: 'fix-`x`' }, { ...ALL, sourceBranchRegexp: 'feature/' });
    expect(result).toEqual({ inScope: false, reason: 'the bot is not configured for source branch `` fix-`x` `` (source-branch-regexp `feature/`)' });
  });

  it('throws naming the option for an invalid rule', () => {
    expect(() => checkScope(mr, { ...ALL, branchRegexp: '(' })).toThrow(/^Invalid branch-regexp "\(": /);
  });
});

describe('compileScopeRegexp', () => {
  it('compiles anchored at the start', () => {
    const re = compileScopeRegexp('branch-regexp', 'a|b');
    expect(re.source).toBe('^(?:a|b)');
    expect(re.test('b-1')).toBe(true);
    expect(re.test('cb')).toBe(false);
  });

  it('throws an Error naming the option and the text', () => {
    expect(() => compileScopeRegexp('project-regexp', '[unclosed')).toThrow(/^Invalid project-regexp "\[unclosed": .*/);
    // A closing parenthesis cannot escape the anchoring group.
    expect(() => compileScopeRegexp('source-branch-regexp', 'a)|(b')).toThrow(/source-branch-regexp/);
  });
});
