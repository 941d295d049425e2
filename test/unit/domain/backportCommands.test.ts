import { backportHelpLines, isValidBranchName, parseBackportRequest } from '../../../src/domain/backportCommands';

const BOT = 'shepherd';

function branchesOf(body: string): string[] | undefined {
  return parseBackportRequest(body, BOT)?.branches;
}

describe('parseBackportRequest', () => {
  it.each<[string, string[]]>([
    ['@shepherd backport release-1.2', ['release-1.2']],
    ['@Shepherd BACKPORT release-1.2', ['release-1.2']],
    ['@shepherd: backport release-1.2', ['release-1.2']],
    ['@shepherd, backport release-1.2', ['release-1.2']],
    ['@shepherd backport: release-1.2', ['release-1.2']],
    ['   @shepherd   backport   release-1.2   release-1.3  ', ['release-1.2', 'release-1.3']],
    ['@shepherd backport release-1.2, release-1.3', ['release-1.2', 'release-1.3']],
    ['@shepherd backport release-1.2,release-1.3;', ['release-1.2', 'release-1.3']],
    ['@shepherd backport release/1.x stable', ['release/1.x', 'stable']],
    ['@shepherd backport `release-1.2`', ['release-1.2']],
  ])('%j asks for %j', (body, branches) => {
    expect(parseBackportRequest(body, BOT)).toEqual({ branches, invalid: [], syntax: 'mention' });
  });

  it.each(['/cherry-pick release-1.2', '/cherrypick release-1.2', '/Cherry-Pick release-1.2', '/CHERRYPICK release-1.2', '  /cherry-pick  release-1.2'])(
    '%j is the slash syntax',
    (body) => {
      expect(parseBackportRequest(body, BOT)).toEqual({ branches: ['release-1.2'], invalid: [], syntax: 'slash' });
    },
  );

  it.each([
    '',
    'Please backport this to release-1.2',
    'thanks @shepherd backport release-1.2', // a mention mid-line is talk
    'see /cherry-pick release-1.2', // so is a slash command mid-line
    '@shepherd merge',
    '@shepherd backports release-1.2',
    '@shepherd-bot backport release-1.2', // somebody else
    '@shepherd2 backport release-1.2',
    '@shepherd_2 backport release-1.2',
    '@shepherd.dev backport release-1.2',
    '@shep backport release-1.2',
    '/cherry-picks release-1.2',
    '/cherry release-1.2',
    '/pick release-1.2',
  ])('%j asks for no backport', (body) => {
    expect(parseBackportRequest(body, BOT)).toBeUndefined();
  });

  it('accepts the bot username with or without its @, in any case; a dot ends the name only when nothing follows', () => {
    expect(branchesOf('@shepherd backport r1')).toEqual(['r1']);
    expect(parseBackportRequest('@shepherd backport r1', '@Shepherd')?.branches).toEqual(['r1']);
    expect(parseBackportRequest('@marge.bot backport r1', 'marge.bot')?.branches).toEqual(['r1']);
    expect(parseBackportRequest('@margexbot backport r1', 'marge.bot')).toBeUndefined();
    expect(branchesOf('@shepherd. backport r1')).toBeUndefined(); // only `:` or `,` may follow the mention
  });

  it('ignores requests in fenced code blocks and quotes', () => {
    expect(parseBackportRequest('To backport, comment:\n```\n@shepherd backport release-1.2\n```', BOT)).toBeUndefined();
    expect(parseBackportRequest('~~~\n/cherry-pick release-1.2\n~~~', BOT)).toBeUndefined();
    expect(parseBackportRequest('> @shepherd backport release-1.2\n\nWhy?', BOT)).toBeUndefined();
    expect(branchesOf('```\n@shepherd backport a\n```\n> /cherry-pick b\n@shepherd backport c')).toEqual(['c']);
    // An unclosed fence hides the rest of the comment.
    expect(parseBackportRequest('```\n@shepherd backport a', BOT)).toBeUndefined();
  });

  it('collects every request line of a comment, without duplicates, in first-seen order', () => {
    const body = 'Needed on both:\n@shepherd backport release-1.3 release-1.2\n/cherry-pick release-1.2 release-1.1\r\n@shepherd backport release-1.3';
    expect(parseBackportRequest(body, BOT)).toEqual({ branches: ['release-1.3', 'release-1.2', 'release-1.1'], invalid: [], syntax: 'mention' });
    expect(parseBackportRequest('/cherrypick a\n@shepherd backport b', BOT)?.syntax).toBe('slash');
  });

  it('keeps branch names case-sensitive', () => {
    expect(branchesOf('@shepherd backport Release-1.2 release-1.2')).toEqual(['Release-1.2', 'release-1.2']);
  });

  it('puts names git would refuse into invalid, deduplicated, and keeps the valid ones', () => {
    expect(parseBackportRequest('@shepherd backport release-1.2 a..b -x a..b\n/cherry-pick what?', BOT)).toEqual({
      branches: ['release-1.2'],
      invalid: ['a..b', '-x', 'what?'],
      syntax: 'mention',
    });
    // A sentence's full stop makes the name one git refuses; it is reported rather than guessed at.
    expect(parseBackportRequest('@shepherd backport release-1.2.', BOT)?.invalid).toEqual(['release-1.2.']);
  });

  it('answers a request without any branch with an empty list, so the caller can explain the usage', () => {
    expect(parseBackportRequest('@shepherd backport', BOT)).toEqual({ branches: [], invalid: [], syntax: 'mention' });
    expect(parseBackportRequest('@shepherd backport ,;', BOT)).toEqual({ branches: [], invalid: [], syntax: 'mention' });
    expect(parseBackportRequest('/cherry-pick', BOT)).toEqual({ branches: [], invalid: [], syntax: 'slash' });
  });
});

describe('isValidBranchName', () => {
  it.each(['main', 'release-1.2', 'release/1.x', 'feature/a.b/c', 'v1.2.3', 'user@host', 'a-', 'lock', 'foo.locked', 'ünïcode', 'a+b', 'a!', 'a,b;c'])(
    'git accepts %j',
    (name) => {
      expect(isValidBranchName(name)).toBe(true);
    },
  );

  it.each([
    '',
    '@',
    'HEAD',
    'a b',
    'a..b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    'a\tb',
    'a\u0001b',
    'a\u007fb',
    '-x',
    '/a',
    'a/',
    'a//b',
    'a.',
    'a.lock',
    'a.lock/b',
    '.a',
    'a/.b',
    'a@{1}',
  ])('git refuses %j', (name) => {
    expect(isValidBranchName(name)).toBe(false);
  });
});

describe('backportHelpLines', () => {
  it('lists both spellings as markdown list items with the bot name, who may ask and when', () => {
    const lines = backportHelpLines('@shepherd');
    expect(lines).toEqual(backportHelpLines('shepherd'));
    expect(lines.every((line) => line.startsWith('- '))).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('`@shepherd backport <branch> [<branch>…]`');
    expect(text).toContain('`/cherry-pick <branch> [<branch>…]`');
    expect(text).toContain('`/cherrypick`');
    expect(text).toMatch(/author/);
    expect(text).toMatch(/Developer/);
    expect(text).toMatch(/before the merge/);
  });
});
