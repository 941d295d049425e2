// Git commit trailers (`Reviewed-by:`, `Part-of:`, `Tested-by:` …) added to commit messages the
// way marge-bot does. Pure string work: the git activity reads and rewrites the messages.

/** Thrown by `setTrailers` when the message or the trailers asked for cannot make a commit message. */
export class TrailerError extends Error {
  override readonly name = 'TrailerError';
}

/** A trailer as found in a message: its key as written and its lines (continuations included). */
interface Trailer {
  readonly key: string;
  readonly lines: ReadonlyArray<string>;
}

// Git's trailer keys are tokens: letters, digits and dashes, no spaces.
const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:(.*)$/;
const CONTINUATION = /^[ \t]+\S/;
const COMMENT = /^#/;
// Keys only ever used as trailers: a message made of these alone has no subject. A first line such
// as `Fix: handle nulls` or `docs: typo` is a subject that happens to contain a colon.
const TRAILER_ONLY_KEY = /^(?:[A-Za-z0-9-]+-by|Part-of|Change-Id|Cc)$/i;

/**
 * `message` with the named trailers set: each key in `trailers` replaces every existing trailer of
 * that name (matched case-insensitively, written with the given spelling) by its values, in order
 * and without duplicates; an empty array removes it. Other trailers keep their place, the set ones
 * come after them. The trailer block is the last paragraph when every line of it is `Key: value`
 * (or a continuation line); the first paragraph is the subject, never trailers. The result ends with
 * exactly one newline. Throws `TrailerError` for an empty message or one without a subject.
 */
export function setTrailers(message: string, trailers: Record<string, string[]>): string {
  const wanted = normalizeWanted(trailers);
  const paragraphs = splitParagraphs(message);
  const [subject] = paragraphs;
  if (subject === undefined) throw new TrailerError('the commit message is empty');
  if (isTrailerBlock(subject) && subject.some((line) => TRAILER_ONLY_KEY.test(TRAILER_LINE.exec(line)?.[1] ?? ''))) {
    throw new TrailerError(`the commit message has no subject, only trailers (${JSON.stringify(subject[0])}); write a subject line first`);
  }
  const last = paragraphs[paragraphs.length - 1] ?? [];
  const hasBlock = paragraphs.length > 1 && isTrailerBlock(last);
  const body = hasBlock ? paragraphs.slice(0, -1) : paragraphs;
  const existing = hasBlock ? readTrailers(last) : [];
  const block = mergeTrailers(existing, wanted);
  const out = block.length > 0 ? [...body, block] : body;
  return `${out.map((paragraph) => paragraph.join('\n')).join('\n\n')}\n`;
}

/** `Reviewed-by` values for approvers: `Name <email>`, or `Name (@username)` when the email is unknown. */
export function reviewedByTrailers(approvers: { name: string; email?: string; username: string }[]): string[] {
  return approvers.map(({ name, email, username }) => {
    const who = oneLine(name) || username;
    const address = oneLine(email ?? '');
    return address ? `${who} <${address}>` : `${who} (@${username})`;
  });
}

/** The `Part-of` value linking a commit to its merge request: `<url>`. */
export function partOfTrailer(mrUrl: string): string {
  return `<${mrUrl}>`;
}

/** The `Tested-by` value, in marge-bot's style: `Bot Name <merge request url>`. */
export function testedByTrailer(botName: string, mrUrl: string): string {
  return `${oneLine(botName)} <${mrUrl}>`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Checks keys and values once, up front, so a bad request never half-rewrites a message. */
function normalizeWanted(trailers: Record<string, string[]>): Array<{ key: string; values: string[] }> {
  const seen = new Map<string, string>();
  return Object.entries(trailers).map(([key, values]) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(key)) throw new TrailerError(`${JSON.stringify(key)} is not a trailer key (letters, digits and dashes)`);
    const other = seen.get(key.toLowerCase());
    if (other !== undefined) throw new TrailerError(`trailer ${JSON.stringify(key)} is given twice (also as ${JSON.stringify(other)})`);
    seen.set(key.toLowerCase(), key);
    const unique = [...new Set(values.map((value) => value.trim()))];
    for (const value of unique) {
      if (value === '' || /[\r\n]/.test(value)) throw new TrailerError(`trailer ${key} needs a one-line, non-empty value, not ${JSON.stringify(value)}`);
    }
    return { key, values: unique };
  });
}

/**
 * Paragraphs of the message as arrays of lines, without the blank lines around them. A message
 * holding nothing but blanks and `#` comments (what git strips when committing) has none.
 */
function splitParagraphs(message: string): string[][] {
  const lines = message.replace(/\r\n?/g, '\n').split('\n').map((line) => line.replace(/\s+$/, ''));
  if (lines.every((line) => line === '' || COMMENT.test(line))) return [];
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line !== '') {
      current.push(line);
    } else if (current.length > 0) {
      paragraphs.push(current);
      current = [];
    }
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs;
}

function isTrailerBlock(paragraph: ReadonlyArray<string>): boolean {
  return paragraph.every((line, i) => TRAILER_LINE.test(line) || (i > 0 && CONTINUATION.test(line)));
}

function readTrailers(block: ReadonlyArray<string>): Trailer[] {
  const trailers: Array<{ key: string; lines: string[] }> = [];
  for (const line of block) {
    const match = TRAILER_LINE.exec(line);
    const previous = trailers[trailers.length - 1];
    if (match) trailers.push({ key: match[1] ?? '', lines: [line] });
    else previous?.lines.push(line);
  }
  return trailers;
}

function mergeTrailers(existing: ReadonlyArray<Trailer>, wanted: ReadonlyArray<{ key: string; values: string[] }>): string[] {
  const replaced = new Set(wanted.map(({ key }) => key.toLowerCase()));
  const kept = existing.filter(({ key }) => !replaced.has(key.toLowerCase())).flatMap(({ lines }) => lines);
  const added = wanted.flatMap(({ key, values }) => values.map((value) => `${key}: ${value}`));
  return [...kept, ...added];
}
