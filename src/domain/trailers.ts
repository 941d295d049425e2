// Git commit trailers (`Reviewed-by:`, `Part-of:`, `Tested-by:` …) added to commit messages the
// way marge-bot does. Pure string work: the git activity reads and rewrites the messages.

/** Thrown by `setTrailers` when the message or the trailers asked for cannot make a commit message. */
export class TrailerError extends Error {
  override readonly name = 'TrailerError';
}

/** A trailer as found in a message: its key as written, its lines (continuations included) and its value. */
interface Trailer {
  readonly key: string;
  readonly lines: ReadonlyArray<string>;
  readonly value: string;
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
 * come after them, and a trailer found twice in the block is kept once (see `sameTrailer`). The
 * trailer block is the last paragraph when every line of it is `Key: value` (or a continuation
 * line); the first paragraph is the subject, never trailers. The result ends with exactly one
 * newline. Throws `TrailerError` for an empty message or one without a subject (see `isNoSubject`).
 */
export function setTrailers(message: string, trailers: Record<string, string[]>): string {
  const wanted = normalizeWanted(trailers);
  const paragraphs = splitParagraphs(message);
  const [subject] = paragraphs;
  if (subject === undefined) throw new TrailerError('the commit message is empty');
  if (isNoSubject(subject, new Set(wanted.map(({ key }) => key.toLowerCase())))) {
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

/**
 * Whether the first paragraph is trailers rather than a subject: only `Key: value` lines, one of
 * them with a key nothing but trailers use. A single line whose key is not being set is kept as the
 * subject whatever its key, as marge-bot does: nothing here would replace it, so the commit keeps
 * the one line its author wrote.
 */
function isNoSubject(first: ReadonlyArray<string>, setKeys: ReadonlySet<string>): boolean {
  if (!isTrailerBlock(first)) return false;
  const keys = first.map((line) => TRAILER_LINE.exec(line)?.[1] ?? '');
  if (keys.length === 1 && !setKeys.has((keys[0] ?? '').toLowerCase())) return false;
  return keys.some((key) => TRAILER_ONLY_KEY.test(key));
}

function isTrailerBlock(paragraph: ReadonlyArray<string>): boolean {
  return paragraph.every((line, i) => TRAILER_LINE.test(line) || (i > 0 && CONTINUATION.test(line)));
}

function readTrailers(block: ReadonlyArray<string>): Trailer[] {
  const trailers: Array<{ key: string; lines: string[]; value: string }> = [];
  for (const line of block) {
    const match = TRAILER_LINE.exec(line);
    const previous = trailers[trailers.length - 1];
    if (match) {
      trailers.push({ key: match[1] ?? '', lines: [line], value: match[2] ?? '' });
    } else if (previous) {
      previous.lines.push(line);
      previous.value += ` ${line}`;
    }
  }
  return trailers;
}

/**
 * One trailer written twice: the key in any case (git matches keys so) and the value once its
 * whitespace is collapsed, so a folded continuation line equals the same value on one line.
 */
function sameTrailer({ key, value }: Trailer): string {
  return `${key.toLowerCase()}:${value.replace(/\s+/g, ' ').trim()}`;
}

function mergeTrailers(existing: ReadonlyArray<Trailer>, wanted: ReadonlyArray<{ key: string; values: string[] }>): string[] {
  const replaced = new Set(wanted.map(({ key }) => key.toLowerCase()));
  const seen = new Set<string>();
  const kept = existing
    .filter((trailer) => {
      if (replaced.has(trailer.key.toLowerCase())) return false;
      const id = sameTrailer(trailer);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .flatMap(({ lines }) => lines);
  const added = wanted.flatMap(({ key, values }) => values.map((value) => `${key}: ${value}`));
  return [...kept, ...added];
}
