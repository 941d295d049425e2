// Backport requests in merge request comments: `@shepherd backport release-1.2 release-1.3`, and
// the `/cherry-pick release-1.2` (or `/cherrypick`) that people know from Prow and mattermod.

import { commandableLines } from './commands';

export interface BackportRequest {
  /** Valid branch names, deduplicated, in the order they were first asked for. */
  branches: string[];
  /** Names git would refuse as a branch, deduplicated, so the answer can name them. */
  invalid: string[];
  /** The spelling of the first request line, so answers can echo the one the person uses. */
  syntax: 'mention' | 'slash';
}

// The same rule as commands.ts: `@shepherd-bot` or `@shepherd.dev` is somebody else.
const NAME_CONTINUES = /^(?:[\w-]|\.[\w-])/;
// After the mention: the word `backport`, perhaps with punctuation (`backport:`), then the names.
const MENTION_REQUEST = /^backport[.,;:!?]*(\s.*)?$/i;
const SLASH_REQUEST = /^\/cherry-?pick(\s.*)?$/i;
// `,` and `;` are sentence punctuation here, not part of a name.
const TRAILING_SEPARATORS = /[,;]+$/;
// Characters git never allows in a ref name (besides control characters, checked apart).
const FORBIDDEN_CHARACTERS = /[ ~^:?*[\\]/;

/**
 * The backport asked for in a comment: every line (outside fenced code blocks and `>` quotes,
 * after indentation) that starts with `@<bot> backport` or `/cherry-pick` (`/cherrypick`)
 * contributes the names after it, separated by spaces or commas. A name in backticks counts
 * without them. `undefined` when no line asks; a request without any name still returns a
 * result, with empty `branches` and `invalid`, so the caller can answer with the usage.
 */
export function parseBackportRequest(body: string, botUsername: string): BackportRequest | undefined {
  const bot = botUsername.replace(/^@/, '');
  let syntax: BackportRequest['syntax'] | undefined;
  const branches: string[] = [];
  const invalid: string[] = [];
  for (const line of commandableLines(body)) {
    const request = lineRequest(line, bot);
    if (request === undefined) continue;
    syntax ??= request.syntax;
    for (const name of request.names) {
      const into = isValidBranchName(name) ? branches : invalid;
      if (!into.includes(name)) into.push(name);
    }
  }
  return syntax === undefined ? undefined : { branches, invalid, syntax };
}

/** Markdown list items for `@<bot> help`, to sit next to the merge queue's commands. */
export function backportHelpLines(botUsername: string): string[] {
  const bot = botUsername.replace(/^@/, '');
  return [
    `- \`@${bot} backport <branch> [<branch>…]\`: cherry-pick this merge request's commits onto each branch and open a merge request for each. Asked before the merge, I do it once it is merged; asked after, at once. The merge request's author and members with at least the Developer role may ask.`,
    `- \`/cherry-pick <branch> [<branch>…]\` (or \`/cherrypick\`): the same.`,
  ];
}

/**
 * Whether git accepts `name` as a branch name (the rules of `git check-ref-format --branch`):
 * no space, control character or any of `~^:?*[\`; no `..`, `@{` or `//`; no component that
 * starts with `.` or ends with `.lock`; not starting with `-` or `/`, not ending with `/` or `.`;
 * not `@` and not `HEAD`.
 */
export function isValidBranchName(name: string): boolean {
  if (name === '' || name === '@' || name === 'HEAD') return false;
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (FORBIDDEN_CHARACTERS.test(name) || hasControlCharacter(name)) return false;
  return name.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

function hasControlCharacter(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function lineRequest(line: string, bot: string): { syntax: BackportRequest['syntax']; names: string[] } | undefined {
  const slash = SLASH_REQUEST.exec(line);
  if (slash) return { syntax: 'slash', names: names(slash[1]) };
  const mention = `@${bot}`;
  if (line.slice(0, mention.length).toLowerCase() !== mention.toLowerCase()) return undefined;
  const rest = line.slice(mention.length);
  if (NAME_CONTINUES.test(rest)) return undefined;
  const request = MENTION_REQUEST.exec(rest.replace(/^[:,]/, '').trim());
  return request ? { syntax: 'mention', names: names(request[1]) } : undefined;
}

function names(args: string | undefined): string[] {
  return (args ?? '')
    .split(/[\s,]+/)
    .map((word) => {
      const bare = word.replace(TRAILING_SEPARATORS, '');
      // Markdown habit: `release-1.2` in backticks means the branch, not a name with backticks.
      return /^`[^`]+`$/.test(bare) ? bare.slice(1, -1) : bare;
    })
    .filter((name) => name !== '');
}
