// Commands people give the bot in merge request comments: `@shepherd merge`, `@shepherd cancel`.

import { backportHelpLines } from './backportCommands';
import type { Priority } from './mergeOrder';

export type Command =
  /** `priority=high` puts it ahead of the waiting ones; `badPriority` is a value that is neither. */
  | { kind: 'merge'; priority?: Priority; badPriority?: string }
  | { kind: 'cancel' }
  /** `@bot help`: the list of commands. */
  | { kind: 'help' }
  | { kind: 'unknown'; word: string };

/** Every spelling of every known command, lower case. A Map, so `constructor` is just an unknown word. */
const WORDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['merge', { kind: 'merge' }],
  ['cancel', { kind: 'cancel' }],
  ['stop', { kind: 'cancel' }],
  ['help', { kind: 'help' }],
]);

const FENCE = /^[ \t]*(`{3,}|~{3,})/;
// Usernames contain letters, digits, `_`, `-` and `.`; a dot only belongs to the name when more follows.
const NAME_CONTINUES = /^(?:[\w-]|\.[\w-])/;
const TRAILING_PUNCTUATION = /[.,;:!?]+$/;

/**
 * The command in a comment, from the first line that starts with `@<bot>` (after any indentation;
 * the username matched case-insensitively). Lines in fenced code blocks and `>` quotes are
 * ignored, since they show or quote commands rather than give them. The word after the mention is
 * read case-insensitively, without trailing punctuation; anything after it is ignored
 * (`@bot merge please`). When several lines address the bot, the first known command wins, else
 * the first unknown word. `@bot` alone is `{ kind: 'unknown', word: '' }`; a comment that does not
 * address the bot is `undefined`.
 */
export function parseCommand(body: string, botUsername: string): Command | undefined {
  let firstUnknown: Command | undefined;
  for (const line of commandableLines(body)) {
    const command = lineCommand(line, botUsername.replace(/^@/, ''));
    if (command === undefined) continue;
    if (command.kind !== 'unknown') return command;
    firstUnknown ??= command;
  }
  return firstUnknown;
}

/** A short markdown list of the commands, for `@bot help` and replies to unknown ones. */
export function commandHelp(bot: string): string {
  const name = bot.replace(/^@/, '');
  return [
    'I understand these commands, each at the start of a line of a comment:',
    '',
    `- \`@${name} merge\`: put this merge request in the merge queue (the same as assigning me)`,
    `- \`@${name} merge priority=high\`: the same, ahead of the merge requests waiting in the queue`,
    `- \`@${name} cancel\` (or \`stop\`): take it out of the merge queue`,
    ...backportHelpLines(name),
    `- \`@${name} help\`: this list`,
  ].join('\n');
}

/** The comment's lines outside fenced code blocks and block quotes. */
export function commandableLines(body: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of body.split(/\r?\n/)) {
    const marker = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      // A fence closes with the same character, at least as long, and nothing after it.
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    } else if (marker !== undefined) {
      fence = marker;
    } else if (!line.trimStart().startsWith('>')) {
      lines.push(line.trim());
    }
  }
  return lines;
}

function lineCommand(line: string, bot: string): Command | undefined {
  const mention = `@${bot}`;
  if (line.slice(0, mention.length).toLowerCase() !== mention.toLowerCase()) return undefined;
  const rest = line.slice(mention.length);
  // `@shepherd-bot` or `@shepherd.dev` is somebody else.
  if (NAME_CONTINUES.test(rest)) return undefined;
  const [word = '', ...args] = rest.replace(/^[:,]/, '').trim().split(/\s+/);
  const cleaned = word.replace(TRAILING_PUNCTUATION, '');
  const command = WORDS.get(cleaned.toLowerCase()) ?? { kind: 'unknown', word: cleaned };
  return command.kind === 'merge' ? withPriority(args) : command;
}

/** `priority=high` (or `normal`) among the words after `merge`; other words are ignored, as before. */
function withPriority(args: string[]): Command {
  for (const arg of args) {
    const m = /^priority=(.*)$/i.exec(arg.replace(TRAILING_PUNCTUATION, ''));
    if (!m) continue;
    const value = m[1].toLowerCase();
    return value === 'high' || value === 'normal' ? { kind: 'merge', priority: value } : { kind: 'merge', badPriority: m[1] };
  }
  return { kind: 'merge' };
}
