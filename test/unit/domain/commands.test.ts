import { commandHelp, parseCommand } from '../../../src/domain/commands';

const BOT = 'shepherd';

describe('parseCommand', () => {
  it.each<[string, ReturnType<typeof parseCommand>]>([
    ['@shepherd merge', { kind: 'merge' }],
    ['@Shepherd MERGE', { kind: 'merge' }],
    ['@SHEPHERD merge!', { kind: 'merge' }],
    ['@shepherd merge.', { kind: 'merge' }],
    ['@shepherd merge please', { kind: 'merge' }],
    ['@shepherd: merge', { kind: 'merge' }],
    ['@shepherd, merge', { kind: 'merge' }],
    ['  @shepherd   merge  ', { kind: 'merge' }],
    ['@shepherd cancel', { kind: 'cancel' }],
    ['@shepherd stop', { kind: 'cancel' }],
    ['@shepherd help', { kind: 'help' }],
    ['@shepherd Help?', { kind: 'help' }],
    ['@shepherd Stop!!', { kind: 'cancel' }],
    ['@shepherd', { kind: 'unknown', word: '' }],
    ['@shepherd.', { kind: 'unknown', word: '' }],
    ['@shepherd rebase', { kind: 'unknown', word: 'rebase' }],
    ['@shepherd Rebase?', { kind: 'unknown', word: 'Rebase' }],
    ['@shepherd constructor', { kind: 'unknown', word: 'constructor' }],
    ['@shepherd ship it', { kind: 'unknown', word: 'ship' }],
    ['@shepherd merge priority=high', { kind: 'merge', priority: 'high' }],
    ['@shepherd merge Priority=HIGH.', { kind: 'merge', priority: 'high' }],
    ['@shepherd merge please, priority=normal', { kind: 'merge', priority: 'normal' }],
    ['@shepherd merge priority=urgent', { kind: 'merge', badPriority: 'urgent' }],
    ['@shepherd cancel priority=high', { kind: 'cancel' }],
  ])('%j → %j', (body, command) => {
    expect(parseCommand(body, BOT)).toEqual(command);
  });

  it.each([
    'LGTM, merging soon',
    'thanks @shepherd merge', // a mention mid-line is talk, not a command
    '@shepherd-bot merge', // a different user
    '@shepherd_2 merge',
    '@shepherd.dev merge',
    '@shep merge',
    '',
  ])('%j does not address the bot', (body) => {
    expect(parseCommand(body, BOT)).toBeUndefined();
  });

  it('finds the command on any line of the comment', () => {
    expect(parseCommand('Looks good to me.\n\n@shepherd merge\n\nThanks!', BOT)).toEqual({ kind: 'merge' });
    expect(parseCommand('Looks good\r\n@shepherd merge\r\n', BOT)).toEqual({ kind: 'merge' });
  });

  it('ignores commands inside fenced code blocks', () => {
    expect(parseCommand('To merge, comment:\n```\n@shepherd merge\n```', BOT)).toBeUndefined();
    expect(parseCommand('~~~md\n@shepherd merge\n~~~\n@shepherd cancel', BOT)).toEqual({ kind: 'cancel' });
    // Only a fence of the same kind and length closes it; an unclosed fence runs to the end.
    expect(parseCommand('````\n```\n@shepherd merge\n```\n@shepherd merge\n````', BOT)).toBeUndefined();
    expect(parseCommand('```\n@shepherd merge', BOT)).toBeUndefined();
  });

  it('ignores quoted lines', () => {
    expect(parseCommand('> @shepherd merge\n\nWhy did you ask for that?', BOT)).toBeUndefined();
    expect(parseCommand('  >> @shepherd merge\n@shepherd cancel', BOT)).toEqual({ kind: 'cancel' });
  });

  it('prefers a known command to an unknown word on an earlier line, else the first unknown word', () => {
    expect(parseCommand('@shepherd hello\n@shepherd merge', BOT)).toEqual({ kind: 'merge' });
    expect(parseCommand('@shepherd hello\n@shepherd there', BOT)).toEqual({ kind: 'unknown', word: 'hello' });
    expect(parseCommand('@shepherd cancel\n@shepherd merge', BOT)).toEqual({ kind: 'cancel' });
  });

  it('accepts the bot username with or without its @, in any case', () => {
    expect(parseCommand('@shepherd merge', '@Shepherd')).toEqual({ kind: 'merge' });
    expect(parseCommand('@marge.bot merge', 'marge.bot')).toEqual({ kind: 'merge' });
    expect(parseCommand('@margexbot merge', 'marge.bot')).toBeUndefined();
  });
});

describe('commandHelp', () => {
  it('lists each command with the bot name', () => {
    const help = commandHelp('shepherd');
    expect(help).toContain('- `@shepherd merge`');
    expect(help).toContain('- `@shepherd cancel` (or `stop`)');
    expect(help).toContain('- `@shepherd help`');
    expect(commandHelp('@shepherd')).toBe(help);
  });

  it('lists the backport commands next to the merge queue ones', () => {
    const help = commandHelp('shepherd');
    expect(help).toContain('- `@shepherd backport <branch> [<branch>…]`');
    expect(help).toContain('- `/cherry-pick <branch> [<branch>…]` (or `/cherrypick`)');
    expect(help.indexOf('@shepherd cancel')).toBeLessThan(help.indexOf('@shepherd backport'));
  });
});
