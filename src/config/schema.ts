// The one schema of Shepherd's options. Option names are marge-bot's kebab style; each is also
// an environment variable (SHEPHERD_ + UPPER_SNAKE) and a key of the YAML config file.
// Each option's value schema accepts a raw value as any source delivers it (text from flags and
// the environment, text/number/boolean from YAML) and turns it into the typed value; a value
// that does not fit yields one issue whose message says what would be valid. Per-option facts
// (kind, default, help, secrecy) live in `optionRegistry`, keyed by the option's schema.

import path from 'node:path';
import { z } from 'zod';
import { isValidBranchName } from '../domain/backportCommands';
import { DEFAULT_BACKPORT_LABEL_PATTERN } from '../domain/backportLabels';
import { DURATION_FORMS, DurationError, parseDuration } from '../domain/duration';
import { EMBARGO_FORMS, EmbargoError, parseEmbargo } from '../domain/embargo';
import type { QueueMode, TrainWindow } from '../domain/mergeTrain';
import { evidenceRepoProblem, parseEvidenceRepo } from '../domain/evidence/repos';
import type { EvidencePerson, EvidenceRepo } from '../domain/evidence/types';
import { compileScopeRegexp } from '../domain/scope';
import { closestName } from './errors';
import type { QueueOverrideRule, QueueSettings } from './queueSettings';

export { DEFAULT_BACKPORT_LABEL_PATTERN };

export type OptionKind =
  | 'string'
  | 'url'
  | 'int'
  | 'bool'
  | 'duration'
  | 'size'
  | 'secret'
  | 'file'
  | 'dir'
  | 'enum'
  | 'regexp'
  | 'list';

/** One value as a source hands it over, before validation. */
export type RawScalar = string | number | boolean;

/**
 * A value as a source hands it over, before validation. List options also take a YAML list as
 * the file holds it: its items are mostly scalars, but may be empty, mappings (evidence-people)
 * or anything else YAML can write; the option's schema judges each one.
 */
export type RawValue = RawScalar | readonly unknown[];

export interface OptionMeta {
  readonly kind: OptionKind;
  /** One line for `--help`. */
  readonly help: string;
  /** Never shown, logged, or accepted as a flag. */
  readonly secret: boolean;
  /** Stands for the value in `--help`, e.g. URL or DURATION; empty for booleans. */
  readonly placeholder: string;
  /** The default as a user would write it; absent when the option is optional. */
  readonly default?: RawScalar;
}

export const optionRegistry = z.registry<OptionMeta>();

// ---------------------------------------------------------------------------------------------
// Value kinds

/** A converted value, or what would have been valid (and, when known, what exactly is wrong). */
type Converted<T> = { ok: true; value: T } | { ok: false; expected: string; reason?: string };

const accept = <T>(value: T): Converted<T> => ({ ok: true, value });
const reject = (expected: string, reason?: string): Converted<never> => ({ ok: false, expected, reason });

/**
 * Wraps a converter as a zod schema. A rejection becomes one custom issue: its message is what
 * would be valid, and `params.reason` (if any) what exactly is wrong. Secret kinds give no reason,
 * so nothing of a secret value reaches a message.
 */
function valueSchema<T>(convert: (raw: unknown) => Converted<T>): z.ZodType<T, unknown> {
  return z.unknown().transform((raw, ctx): T => {
    const result = convert(raw);
    if (result.ok) return result.value;
    const params = result.reason === undefined ? undefined : { reason: result.reason };
    ctx.issues.push({ code: 'custom', message: result.expected, params, input: raw });
    return z.NEVER;
  });
}

/** Text of a scalar; YAML turns `bot-name: 42` into a number, which is still meant as text. */
function scalarText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return undefined;
}

interface Kind<T> {
  readonly kind: OptionKind;
  readonly placeholder: string;
  readonly secret: boolean;
  readonly value: z.ZodType<T, unknown>;
}

function textKind(placeholder: string, check?: (text: string) => string | undefined): Kind<string> {
  return {
    kind: 'string',
    placeholder,
    secret: false,
    value: valueSchema((raw) => {
      const text = scalarText(raw);
      if (!text) return reject('expected a non-empty text');
      const problem = check?.(text);
      return problem ? reject(problem) : accept(text);
    }),
  };
}

const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?):(\d{1,5})$/i;

/** Temporal's gRPC address: a host (name, IPv4, or [IPv6]) and a port, nothing else. */
function checkHostPort(text: string): string | undefined {
  const port = HOST_PORT.exec(text)?.[1];
  const valid = port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
  return valid ? undefined : 'expected host:port, e.g. localhost:7233 or temporal.example.com:7233';
}

const URL_EXPECTED =
  'expected an http:// or https:// URL without user name or password, e.g. https://gitlab.example.com';

/**
 * A forge base URL. Credentials inside the URL are refused: they would leak into logs and
 * `shepherd config`, and the token has its own secret option. Trailing slashes are dropped so
 * callers can append paths.
 */
const urlKind: Kind<string> = {
  kind: 'url',
  placeholder: 'URL',
  secret: false,
  value: valueSchema((raw) => {
    const text = scalarText(raw);
    if (!text || !URL.canParse(text)) return reject(URL_EXPECTED);
    const url = new URL(text);
    const web = url.protocol === 'http:' || url.protocol === 'https:';
    if (!web || url.username !== '' || url.password !== '') return reject(URL_EXPECTED);
    return accept(text.replace(/\/+$/, ''));
  }),
};

function intKind(placeholder: string, min: number, max: number): Kind<number> {
  const expected = `expected a whole number from ${min} to ${max}`;
  return {
    kind: 'int',
    placeholder,
    secret: false,
    value: valueSchema((raw) => {
      // Strict digits only: Number('0x10'), Number('1e3') and Number('') would all slip through.
      const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
      if (!/^\d+$/.test(text)) return reject(expected);
      const value = Number(text);
      return value >= min && value <= max ? accept(value) : reject(expected);
    }),
  };
}

const BOOL_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, yes: true, no: false, 1: true, 0: false };

const boolKind: Kind<boolean> = {
  kind: 'bool',
  placeholder: '',
  secret: false,
  value: valueSchema((raw) => {
    if (typeof raw === 'boolean') return accept(raw);
    const word = scalarText(raw)?.toLowerCase();
    const value = word === undefined ? undefined : BOOL_WORDS[word];
    return value === undefined ? reject('expected one of true, false, yes, no, 1, 0') : accept(value);
  }),
};

/**
 * A duration in milliseconds. Zero is refused unless `allowZero`: nearly every duration option is
 * a timeout or interval, where zero makes no sense; a wait that may be skipped allows it.
 */
function durationKind(allowZero = false): Kind<number> {
  const expected = allowZero ? `expected a duration (0s for none): ${DURATION_FORMS}` : `expected a duration greater than zero: ${DURATION_FORMS}`;
  return {
    kind: 'duration',
    placeholder: 'DURATION',
    secret: false,
    value: valueSchema((raw) => {
      if (typeof raw !== 'string' && typeof raw !== 'number') return reject(expected);
      try {
        const ms = parseDuration(raw);
        return ms > 0 || allowZero ? accept(ms) : reject(expected, 'it is zero');
      } catch (error) {
        if (error instanceof DurationError) return reject(expected, error.reason);
        throw error;
      }
    }),
  };
}

const DURATION = durationKind();

const KIB = 1024;
const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: KIB,
  kb: KIB,
  kib: KIB,
  m: KIB ** 2,
  mb: KIB ** 2,
  mib: KIB ** 2,
  g: KIB ** 3,
  gb: KIB ** 3,
  gib: KIB ** 3,
};

/** What a size option accepts, for messages. */
export const SIZE_FORMS = 'bytes, or a number with b, kb, mb or gb (powers of 1024), e.g. 1mb, 512kb, 1.5mb, 1048576';

/**
 * A size in bytes. Units are powers of 1024, as in body-parser's `limit` ("1mb" is 1 MiB), so a
 * value reads the same here as in Express documentation. Bare numbers are bytes and must be
 * whole; `min` keeps a bare `1` (meant as 1mb?) from silently refusing everything.
 */
function sizeKind(min: number, max: number): Kind<number> {
  const human = (bytes: number): string => {
    for (const [unit, factor] of [['gb', KIB ** 3], ['mb', KIB ** 2], ['kb', KIB]] as const) {
      if (bytes % factor === 0) return `${bytes / factor}${unit}`;
    }
    return `${bytes}b`;
  };
  const expected = `expected a size from ${human(min)} to ${human(max)}: ${SIZE_FORMS}`;
  return {
    kind: 'size',
    placeholder: 'SIZE',
    secret: false,
    value: valueSchema((raw) => {
      const text = scalarText(raw)?.toLowerCase();
      const m = text === undefined ? null : /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text);
      if (!m) return reject(expected);
      const [, number, unit] = m;
      const factor = SIZE_UNITS[unit];
      if (factor === undefined) return reject(expected, `unknown unit "${unit}"`);
      if (factor === 1 && number.includes('.')) return reject(expected, 'bytes must be a whole number');
      const bytes = Math.floor(Number(number) * factor);
      if (bytes < min) return reject(expected, `it is below ${human(min)}`);
      if (bytes > max) return reject(expected, `it is above ${human(max)}`);
      return accept(bytes);
    }),
  };
}

function secretKind(placeholder: string): Kind<string> {
  return {
    kind: 'secret',
    placeholder,
    secret: true,
    value: valueSchema((raw) => {
      const text = typeof raw === 'string' ? raw.trim() : '';
      return text ? accept(text) : reject('expected a non-empty text');
    }),
  };
}

const fileKind: Kind<string> = {
  kind: 'file',
  placeholder: 'FILE',
  secret: false,
  value: valueSchema((raw) => {
    const text = scalarText(raw);
    return text ? accept(text) : reject('expected a file path');
  }),
};

/** A directory path; the loader checks it exists, as it checks `*-file` options. */
const dirKind: Kind<string> = {
  kind: 'dir',
  placeholder: 'DIR',
  secret: false,
  value: valueSchema((raw) => {
    const text = scalarText(raw);
    return text ? accept(text) : reject('expected a directory path');
  }),
};

/** One of fixed words; the message lists them all. Case-insensitive, as people write them in YAML. */
function enumKind<const T extends readonly [string, ...string[]]>(words: T): Kind<T[number]> {
  const expected = `expected one of ${words.join(', ')}`;
  return {
    kind: 'enum',
    placeholder: `{${words.join(',')}}`,
    secret: false,
    value: valueSchema((raw) => {
      const word = scalarText(raw)?.toLowerCase();
      const match = words.find((candidate) => candidate === word);
      return match === undefined ? reject(expected) : accept(match);
    }),
  };
}

/**
 * How Shepherd matches a `*-regexp` option, like marge-bot's `re.match`: anchored at the start
 * only, so `some_group/` matches every project of the group and `(?!exclude/me)` excludes one.
 * The syntax is JavaScript's (mostly Python's too; `(?P<name>…)` is spelled `(?<name>…)`).
 */
export function optionRegExp(source: string): RegExp {
  // The same compilation the merge queue uses, so what start-up accepts is what runs.
  return compileScopeRegexp('regexp', source);
}

function regexpKind(example: string): Kind<string> {
  const expected = `expected a JavaScript regular expression, matched from the start, e.g. ${example}`;
  return {
    kind: 'regexp',
    placeholder: 'REGEXP',
    secret: false,
    value: valueSchema((raw) => {
      const text = scalarText(raw);
      if (!text) return reject(expected, 'it is empty; .* matches everything');
      try {
        optionRegExp(text);
        return accept(text);
      } catch (error) {
        return reject(expected, error instanceof Error ? error.message : String(error));
      }
    }),
  };
}

/**
 * Merge embargoes as marge-bot writes them: weekly intervals separated by commas, e.g.
 * "Friday 1pm - Monday 9am". Empty means no embargo. Parsed now so a typo stops start-up
 * instead of surfacing when the first merge request is due; the value stays the text. The
 * parser's message is split like a duration's: its offending part and reason become the
 * reason, its accepted forms the expectation, and the message line shows the value itself.
 */
const embargoKind: Kind<string> = {
  kind: 'string',
  placeholder: 'INTERVAL[,..]',
  secret: false,
  value: valueSchema((raw) => {
    const expected = `expected ${EMBARGO_FORMS}; or nothing for no embargo`;
    const text = typeof raw === 'string' ? raw.trim() : undefined;
    if (text === undefined) return reject(expected);
    if (text === '') return accept('');
    try {
      parseEmbargo(text);
      return accept(text);
    } catch (error) {
      if (!(error instanceof EmbargoError)) throw error;
      return reject(expected, error.part === '' ? error.reason : `${JSON.stringify(error.part)} ${error.reason}`);
    }
  }),
};

// Backports: lists of names, the label pattern, and the admin mail's address and server.

/** What YAML made of a value meant as a name, when it was not text: "the number 1.1". */
function yamlReading(value: number | boolean): string {
  return `YAML read it as ${typeof value === 'number' ? 'the number' : 'the boolean'} ${String(value)}; quote it to keep it as written`;
}

interface ListSpec {
  readonly placeholder: string;
  /** What separates the names in text (a flag, a variable, or a YAML string). */
  readonly separator: RegExp;
  /** What the whole value should be, for messages. */
  readonly expected: string;
  /** One name in a message: `branch "a..b"`. */
  readonly noun: string;
  /** Why one name is refused, if it is. */
  readonly problem: (name: string) => string | undefined;
}

/**
 * A list of names: a YAML list, or text split at `separator` (flags and the environment only
 * have text). Names are trimmed; empty ones and repeats are dropped. Each refused name is its own
 * issue whose `params.part` names it, so one message per bad name shows that name alone.
 */
function listKind(spec: ListSpec): Kind<string[]> {
  return {
    kind: 'list',
    placeholder: spec.placeholder,
    secret: false,
    value: z.unknown().transform((raw, ctx): string[] => {
      let refused = false;
      const refuse = (params: { part?: string; reason: string }) => {
        refused = true;
        ctx.issues.push({ code: 'custom', message: spec.expected, params, input: raw });
      };
      if (typeof raw === 'number' || typeof raw === 'boolean') {
        refuse({ reason: yamlReading(raw) });
        return z.NEVER;
      }
      if (typeof raw !== 'string' && !Array.isArray(raw)) {
        refuse({ reason: 'it is neither text nor a list' });
        return z.NEVER;
      }
      // A YAML list item is one name as written: splitting it would turn "release 1" into two branches.
      const items: readonly unknown[] = typeof raw === 'string' ? raw.split(spec.separator) : raw;
      const names: string[] = [];
      const seen = new Set<string>();
      for (const item of items) {
        if (item === null || item === undefined) continue;
        if (typeof item === 'number' || typeof item === 'boolean') {
          refuse({ part: `${spec.noun} ${String(item)}`, reason: yamlReading(item) });
          continue;
        }
        if (typeof item !== 'string') {
          refuse({ part: `a ${spec.noun} that is a YAML ${Array.isArray(item) ? 'list' : 'mapping'}`, reason: 'each item must be one name' });
          continue;
        }
        const name = item.trim();
        if (name === '' || seen.has(name)) continue;
        seen.add(name);
        const problem = spec.problem(name);
        if (problem === undefined) names.push(name);
        else refuse({ part: `${spec.noun} ${JSON.stringify(name)}`, reason: problem });
      }
      return refused ? z.NEVER : names;
    }),
  };
}

const REF_SPECIALS = ['~', '^', ':', '?', '*', '[', '\\'];

/**
 * Why git would refuse `name` as a branch name, in words. The verdict is `isValidBranchName`'s,
 * the one the backport commands use, so the options and the commands accept the same names;
 * this only finds the words for the rule that was broken.
 */
function branchNameProblem(name: string): string | undefined {
  if (isValidBranchName(name)) return undefined;
  const special = [...name].find((char) => REF_SPECIALS.includes(char));
  const parts = name.split('/');
  if (name.includes(' ')) return 'it contains a space';
  if ([...name].some((char) => char < ' ' || char === '\x7f')) return 'it contains a control character';
  if (special !== undefined) return `it contains ${JSON.stringify(special)}`;
  for (const sequence of ['..', '@{', '//']) if (name.includes(sequence)) return `it contains ${JSON.stringify(sequence)}`;
  for (const start of ['-', '/', '.']) if (name.startsWith(start)) return `it starts with ${JSON.stringify(start)}`;
  for (const end of ['/', '.lock', '.']) if (name.endsWith(end)) return `it ends with ${JSON.stringify(end)}`;
  if (parts.some((part) => part.startsWith('.'))) return 'a part between slashes starts with "."';
  if (parts.some((part) => part.endsWith('.lock'))) return 'a part between slashes ends with ".lock"';
  if (name === '@' || name === 'HEAD') return `git reserves ${JSON.stringify(name)}`;
  return 'git does not accept it as a branch name';
}

const BRANCH_RULES =
  'no space, control character or any of ~ ^ : ? * [ \\; no "..", "@{" or "//"; not starting with "-", "/" or "."; ' +
  'not ending with "/", "." or ".lock"; no part between slashes starting with "." or ending with ".lock"; not "@" or "HEAD"';

const branchListKind = listKind({
  placeholder: 'BRANCH[,..]',
  separator: /[\s,]+/,
  expected: `expected branch names separated by commas or spaces, each one git accepts: ${BRANCH_RULES}`,
  noun: 'branch',
  problem: branchNameProblem,
});

// GitLab takes labels as one comma-separated text and refuses commas in label names, so a comma
// can only be a separator; spaces belong to names such as "needs review".
const labelListKind = listKind({
  placeholder: 'LABEL[,..]',
  separator: /,/,
  expected: 'expected label names separated by commas, e.g. "backport,needs review"',
  noun: 'label',
  problem: (name) => (name.includes(',') ? 'a label name cannot contain a comma' : undefined),
});


/**
 * How many capturing groups `pattern` has. The empty alternative makes the expression match ''
 * whatever it is, and a match has one slot per capturing group (named ones too; not `(?:…)` or
 * lookarounds), so this counts what the parser counts rather than guessing from brackets.
 */
function captureGroups(pattern: RegExp): number {
  const match = new RegExp(`${pattern.source}|`, pattern.flags).exec('');
  return match === null ? 0 : match.length - 1;
}

/**
 * backport-label-pattern: applied unanchored to each label (anchor it with ^ and $), its one
 * capturing group is the destination branch. The value stays the source text.
 */
const labelPatternKind: Kind<string> = {
  kind: 'regexp',
  placeholder: 'REGEXP',
  secret: false,
  value: valueSchema((raw) => {
    const expected =
      'expected a JavaScript regular expression with exactly one capture group, the destination branch, ' +
      `e.g. ${DEFAULT_BACKPORT_LABEL_PATTERN} (write other groups as (?:...))`;
    const text = scalarText(raw);
    if (!text) return reject(expected, 'it is empty');
    let pattern: RegExp;
    try {
      pattern = new RegExp(text);
    } catch (error) {
      return reject(expected, error instanceof Error ? error.message : String(error));
    }
    const groups = captureGroups(pattern);
    if (groups === 1) return accept(text);
    return reject(expected, groups === 0 ? 'it has no capture group' : `it has ${groups} capture groups`);
  }),
};

// One address, as GitLab and most mail servers take it: no display name, ASCII domain.
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

function checkEmail(text: string): string | undefined {
  return EMAIL.test(text) ? undefined : 'expected one email address, e.g. shepherd-admin@example.com';
}

const SMTP_URL_EXPECTED =
  'expected smtp://[user:password@]host[:port] (STARTTLS when the server offers it) or smtps://[user:password@]host[:port] ' +
  '(TLS from the start), with special characters of user and password percent-encoded (e.g. # as %23), without path or query';

/**
 * The admin mail's server. It carries the SMTP password, so it is a secret: every reason below is
 * a fixed phrase, never a part of the value. The checks are the mailer's (adminMail.ts), made at
 * start-up so a typo shows now rather than when the first error needs reporting.
 */
const smtpUrlKind: Kind<string> = {
  kind: 'secret',
  placeholder: 'URL',
  secret: true,
  value: valueSchema((raw) => {
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '' || !URL.canParse(text)) return reject(SMTP_URL_EXPECTED, 'it is not a URL');
    const url = new URL(text);
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return reject(SMTP_URL_EXPECTED, 'it is not an smtp:// or smtps:// URL');
    if (url.hostname === '') return reject(SMTP_URL_EXPECTED, 'it has no host');
    // The mailer reads no options from the URL; ignoring them would ignore what the admin asked for.
    if (url.search !== '') return reject(SMTP_URL_EXPECTED, 'it has a query string');
    // A fragment or path is most often an unencoded # or / in the password.
    if (url.hash !== '') return reject(SMTP_URL_EXPECTED, 'it has a "#" part');
    if (url.pathname !== '' && url.pathname !== '/') return reject(SMTP_URL_EXPECTED, 'it has a path');
    return accept(text);
  }),
};

export const BACKPORT_CONFLICTS = ['comment', 'draft'] as const;
export type BackportConflicts = (typeof BACKPORT_CONFLICTS)[number];

// Monthly evidence report: repositories, people, the schedule, and where the zips and the summary go.

/** What a Bitbucket, GitLab or GitHub repository of the report looks like, for messages. */
const REPO_FORMS = 'bitbucket:workspace/repo, gitlab:group/project (subgroups allowed) or github:owner/repo';

/** evidence-repos: a list like backport-branches, each entry checked and parsed by the evidence domain. */
const evidenceRepoListKind: Kind<EvidenceRepo[]> = (() => {
  const names = listKind({
    placeholder: 'FORGE:PATH[,..]',
    separator: /[\s,]+/,
    expected: `expected repositories separated by commas or spaces, each ${REPO_FORMS}`,
    noun: 'repository',
    problem: evidenceRepoProblem,
  });
  return { ...names, value: names.value.transform((ids) => ids.map(parseEvidenceRepo)) };
})();

const PEOPLE_EXPECTED =
  'expected people separated by ";" or newlines, each "Name <email>" optionally followed by aliases (other emails or forge usernames) ' +
  'separated by commas or spaces, e.g. "Ana García <ana@example.com> ana.g, ana@old.example.com; Joan Puig <joan@example.com>"; ' +
  'in the config file also a list of such texts or of mappings with name, email and optionally aliases';

type PersonOrProblem = { person: EvidencePerson } | { problem: string };

/** `Ana García <ana@example.com> ana.g, ana@old.example.com`, as evidence-people is written. */
export function formatEvidencePerson(person: EvidencePerson): string {
  const aliases = person.aliases.length > 0 ? ` ${person.aliases.join(', ')}` : '';
  return `${person.name} <${person.email}>${aliases}`;
}

/** One alias: another email (checked like one), or a forge username (one word). */
function aliasProblem(alias: string): string | undefined {
  if (alias.includes('@')) return EMAIL.test(alias) ? undefined : `alias ${JSON.stringify(alias)} is not one email address`;
  const bad = /[\s<>,;]/.exec(alias)?.[0];
  return bad === undefined ? undefined : `alias ${JSON.stringify(alias)} contains ${JSON.stringify(bad)}; a username is one word`;
}

/** The checks every person gets, however written. Aliases repeating the email or each other are dropped. */
function checkedPerson(name: string, email: string, aliases: readonly unknown[]): PersonOrProblem {
  const badInName = /[<>;\n]/.exec(name)?.[0];
  if (badInName !== undefined) return { problem: `the name contains ${JSON.stringify(badInName)}` };
  if (!EMAIL.test(email)) return { problem: `${JSON.stringify(email)} is not one email address, e.g. ana@example.com` };
  const kept: string[] = [];
  const seen = new Set([email.toLowerCase()]);
  for (const alias of aliases) {
    if (typeof alias === 'number' || typeof alias === 'boolean') return { problem: `alias ${String(alias)}: ${yamlReading(alias)}` };
    if (typeof alias !== 'string') return { problem: 'each alias must be a text: an email or a forge username' };
    const text = alias.trim();
    if (text === '' || seen.has(text.toLowerCase())) continue;
    const problem = aliasProblem(text);
    if (problem !== undefined) return { problem };
    seen.add(text.toLowerCase());
    kept.push(text);
  }
  return { person: { name, email, aliases: kept } };
}

const ALIAS_SEPARATOR = /[\s,]+/;

function personFromText(entry: string): PersonOrProblem {
  const m = /^([^<>]*)<([^<>]*)>([^<>]*)$/.exec(entry);
  if (!m) {
    return {
      problem: /[<>]/.test(entry)
        ? 'expected exactly one <email>, after the name; other emails are aliases, written without <>'
        : 'it has no <email>; write Name <email>',
    };
  }
  const [, name = '', email = '', rest = ''] = m;
  if (name.trim() === '') return { problem: 'it has no name before the <email>' };
  return checkedPerson(name.trim(), email.trim(), rest.split(ALIAS_SEPARATOR));
}

const PERSON_KEYS = ['name', 'email', 'aliases'];

function personFromMapping(mapping: Readonly<Record<string, unknown>>): PersonOrProblem {
  const unknown = Object.keys(mapping).find((key) => !PERSON_KEYS.includes(key));
  if (unknown !== undefined) return { problem: `it has the unknown key ${JSON.stringify(unknown)}; a person has name, email and aliases` };
  const { name, email, aliases } = mapping;
  if (typeof name !== 'string' || name.trim() === '') return { problem: 'it has no name (a text)' };
  if (typeof email !== 'string' || email.trim() === '') return { problem: 'it has no email (a text)' };
  if (aliases !== undefined && aliases !== null && typeof aliases !== 'string' && !Array.isArray(aliases)) {
    return { problem: 'its aliases must be a list, or a text separated by commas or spaces' };
  }
  const list: readonly unknown[] = typeof aliases === 'string' ? aliases.split(ALIAS_SEPARATOR) : Array.isArray(aliases) ? aliases : [];
  return checkedPerson(name.trim(), email.trim(), list);
}

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * evidence-people: text (flags, the environment, a YAML string) holds people separated by ";" or
 * newlines; a YAML list holds one person per item, as text or as a mapping. Every problem is its
 * own issue whose `params.part` names the person. An email or alias may belong to one person
 * only, and so may a name (the report files evidence by name); both people are named.
 */
const evidencePeopleKind: Kind<EvidencePerson[]> = {
  kind: 'list',
  placeholder: 'PEOPLE',
  secret: false,
  value: z.unknown().transform((raw, ctx): EvidencePerson[] => {
    let refused = false;
    const refuse = (params: { part?: string; reason: string }) => {
      refused = true;
      ctx.issues.push({ code: 'custom', message: PEOPLE_EXPECTED, params, input: raw });
    };
    if (typeof raw !== 'string' && !Array.isArray(raw)) {
      refuse({ reason: 'it is neither text nor a list' });
      return z.NEVER;
    }
    const items: readonly unknown[] =
      typeof raw === 'string' ? raw.split(/[;\n]/).filter((entry) => entry.trim() !== '') : raw.filter((item) => item !== null && item !== undefined);
    const people: Array<{ person: EvidencePerson; label: string; part: string }> = [];
    items.forEach((item, index) => {
      const number = `person ${index + 1}`;
      let result: PersonOrProblem;
      let part: string;
      if (typeof item === 'string') {
        const entry = item.trim();
        part = `${number} ${JSON.stringify(entry)}`;
        result =
          Array.isArray(raw) && /[;\n]/.test(entry)
            ? { problem: 'a list item is one person; give each person an item of its own' }
            : personFromText(entry);
      } else if (isMapping(item)) {
        part = `${number} ${typeof item.name === 'string' ? JSON.stringify(item.name.trim()) : '(a mapping)'}`;
        result = personFromMapping(item);
      } else {
        part = number;
        result = {
          problem:
            typeof item === 'number' || typeof item === 'boolean'
              ? yamlReading(item)
              : 'each item must be one person: a text or a mapping with name, email and aliases',
        };
      }
      if ('problem' in result) refuse({ part, reason: result.problem });
      else people.push({ person: result.person, label: `${number} ${JSON.stringify(result.person.name)}`, part });
    });
    const owners = new Map<string, string>();
    const names = new Map<string, string>();
    for (const { person, label, part } of people) {
      const nameOwner = names.get(person.name.toLowerCase());
      if (nameOwner !== undefined) {
        refuse({ part, reason: `${nameOwner} has the same name; the report files each person's evidence by name` });
        continue;
      }
      names.set(person.name.toLowerCase(), label);
      for (const key of [person.email, ...person.aliases]) {
        const owner = owners.get(key.toLowerCase());
        if (owner === undefined) owners.set(key.toLowerCase(), label);
        else refuse({ part, reason: `${JSON.stringify(key)} is also an email or alias of ${owner}` });
      }
    }
    return refused ? z.NEVER : people.map(({ person }) => person);
  }),
};

const MONTH_WORDS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAY_WORDS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names Temporal takes for values: prefixes of `words` of at least `shortest` letters, any case. */
  readonly names?: { readonly words: readonly string[]; readonly first: number; readonly shortest: number; readonly what: string };
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: { words: MONTH_WORDS, first: 1, shortest: 3, what: 'month name such as jan' } },
  { name: 'day-of-week', min: 0, max: 7, names: { words: WEEKDAY_WORDS, first: 0, shortest: 2, what: 'weekday name such as mon' } },
];

/** One value of a cron field: a number in range, or (month, weekday) a name; else why not. */
function cronValue(text: string, field: CronField): number | { problem: string } {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : { problem: `${field.name} ${text} is out of range ${field.min}-${field.max}` };
  }
  const { names } = field;
  const word = text.toLowerCase();
  if (names && /^[a-z]+$/.test(word) && word.length >= names.shortest) {
    const index = names.words.findIndex((candidate) => candidate.startsWith(word));
    if (index >= 0) return index + names.first;
  }
  if (text === '?') return { problem: `${field.name} "?": Temporal does not take "?"; write *` };
  const alternatives = names ? ` or a ${names.what}` : '';
  return { problem: `${field.name} ${JSON.stringify(text)} is not a number from ${field.min} to ${field.max}${alternatives}` };
}

/**
 * Why one field of a cron expression is not one Temporal's schedule parser takes: a comma list
 * of `*`, values and `a-b` ranges, each optionally with a step `/n` (`a/n` runs from a to the end).
 */
function cronFieldProblem(text: string, field: CronField): string | undefined {
  for (const item of text.split(',')) {
    if (item === '') return `${field.name} ${JSON.stringify(text)} has an empty list item`;
    const [range = '', step, ...more] = item.split('/');
    if (more.length > 0) return `${field.name} ${JSON.stringify(item)} has more than one "/"`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) {
      return `${field.name} ${JSON.stringify(item)}: the step after "/" must be a whole number of 1 or more`;
    }
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `${field.name} ${JSON.stringify(item)} has more than one "-"`;
    const values: number[] = [];
    for (const bound of bounds) {
      if (bound === '') return `${field.name} ${JSON.stringify(item)} has an empty value`;
      const value = cronValue(bound, field);
      if (typeof value !== 'number') return value.problem;
      values.push(value);
    }
    const [start = 0, end = start] = values;
    if (end < start) return `${field.name} range ${JSON.stringify(range)} runs backwards`;
  }
  return undefined;
}

const CRON_EXPECTED =
  'expected a cron expression of 5 fields separated by spaces, minute hour day-of-month month day-of-week, ' +
  'e.g. "0 4 1 * *" (04:00 on the 1st of every month); each field is *, a number, a range a-b or a list a,b,c, ' +
  'each optionally with a step /n; months may be named (jan-dec) and weekdays too (sun-sat; 0 and 7 are Sunday)';

/** evidence-cron: checked field by field as Temporal's schedules read it; the value is the fields, one space apart. */
const cronKind: Kind<string> = {
  kind: 'string',
  placeholder: 'CRON',
  secret: false,
  value: valueSchema((raw) => {
    const text = typeof raw === 'string' ? raw.trim() : undefined;
    if (!text) return reject(CRON_EXPECTED, text === undefined ? undefined : 'it is empty');
    if (/^(?:CRON_)?TZ=/i.test(text)) return reject(CRON_EXPECTED, 'set the time zone with evidence-timezone, not in the expression');
    if (text.startsWith('@')) return reject(CRON_EXPECTED, `write ${text.split(/\s/)[0] ?? text} as its 5 fields`);
    const fields = text.split(/\s+/);
    if (fields.length !== CRON_FIELDS.length) return reject(CRON_EXPECTED, `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`);
    for (const [index, field] of CRON_FIELDS.entries()) {
      const problem = cronFieldProblem(fields[index] ?? '', field);
      if (problem !== undefined) return reject(CRON_EXPECTED, problem);
    }
    return accept(fields.join(' '));
  }),
};

/**
 * evidence-timezone: a zone `Intl` knows. Offsets are refused although newer ICU takes them:
 * Temporal's server loads zones by IANA name. A name Intl knows in another case is kept in
 * Intl's case ("europe/madrid" becomes "Europe/Madrid"), since the server's lookup is case-sensitive.
 */
const timeZoneKind: Kind<string> = {
  kind: 'string',
  placeholder: 'ZONE',
  secret: false,
  value: valueSchema((raw) => {
    const expected = 'expected an IANA time zone name, e.g. UTC, Europe/Madrid or America/New_York';
    const text = scalarText(raw);
    if (!text) return reject(expected, 'it is empty');
    if (/^[+-]\d/.test(text)) return reject(expected, 'it is an offset; name a zone instead, e.g. Etc/GMT-1 for +01:00 all year');
    let resolved: string;
    try {
      resolved = new Intl.DateTimeFormat('en', { timeZone: text }).resolvedOptions().timeZone;
    } catch (error) {
      if (error instanceof RangeError) return reject(expected, 'no such time zone');
      throw error;
    }
    return accept(resolved.toLowerCase() === text.toLowerCase() ? resolved : text);
  }),
};

const S3_KEY_EXPECTED =
  'expected an S3 key with {person} (each person gets a zip of their own) and optionally {month} (YYYY-MM), ' +
  'e.g. evidences/{month}/{person}.zip; no other {placeholder}';

/**
 * evidence-s3-key: a template with {person} and maybe {month}, nothing else between braces; not
 * starting with "/" (an S3 key does not) nor ending with one (that names a folder). These are
 * the rules the upload applies too, so a template start-up accepts is one the report can use.
 */
const s3KeyKind: Kind<string> = {
  kind: 'string',
  placeholder: 'TEMPLATE',
  secret: false,
  value: valueSchema((raw) => {
    const text = scalarText(raw);
    if (!text) return reject(S3_KEY_EXPECTED, 'it is empty');
    if (text.startsWith('/')) return reject(S3_KEY_EXPECTED, 'it starts with "/", which an S3 key does not');
    if (text.endsWith('/')) return reject(S3_KEY_EXPECTED, 'it ends with "/", which names a folder, not a file');
    const unknown = [...text.matchAll(/\{([^{}]*)\}/g)].find(([, name]) => name !== 'person' && name !== 'month');
    if (unknown) return reject(S3_KEY_EXPECTED, `it has the unknown placeholder ${unknown[0]}`);
    if (/[{}]/.test(text.replace(/\{(?:person|month)\}/g, ''))) return reject(S3_KEY_EXPECTED, 'it has a "{" or "}" outside a placeholder');
    if (!text.includes('{person}')) return reject(S3_KEY_EXPECTED, "it has no {person}, so everyone's zip would get the same key");
    return accept(text);
  }),
};

/**
 * An http(s) URL of the evidence report's services. Credentials, a query and a "#" part are
 * refused: credentials have their own secret options, and the clients append paths. With
 * `stripSlash`, one trailing slash is dropped (for clients that append "/path"); otherwise the
 * URL is kept as given.
 */
function webUrlKind(example: string, stripSlash: boolean): Kind<string> {
  const expected = `expected an http:// or https:// URL without user name, password, query or "#" part, e.g. ${example}`;
  return {
    kind: 'url',
    placeholder: 'URL',
    secret: false,
    value: valueSchema((raw) => {
      const text = scalarText(raw);
      if (!text || !URL.canParse(text)) return reject(expected, 'it is not a URL');
      const url = new URL(text);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(expected, 'it is not an http:// or https:// URL');
      if (url.username !== '' || url.password !== '') return reject(expected, 'it has a user name or password; credentials have their own options');
      if (url.search !== '' || text.includes('?')) return reject(expected, 'it has a query string');
      if (url.hash !== '' || text.includes('#')) return reject(expected, 'it has a "#" part');
      return accept(stripSlash && text.endsWith('/') ? text.slice(0, -1) : text);
    }),
  };
}

/** A Slack channel as chat.postMessage takes it: #name or an ID. */
function checkSlackChannel(text: string): string | undefined {
  return /\s/.test(text) ? 'expected a Slack channel, #name or an ID such as C0123456789, without spaces' : undefined;
}

// Queue modes: the kinds of the queue options, shared by the options and by queue-overrides, so a
// value reads the same in both places.

export const QUEUE_MODES = ['serial', 'batch', 'train'] as const satisfies readonly QueueMode[];
export const TRAIN_WINDOWS = ['fixed', 'adaptive'] as const satisfies readonly TrainWindow[];

const QUEUE_MODE = enumKind(QUEUE_MODES);
const MAX_PARALLEL_PIPELINES = intKind('COUNT', 1, 64);
const MAX_BATCH_SIZE = intKind('COUNT', 1, 100);
const BATCH_MIN_WAIT = durationKind(true);
const CI_RETRIES = intKind('COUNT', 0, 10);
const TRAIN_WINDOW = enumKind(TRAIN_WINDOWS);

/** Each queue option: the `TrainSettings` field it sets, its kind, and a value for examples. */
const QUEUE_OPTION_KINDS = {
  'queue-mode': { field: 'mode', kind: QUEUE_MODE, example: 'train' },
  'max-parallel-pipelines': { field: 'maxParallelPipelines', kind: MAX_PARALLEL_PIPELINES, example: '8' },
  'max-batch-size': { field: 'maxBatchSize', kind: MAX_BATCH_SIZE, example: '4' },
  'batch-min-wait': { field: 'batchMinWaitMs', kind: BATCH_MIN_WAIT, example: '2min' },
  'ci-retries': { field: 'ciRetries', kind: CI_RETRIES, example: '1' },
  'train-window': { field: 'window', kind: TRAIN_WINDOW, example: 'adaptive' },
  'train-optimistic': { field: 'optimistic', kind: boolKind, example: 'false' },
} as const satisfies Readonly<Record<string, QueueOptionKind>>;

/** An option's field and a kind that yields exactly that field's type. */
type QueueOptionKind = {
  [F in keyof QueueSettings]: { readonly field: F; readonly kind: Kind<QueueSettings[F]>; readonly example: string };
}[keyof QueueSettings];

type QueueOptionName = keyof typeof QUEUE_OPTION_KINDS;

/** The options a queue-overrides rule may set, in the order `--help` lists them. */
export const QUEUE_OVERRIDE_OPTIONS = Object.keys(QUEUE_OPTION_KINDS) as readonly QueueOptionName[];

const RULE_FORM = '<project-regexp>[@<branch-regexp>] <option>=<value> [<option>=<value> ...]';
const RULE_EXAMPLE = 'group/app@main queue-mode=train max-parallel-pipelines=8';

/** A problem with one rule: which rule, what exactly is wrong, and what would be valid. */
interface RuleProblem {
  /** "rule 2 \"group/lib queue-mode=fast\"" */
  part: string;
  reason: string;
  expected: string;
}

/**
 * queue-overrides as rules: separated by newlines or ";", each a project regexp, optionally "@"
 * and a target branch regexp, then option=value settings. Empty rules are skipped, so a trailing
 * ";" or blank line is harmless. Every problem of every rule is reported, each naming its rule.
 */
export function parseQueueOverrides(text: string): { rules: QueueOverrideRule[]; problems: RuleProblem[] } {
  const rules: QueueOverrideRule[] = [];
  const problems: RuleProblem[] = [];
  const written = text
    .split(/[;\n]/)
    .map((rule) => rule.trim())
    .filter((rule) => rule !== '');
  written.forEach((rule, index) => {
    const part = `rule ${index + 1} ${JSON.stringify(rule)}`;
    const found: RuleProblem[] = [];
    const problem = (reason: string, expected: string) => found.push({ part, reason, expected });
    const [scope = '', ...assignments] = rule.split(/\s+/);
    const at = scope.indexOf('@');
    const project = at === -1 ? scope : scope.slice(0, at);
    const branch = at === -1 ? undefined : scope.slice(at + 1);
    const settings: Partial<Record<keyof QueueSettings, unknown>> = {};

    const named = scope.includes('=') ? scope.slice(0, scope.indexOf('=')) : undefined;
    if (named !== undefined && Object.hasOwn(QUEUE_OPTION_KINDS, named)) {
      problem(`it starts with ${scope}, not with a project regexp`, `expected ${RULE_FORM}, e.g. .* ${scope} for every project`);
    } else {
      checkRuleRegexp('project', project, 'every project', problem);
      if (branch !== undefined) checkRuleRegexp('branch', branch, 'every branch', problem);
    }
    if (assignments.length === 0 && named === undefined) problem('it sets no option', `expected ${RULE_FORM}, e.g. ${RULE_EXAMPLE}`);
    for (const assignment of assignments) {
      const equals = assignment.indexOf('=');
      const option = equals === -1 ? assignment : assignment.slice(0, equals);
      if (!Object.hasOwn(QUEUE_OPTION_KINDS, option)) {
        const suggestion = closestName(option, QUEUE_OVERRIDE_OPTIONS);
        const unknown = option === '' ? `${JSON.stringify(assignment)} names no option` : `unknown option ${option}`;
        problem(
          suggestion ? `${unknown}; did you mean ${suggestion}?` : unknown,
          `expected option=value with one of the options ${QUEUE_OVERRIDE_OPTIONS.join(', ')}`,
        );
        continue;
      }
      const { field, kind, example } = QUEUE_OPTION_KINDS[option as QueueOptionName];
      if (equals === -1) {
        problem(`${option} has no value`, `expected ${option}=<value>, e.g. ${option}=${example}`);
        continue;
      }
      const value = assignment.slice(equals + 1);
      const parsed = kind.value.safeParse(value);
      if (parsed.success) {
        settings[field] = parsed.data;
        continue;
      }
      for (const issue of parsed.error.issues) {
        const why = issue.code === 'custom' && typeof issue.params?.reason === 'string' ? `: ${issue.params.reason}` : '';
        problem(`${assignment}${why}`, `expected ${option} to be ${issue.message.replace(/^expected /, '')}`);
      }
    }
    problems.push(...found);
    if (found.length === 0) {
      rules.push({ rule, project, ...(branch !== undefined && { branch }), settings: settings as Partial<QueueSettings> });
    }
  });
  return { rules, problems };
}

function checkRuleRegexp(
  which: 'project' | 'branch',
  source: string,
  everything: string,
  problem: (reason: string, expected: string) => void,
): void {
  const example = which === 'project' ? 'group/app or group/.*' : 'main or release-.*';
  const expected = `expected the ${which} regexp to be a JavaScript regular expression, matched from the start, e.g. ${example}`;
  if (source === '') {
    const hint = which === 'branch' ? '; leave out "@" for every branch' : '';
    problem(`its ${which} regexp is empty${hint}`, `${expected}; .* matches ${everything}`);
    return;
  }
  try {
    optionRegExp(source);
  } catch (error) {
    // optionRegExp's message repeats the source; the reason names it once.
    const why = (error instanceof Error ? error.message : String(error)).replace(`Invalid regexp ${JSON.stringify(source)}: `, '');
    problem(`${which} regexp ${JSON.stringify(source)}: ${why}`, expected);
  }
}

/**
 * queue-overrides as parsed rules. Each bad rule (or bad part of one) is its own issue, whose
 * `params.part` names the rule: the loader shows that part instead of the whole value.
 */
const queueOverridesKind: Kind<QueueOverrideRule[]> = {
  kind: 'string',
  placeholder: 'RULES',
  secret: false,
  value: z.unknown().transform((raw, ctx): QueueOverrideRule[] => {
    const text = typeof raw === 'string' ? raw : undefined;
    if (text === undefined) {
      ctx.issues.push({ code: 'custom', message: `expected text: rules separated by newlines or ";", each ${RULE_FORM}`, input: raw });
      return z.NEVER;
    }
    const { rules, problems } = parseQueueOverrides(text);
    for (const { part, reason, expected } of problems) {
      ctx.issues.push({ code: 'custom', message: expected, params: { part, reason }, input: raw });
    }
    return problems.length === 0 ? rules : z.NEVER;
  }),
};

/** The orders marge-bot can take merge requests in: when created, last updated, or assigned to the bot. */
export const MERGE_ORDERS = ['created_at', 'updated_at', 'assigned_at'] as const;
export type MergeOrder = (typeof MERGE_ORDERS)[number];

const PORT = intKind('PORT', 0, 65535);

// ---------------------------------------------------------------------------------------------
// Options

function optional<T>(kind: Kind<T>, help: string) {
  const schema = kind.value.optional();
  optionRegistry.add(schema, { kind: kind.kind, placeholder: kind.placeholder, secret: kind.secret, help });
  return schema;
}

/** `prefault` runs the default through the value schema, so defaults are written like user input. */
function defaulted<T>(kind: Kind<T>, defaultValue: RawScalar, help: string) {
  const schema = kind.value.prefault(defaultValue);
  optionRegistry.add(schema, {
    kind: kind.kind,
    placeholder: kind.placeholder,
    secret: kind.secret,
    help,
    default: defaultValue,
  });
  return schema;
}

// Options are declared in groups, in the order `--help` and `shepherd config` list them; marge-bot's
// options keep marge-bot's names, defaults and meaning.

const gitlabOptions = {
  'gitlab-url': optional(urlKind, 'Your GitLab instance, e.g. "https://gitlab.example.com".'),
  'auth-token': optional(
    secretKind('TOKEN'),
    'GitLab access token of the bot user. Secret: environment, config file or --auth-token-file only.',
  ),
  'auth-token-file': optional(fileKind, 'Path to a file holding the GitLab access token (read and trimmed).'),
  'gitlab-webhook-secret': optional(
    secretKind('SECRET'),
    'Token GitLab sends as X-Gitlab-Token with each webhook. Secret: environment, config file or --gitlab-webhook-secret-file only.',
  ),
  'gitlab-webhook-secret-file': optional(fileKind, 'Path to a file holding the GitLab webhook secret (read and trimmed).'),
};

const gitOptions = {
  'use-https': defaulted(
    boolKind,
    false,
    'Use HTTPS (with the auth token) instead of SSH for git access. Without an SSH key Shepherd uses HTTPS anyway.',
  ),
  'ssh-key': optional(
    secretKind('KEY'),
    'The private SSH key the bot clones and pushes with. Secret: environment, config file or --ssh-key-file only.',
  ),
  'ssh-key-file': optional(fileKind, 'Path to the private SSH key the bot clones and pushes with.'),
  'git-reference-repo': optional(dirKind, 'A reference repository to be used when git cloning (git clone --reference).'),
  'git-timeout': defaulted(DURATION, '120s', 'How long a single git operation can take.'),
};

const selectionOptions = {
  'project-regexp': defaulted(
    regexpKind("'some_group/.*' or '(?!exclude/me)'"),
    '.*',
    "Only process projects whose path matches (from the start); e.g. 'some_group/.*' or '(?!exclude/me)'.",
  ),
  'branch-regexp': defaulted(
    regexpKind("'main' or '(?!main)'"),
    '.*',
    'Only process merge requests whose target branches match the given regular expression (from the start).',
  ),
  'source-branch-regexp': defaulted(
    regexpKind("'feature/'"),
    '.*',
    'Only process merge requests whose source branches match the given regular expression (from the start).',
  ),
  'merge-label': optional(
    textKind('LABEL'),
    'A label that queues a merge request like assigning it to the bot does (Shepherd addition; default: assignment only).',
  ),
  'priority-label': optional(
    textKind('LABEL'),
    'A label that puts a merge request the bot is asked to merge ahead of the ones waiting in its queue, like `@bot merge priority=high` (default: none).',
  ),
  'require-merge-permission': defaulted(
    boolKind,
    false,
    'When true, whoever asks the bot to merge (who assigned it, added the merge label or wrote the merge command) must be allowed to merge into the target branch by its protection rules; otherwise the bot refuses with a comment.',
  ),
  'merge-order': defaulted(
    enumKind(MERGE_ORDERS),
    'created_at',
    'Order in which queued merge requests are merged: created_at (default), updated_at or assigned_at.',
  ),
};

const mergeOptions = {
  embargo: defaulted(
    embargoKind,
    '',
    'Time(s) during which no merging is to take place, e.g. "Friday 1pm - Monday 9am"; several separated by commas.',
  ),
  'use-merge-strategy': defaulted(
    boolKind,
    false,
    'Use git merge instead of git rebase to update the *source* branch, for a strict no-rebase workflow (experimental; rarely what you want).',
  ),
  'rebase-remotely': defaulted(
    boolKind,
    false,
    "Rebase with GitLab's rebase API instead of in a local clone; no trailers can be added to commits then.",
  ),
  'add-tested': defaulted(
    boolKind,
    false,
    'Add "Tested-by: <bot> <$MR_URL>" to the final commit of the branch after it passed CI.',
  ),
  'add-part-of': defaulted(boolKind, false, 'Add "Part-of: <$MR_URL>" to each commit of the merge request.'),
  'add-reviewers': defaulted(
    boolKind,
    false,
    'Add "Reviewed-by: $approver" for each approver of the merge request to each of its commits (needs an admin token).',
  ),
  'impersonate-approvers': defaulted(
    boolKind,
    false,
    "Re-approve as the original approvers after the bot's push, so pushes do not reset approvals (needs an admin token).",
  ),
  'approval-reset-timeout': defaulted(
    durationKind(true),
    '0s',
    'How long to wait for approvals to reset after pushing; only useful with "new commits remove all approvals", against GitLab resetting them late.',
  ),
  'ci-timeout': defaulted(DURATION, '15min', 'How long to wait for CI to pass.'),
  'max-ci-time-in-minutes': optional(intKind('MINUTES', 1, 1_000_000), 'Deprecated; use --ci-timeout.'),
  'ci-poll-interval': defaulted(DURATION, '30s', 'How often to poll the pipeline when no webhook arrives.'),
  'queue-check-interval': defaulted(
    DURATION,
    '10min',
    'How often a queued merge request checks with its queue, and the queue with GitLab, to repair what a lost webhook or signal left wrong.',
  ),
  'merge-request-poll-interval': defaulted(
    durationKind(true),
    '2min',
    'How often to list the merge requests assigned to the bot (or carrying merge-label) and look at those whose webhook never came; 0 turns polling off.',
  ),
};

const NO_EFFECT = "marge-bot's; no effect here: Shepherd lands a batch by fast-forwarding the target branch to the state its pipeline tested";

const queueOptions = {
  'queue-mode': defaulted(
    QUEUE_MODE,
    'serial',
    "How each target branch's queue merges: serial (one merge request per pipeline, as marge-bot), batch (several tested in one pipeline, bisected when it fails) or train (each tested on top of the ones ahead, several pipelines at once).",
  ),
  'max-parallel-pipelines': defaulted(
    MAX_PARALLEL_PIPELINES,
    4,
    'Train mode: how many pipelines of one queue run at once at most (K), from 1 to 64.',
  ),
  'max-batch-size': defaulted(
    MAX_BATCH_SIZE,
    8,
    'How many merge requests are tested together at most: a batch, or a car of an adaptive train; from 1 to 100.',
  ),
  'batch-min-wait': defaulted(
    BATCH_MIN_WAIT,
    '0s',
    'Batch mode: how long the oldest waiting merge request may wait for more to fill its batch; 0s starts a batch at once.',
  ),
  'ci-retries': defaulted(
    CI_RETRIES,
    0,
    'Run a failed pipeline again up to this many times before anyone is ejected or a batch is bisected, against flaky tests; from 0 to 10.',
  ),
  'train-window': defaulted(
    TRAIN_WINDOW,
    'fixed',
    'Train mode: fixed keeps up to max-parallel-pipelines in flight; adaptive widens the window after passes, narrows it after failures, and groups merge requests into cars while failures are rare.',
  ),
  'train-optimistic': defaulted(
    boolKind,
    true,
    'When a merge request fails but a larger state behind it that includes it passes, take that pass as evidence of a flake and land both.',
  ),
  'queue-overrides': defaulted(
    queueOverridesKind,
    '',
    'Queue settings per project and target branch: rules separated by newlines or ";", each "<project-regexp>[@<branch-regexp>] <option>=<value> ...", e.g. "group/app@main queue-mode=train"; the last matching rule wins.',
  ),
  batch: defaulted(
    boolKind,
    false,
    "marge-bot's way to ask for batches: true means queue-mode batch, when queue-mode is not set.",
  ),
  'use-no-ff-batches': defaulted(
    boolKind,
    false,
    `Disable fast forwarding when merging batches (${NO_EFFECT}).`,
  ),
  'use-merge-commit-batches': defaulted(
    boolKind,
    false,
    `Use merge commits when creating batches, so batch commits equal those of the merge requests (${NO_EFFECT}).`,
  ),
  'skip-ci-batches': defaulted(
    boolKind,
    false,
    `Skip CI when updating individual merge requests of a batch (${NO_EFFECT}).`,
  ),
};

const backportOptions = {
  'backport-label': defaulted(
    textKind('LABEL'),
    'backport-candidate',
    'The label that sends a merged merge request to every backport-branches branch.',
  ),
  'backport-branches': defaulted(
    branchListKind,
    '',
    'Branches the backport-label sends merge requests to, separated by commas or spaces.',
  ),
  'backport-label-pattern': defaulted(
    labelPatternKind,
    DEFAULT_BACKPORT_LABEL_PATTERN,
    'Labels matching this JavaScript regular expression each ask for one backport; its one capture group is the destination branch.',
  ),
  'backport-mr-labels': defaulted(
    labelListKind,
    '',
    'Labels every backport merge request gets, separated by commas (labels may contain spaces).',
  ),
  'backport-merge': defaulted(
    boolKind,
    false,
    "Hand each new backport merge request to Shepherd's own merge queue, as if the bot had been asked to merge it.",
  ),
  'backport-conflicts': defaulted(
    enumKind(BACKPORT_CONFLICTS),
    'comment',
    'When a cherry-pick conflicts: comment (explain on the original merge request) or draft (commit the conflict markers into a draft backport merge request).',
  ),
  'admin-email': optional(
    textKind('EMAIL', checkEmail),
    "Where to mail errors that are not a merge request's fault, such as an expired token or a forge that is down; needs smtp-url.",
  ),
  'smtp-url': optional(
    smtpUrlKind,
    'The mail server for admin-email: smtp://[user:password@]host[:port] or smtps://... Secret: environment, config file or --smtp-url-file only.',
  ),
  'smtp-url-file': optional(fileKind, 'Path to a file holding the SMTP URL (read and trimmed).'),
};

const SECRET_ONLY = 'Secret: environment, config file or';

/** A secret option of the evidence report and its `*-file` companion, declared side by side. */
function evidenceSecret<const N extends string>(name: N, placeholder: string, what: string, help: string) {
  return {
    [name]: optional(secretKind(placeholder), `${help} ${SECRET_ONLY} --${name}-file only.`),
    [`${name}-file`]: optional(fileKind, `Path to a file holding ${what} (read and trimmed).`),
  } as Record<N | `${N}-file`, z.ZodOptional<z.ZodType<string, unknown>>>;
}

const evidenceOptions = {
  'evidence-repos': defaulted(
    evidenceRepoListKind,
    '',
    `Repositories the monthly evidence report reads, separated by commas or spaces, each ${REPO_FORMS}; none turns the report off.`,
  ),
  'evidence-people': defaulted(
    evidencePeopleKind,
    '',
    'Whom the report is for: people separated by ";" or newlines, each "Name <email>" and optionally aliases (other emails or forge usernames) separated by commas or spaces; in the config file also a list of such texts or of {name, email, aliases} mappings.',
  ),
  'evidence-cron': defaulted(
    cronKind,
    '0 4 1 * *',
    'When the report runs, as a 5-field cron expression (minute hour day-of-month month day-of-week) in evidence-timezone; it covers the month before; when both day fields are set, a day must match both, as Temporal reads them.',
  ),
  'evidence-timezone': defaulted(timeZoneKind, 'UTC', 'The IANA time zone of evidence-cron and of the months the report covers, e.g. Europe/Madrid.'),
  'evidence-include-merges': defaulted(
    boolKind,
    false,
    'Also credit merge commits (two or more parents); by default they are left out of the evidence.',
  ),
  'evidence-concurrency': defaulted(intKind('COUNT', 1, 64), 8, 'How many repositories the report reads at once, from 1 to 64.'),
  'evidence-s3-bucket': optional(textKind('BUCKET'), "The S3 bucket each person's zip is uploaded to (default: no upload to S3)."),
  'evidence-s3-key': defaulted(
    s3KeyKind,
    'evidences/{month}/{person}.zip',
    "Key of each person's zip in evidence-s3-bucket: {person} (required) stands for the person, as a slug such as ana-garcia, and {month} for the month, YYYY-MM.",
  ),
  'evidence-s3-endpoint': optional(
    webUrlKind('http://minio.example.com:9000', false),
    'Endpoint of an S3-compatible server such as MinIO (default: AWS S3 of evidence-s3-region).',
  ),
  'evidence-s3-region': defaulted(textKind('REGION'), 'us-east-1', 'Region of evidence-s3-bucket.'),
  ...evidenceSecret(
    'evidence-s3-access-key-id',
    'KEY',
    'the S3 access key ID',
    "Access key ID for evidence-s3-bucket, with evidence-s3-secret-access-key; without both the AWS SDK's default credential chain applies (AWS_* variables, shared config files, an instance or task role).",
  ),
  ...evidenceSecret(
    'evidence-s3-secret-access-key',
    'SECRET',
    'the S3 secret access key',
    'Secret access key of evidence-s3-access-key-id.',
  ),
  'evidence-drive-folder': optional(
    textKind('FOLDER-ID'),
    "ID of the Google Drive folder that gets a YYYY_MM folder of the month's zips (default: no upload to Drive); needs the evidence-google-* options.",
  ),
  'evidence-google-client-id': optional(textKind('ID'), 'OAuth client ID that uploads to evidence-drive-folder.'),
  ...evidenceSecret(
    'evidence-google-client-secret',
    'SECRET',
    'the Google OAuth client secret',
    'OAuth client secret of evidence-google-client-id.',
  ),
  ...evidenceSecret(
    'evidence-google-refresh-token',
    'TOKEN',
    'the Google OAuth refresh token',
    'OAuth refresh token of a Google user who may write to evidence-drive-folder.',
  ),
  'evidence-google-token-url': defaulted(
    webUrlKind('https://oauth2.googleapis.com/token', false),
    'https://oauth2.googleapis.com/token',
    "Google's OAuth token endpoint, where the refresh token is exchanged for an access token.",
  ),
  'evidence-drive-url': defaulted(
    webUrlKind('https://www.googleapis.com/', false),
    'https://www.googleapis.com/',
    'Root URL of the Google Drive API.',
  ),
  ...evidenceSecret(
    'evidence-slack-token',
    'TOKEN',
    'the Slack bot token',
    "Slack bot token (xoxb-...) that posts the report's summary; without it the summary is only logged and printed.",
  ),
  'evidence-slack-channel': defaulted(
    textKind('CHANNEL', checkSlackChannel),
    '#events',
    'Slack channel of the summary when every repository was read (quote it in YAML: # starts a comment).',
  ),
  'evidence-slack-alert-channel': defaulted(
    textKind('CHANNEL', checkSlackChannel),
    '#urgent',
    'Slack channel of the summary when a repository could not be read.',
  ),
  'evidence-slack-url': defaulted(webUrlKind('https://slack.com/api/', false), 'https://slack.com/api/', 'Base URL of the Slack Web API.'),
  'bitbucket-url': defaulted(
    webUrlKind('https://api.bitbucket.org/2.0', true),
    'https://api.bitbucket.org/2.0',
    'Bitbucket Cloud API base URL, for the bitbucket: repositories of evidence-repos.',
  ),
  'bitbucket-token-url': defaulted(
    webUrlKind('https://bitbucket.org/site/oauth2/access_token', false),
    'https://bitbucket.org/site/oauth2/access_token',
    "Bitbucket's OAuth token endpoint (client-credentials grant of bitbucket-oauth-key).",
  ),
  ...evidenceSecret(
    'bitbucket-oauth-key',
    'KEY',
    'the Bitbucket OAuth consumer key',
    'Key of a Bitbucket OAuth consumer that may read the repositories and pull requests.',
  ),
  ...evidenceSecret('bitbucket-oauth-secret', 'SECRET', 'the Bitbucket OAuth consumer secret', 'Secret of bitbucket-oauth-key.'),
  'github-url': defaulted(
    webUrlKind('https://api.github.com', true),
    'https://api.github.com',
    'GitHub API base URL, for the github: repositories of evidence-repos; GitHub Enterprise: https://HOST/api/v3.',
  ),
  ...evidenceSecret('github-token', 'TOKEN', 'the GitHub token', 'GitHub token that may read the github: repositories of evidence-repos.'),
};

const runOptions = {
  cli: defaulted(
    boolKind,
    false,
    'Run once and exit instead of as a long-running service, e.g. from a scheduled pipeline (what shepherd run-once does).',
  ),
  debug: defaulted(boolKind, false, 'Debug logging (the Temporal SDK logs at debug level).'),
  'bot-name': optional(textKind('NAME'), "Display name used in comments (default: the bot user's name on the forge)."),
  'temporal-address': optional(
    textKind('HOST:PORT', checkHostPort),
    'Temporal frontend to use, as host:port. When absent Shepherd starts an embedded dev server.',
  ),
  'temporal-namespace': defaulted(textKind('NAMESPACE'), 'default', 'Temporal namespace.'),
  'task-queue': defaulted(textKind('QUEUE'), 'shepherd', "Temporal task queue of Shepherd's workflows and activities."),
  'temporal-port': defaulted(PORT, 7233, 'Port of the embedded Temporal dev server (when temporal-address is absent).'),
  'temporal-ui-port': defaulted(PORT, 8233, "Port of the embedded dev server's Web UI."),
  'api-host': defaulted(textKind('HOST'), '127.0.0.1', 'Address the webhook API listens on.'),
  'api-port': defaulted(PORT, 3000, 'Port the webhook API listens on.'),
  'webhook-max-body': defaulted(
    sizeKind(KIB, KIB ** 3),
    '1mb',
    'Largest webhook body the API reads, e.g. 1mb, 512kb or bytes; a larger one gets 413 and starts nothing.',
  ),
  'data-dir': defaulted(
    textKind('DIR'),
    '.data',
    'Directory for local state such as the embedded Temporal database; relative to the working directory.',
  ),
};

export const configSchema = z.object({
  ...gitlabOptions,
  ...gitOptions,
  ...selectionOptions,
  ...mergeOptions,
  ...queueOptions,
  ...backportOptions,
  ...evidenceOptions,
  ...runOptions,
});

/** Titled groups of option names, for `--help`; together they are all options, in schema order. */
export const OPTION_GROUPS: ReadonlyArray<{ readonly title: string; readonly options: readonly OptionName[] }> = [
  { title: 'GitLab', options: keysOf(gitlabOptions) },
  { title: 'Git', options: keysOf(gitOptions) },
  { title: 'Which merge requests, in which order', options: keysOf(selectionOptions) },
  { title: 'Merging', options: keysOf(mergeOptions) },
  { title: "Queue modes (serial, batch, train) and marge-bot's batch options", options: keysOf(queueOptions) },
  { title: 'Backports', options: keysOf(backportOptions) },
  { title: 'Monthly evidence report', options: keysOf(evidenceOptions) },
  { title: 'Running Shepherd', options: keysOf(runOptions) },
];

function keysOf<T extends object>(group: T): Array<keyof T & OptionName> {
  return Object.keys(group) as Array<keyof T & OptionName>;
}

export type OptionName = keyof typeof configSchema.shape;

/** Validated option values, keyed by option name. */
export type OptionValues = z.output<typeof configSchema>;

/** All option names, in the order `--help` and `shepherd config` list them. */
export const OPTION_NAMES = Object.keys(configSchema.shape) as readonly OptionName[];

/** Secret options and the `*-file` option that may supply each one instead. */
export const SECRET_FILE_OPTIONS = {
  'auth-token': 'auth-token-file',
  'gitlab-webhook-secret': 'gitlab-webhook-secret-file',
  'ssh-key': 'ssh-key-file',
  'smtp-url': 'smtp-url-file',
  'evidence-s3-access-key-id': 'evidence-s3-access-key-id-file',
  'evidence-s3-secret-access-key': 'evidence-s3-secret-access-key-file',
  'evidence-google-client-secret': 'evidence-google-client-secret-file',
  'evidence-google-refresh-token': 'evidence-google-refresh-token-file',
  'evidence-slack-token': 'evidence-slack-token-file',
  'bitbucket-oauth-key': 'bitbucket-oauth-key-file',
  'bitbucket-oauth-secret': 'bitbucket-oauth-secret-file',
  'github-token': 'github-token-file',
} as const satisfies Partial<Record<OptionName, OptionName>>;

export type SecretOption = keyof typeof SECRET_FILE_OPTIONS;

/** The `*-file` option that may supply a secret instead, if it has one. */
export function secretFileOption(name: OptionName): OptionName | undefined {
  return (SECRET_FILE_OPTIONS as Partial<Record<OptionName, OptionName>>)[name];
}

/** The option that names the YAML file; it is a source, not a setting, so not in the schema. */
export const CONFIG_FILE_OPTION = 'config-file';
export const CONFIG_FILE_ENV = 'SHEPHERD_CONFIG_FILE';

export function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(configSchema.shape, name);
}

export function optionMeta(name: OptionName): OptionMeta {
  const meta = optionRegistry.get(configSchema.shape[name]);
  if (!meta) throw new Error(`Option ${name} has no metadata; declare it with optional() or defaulted()`);
  return meta;
}

export function envVarName(name: string): string {
  return `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
}

// ---------------------------------------------------------------------------------------------
// The typed configuration the rest of Shepherd reads

/** Shepherd's settings. Paths are absolute; durations are milliseconds (hence the `Ms` names). */
export interface ShepherdConfig {
  // GitLab
  gitlabUrl?: string;
  authToken?: string;
  /** Absolute path the auth token was read from, when it came from a file. */
  authTokenFile?: string;
  gitlabWebhookSecret?: string;
  /** Absolute path the webhook secret was read from, when it came from a file. */
  gitlabWebhookSecretFile?: string;
  // Git
  useHttps: boolean;
  /** The SSH private key itself (from ssh-key, or read from ssh-key-file). */
  sshKey?: string;
  sshKeyFile?: string;
  /** Absolute path of a repository to clone with `--reference`; checked to be a directory. */
  gitReferenceRepo?: string;
  gitTimeoutMs: number;
  // Which merge requests, in which order. Regexps are the source text; match with `optionRegExp`.
  projectRegexp: string;
  branchRegexp: string;
  sourceBranchRegexp: string;
  /** A label that queues a merge request like assigning it to the bot; absent: assignment only. */
  mergeLabel?: string;
  priorityLabel?: string;
  /**
   * Whoever asks for a merge (the webhook's actor for an assignment or the merge label, the
   * author of a merge command) must be allowed to merge into the target branch by its protection
   * rules; otherwise the bot refuses with a comment.
   */
  requireMergePermission: boolean;
  mergeOrder: MergeOrder;
  // Merging
  /** Embargo intervals as written (checked with `parseEmbargo`); empty: no embargo. */
  embargo: string;
  useMergeStrategy: boolean;
  rebaseRemotely: boolean;
  addTested: boolean;
  addPartOf: boolean;
  addReviewers: boolean;
  impersonateApprovers: boolean;
  /** 0: do not wait for approvals to reset after a push. */
  approvalResetTimeoutMs: number;
  /** Already includes a winning deprecated max-ci-time-in-minutes. */
  ciTimeoutMs: number;
  /** The deprecated option as given (minutes); read `ciTimeoutMs` instead. */
  maxCiTimeInMinutes?: number;
  ciPollIntervalMs: number;
  queueCheckIntervalMs: number;
  /** 0: no polling for merge requests whose webhook was lost. */
  mergeRequestPollIntervalMs: number;
  // Queue modes. One target branch's settings: `queueSettingsFor` (queueSettings.ts).
  /** The default mode of every queue; marge-bot's `batch: true` sets it to batch when it is not given. */
  queueMode: QueueMode;
  /** K: a train's pipelines in flight at most. */
  maxParallelPipelines: number;
  maxBatchSize: number;
  /** How long the oldest waiting merge request waits for a batch to fill; 0: not at all. */
  batchMinWaitMs: number;
  ciRetries: number;
  trainWindow: TrainWindow;
  trainOptimistic: boolean;
  /** queue-overrides, parsed and checked: plain data, in the order written (the last match wins). */
  queueOverrides: QueueOverrideRule[];
  /** marge-bot's option as given; its effect is already in `queueMode`. */
  batch: boolean;
  // marge-bot's batch options: accepted, no effect (see LoadedConfig.warnings).
  useNoFfBatches: boolean;
  useMergeCommitBatches: boolean;
  skipCiBatches: boolean;
  // Backports
  /** The label that sends a merge request to every `backportBranches` branch. */
  backportLabel: string;
  /** Checked to be valid git branch names; in the order given, without repeats. */
  backportBranches: string[];
  /** Source text of a regexp with exactly one capturing group (the destination); compile with `new RegExp`. */
  backportLabelPattern: string;
  backportMrLabels: string[];
  /** Hand each new backport merge request to Shepherd's merge queue. */
  backportMerge: boolean;
  backportConflicts: BackportConflicts;
  /** Where errors that are not a merge request's fault are mailed; only ever set together with `smtpUrl`. */
  adminEmail?: string;
  /** smtp:// or smtps:// URL, possibly with a password: a secret, never to be logged. */
  smtpUrl?: string;
  /** Absolute path the SMTP URL was read from, when it came from a file. */
  smtpUrlFile?: string;
  // Monthly evidence report. It is on when `evidenceRepos` is not empty; then the loader has
  // checked that what it needs is set (people, each forge's credentials, a destination).
  // Secrets are never to be logged; each `*File` is the absolute path a secret was read from.
  /** Parsed and checked with `evidenceRepoProblem`; in the order given, without repeats. Empty: the report is off. */
  evidenceRepos: EvidenceRepo[];
  /** Emails checked; no email or alias (compared ignoring case) and no name belongs to two people. */
  evidencePeople: EvidencePerson[];
  /** A 5-field cron expression, fields one space apart, checked as Temporal reads it; for a Schedule's cronExpressions. */
  evidenceCron: string;
  /** IANA zone known to Intl (in Intl's case when only the case differed): the Schedule's time zone and the months'. */
  evidenceTimezone: string;
  /** Credit merge commits (2 or more parents) too. */
  evidenceIncludeMerges: boolean;
  /** Repositories read at once, 1..64. */
  evidenceConcurrency: number;
  /** Absent: no upload to S3. */
  evidenceS3Bucket?: string;
  /** Key template: contains {person}, maybe {month} (YYYY-MM), no other {placeholder}. */
  evidenceS3Key: string;
  /** An S3-compatible server's endpoint, as given; absent: AWS S3 of `evidenceS3Region`. */
  evidenceS3Endpoint?: string;
  evidenceS3Region: string;
  /** Set together with `evidenceS3SecretAccessKey` or not at all; absent: the AWS SDK's default credential chain. */
  evidenceS3AccessKeyId?: string;
  evidenceS3AccessKeyIdFile?: string;
  evidenceS3SecretAccessKey?: string;
  evidenceS3SecretAccessKeyFile?: string;
  /** Parent folder ID; absent: no upload to Google Drive. When set, the three Google credentials are too. */
  evidenceDriveFolder?: string;
  evidenceGoogleClientId?: string;
  evidenceGoogleClientSecret?: string;
  evidenceGoogleClientSecretFile?: string;
  evidenceGoogleRefreshToken?: string;
  evidenceGoogleRefreshTokenFile?: string;
  /** Token endpoint as given, e.g. https://oauth2.googleapis.com/token. */
  evidenceGoogleTokenUrl: string;
  /** The Drive API's root URL as given (googleapis' `rootUrl`), e.g. https://www.googleapis.com/. */
  evidenceDriveUrl: string;
  /** Absent: the summary is only logged and printed. */
  evidenceSlackToken?: string;
  evidenceSlackTokenFile?: string;
  /** Where the summary goes when every repository was read, e.g. #events. */
  evidenceSlackChannel: string;
  /** Where it goes when a repository could not be read, e.g. #urgent. */
  evidenceSlackAlertChannel: string;
  /** Slack Web API base URL as given (WebClient's `slackApiUrl`), e.g. https://slack.com/api/. */
  evidenceSlackUrl: string;
  /** API base without a trailing slash (one is dropped), e.g. https://api.bitbucket.org/2.0: append "/repositories/...". */
  bitbucketUrl: string;
  /** OAuth token endpoint as given, e.g. https://bitbucket.org/site/oauth2/access_token. */
  bitbucketTokenUrl: string;
  /** OAuth consumer key and secret (client-credentials grant). */
  bitbucketOauthKey?: string;
  bitbucketOauthKeyFile?: string;
  bitbucketOauthSecret?: string;
  bitbucketOauthSecretFile?: string;
  /** API base without a trailing slash (one is dropped), e.g. https://api.github.com or https://HOST/api/v3 (Octokit's `baseUrl`). */
  githubUrl: string;
  githubToken?: string;
  githubTokenFile?: string;
  // Running Shepherd
  /** Run once and exit (`shepherd run-once`) instead of as a service. */
  cli: boolean;
  debug: boolean;
  botName?: string;
  /** Absent: start an embedded Temporal dev server. */
  temporalAddress?: string;
  temporalNamespace: string;
  taskQueue: string;
  temporalPort: number;
  temporalUiPort: number;
  apiHost: string;
  apiPort: number;
  /** Largest webhook body the API reads, in bytes (for createApp's `webhookMaxBodyBytes`). */
  webhookMaxBodyBytes: number;
  dataDir: string;
}

/** The `ShepherdConfig` field of an option: camelCase, plus `Ms` for durations and `Bytes` for sizes. */
export function configKey(name: OptionName): keyof ShepherdConfig {
  const camel = name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const { kind } = optionMeta(name);
  const unit = kind === 'duration' ? 'Ms' : kind === 'size' ? 'Bytes' : '';
  return `${camel}${unit}` as keyof ShepherdConfig;
}

/** Written out field by field so the compiler checks every option lands in the right place. */
export function toShepherdConfig(values: OptionValues, cwd: string): ShepherdConfig {
  const absolute = (p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));
  return {
    gitlabUrl: values['gitlab-url'],
    authToken: values['auth-token'],
    authTokenFile: absolute(values['auth-token-file']),
    gitlabWebhookSecret: values['gitlab-webhook-secret'],
    gitlabWebhookSecretFile: absolute(values['gitlab-webhook-secret-file']),
    useHttps: values['use-https'],
    sshKey: values['ssh-key'],
    sshKeyFile: absolute(values['ssh-key-file']),
    gitReferenceRepo: absolute(values['git-reference-repo']),
    gitTimeoutMs: values['git-timeout'],
    projectRegexp: values['project-regexp'],
    branchRegexp: values['branch-regexp'],
    sourceBranchRegexp: values['source-branch-regexp'],
    mergeLabel: values['merge-label'],
    priorityLabel: values['priority-label'],
    requireMergePermission: values['require-merge-permission'],
    mergeOrder: values['merge-order'],
    embargo: values.embargo,
    useMergeStrategy: values['use-merge-strategy'],
    rebaseRemotely: values['rebase-remotely'],
    addTested: values['add-tested'],
    addPartOf: values['add-part-of'],
    addReviewers: values['add-reviewers'],
    impersonateApprovers: values['impersonate-approvers'],
    approvalResetTimeoutMs: values['approval-reset-timeout'],
    ciTimeoutMs: values['ci-timeout'],
    maxCiTimeInMinutes: values['max-ci-time-in-minutes'],
    ciPollIntervalMs: values['ci-poll-interval'],
    queueCheckIntervalMs: values['queue-check-interval'],
    mergeRequestPollIntervalMs: values['merge-request-poll-interval'],
    queueMode: values['queue-mode'],
    maxParallelPipelines: values['max-parallel-pipelines'],
    maxBatchSize: values['max-batch-size'],
    batchMinWaitMs: values['batch-min-wait'],
    ciRetries: values['ci-retries'],
    trainWindow: values['train-window'],
    trainOptimistic: values['train-optimistic'],
    queueOverrides: values['queue-overrides'],
    batch: values.batch,
    useNoFfBatches: values['use-no-ff-batches'],
    useMergeCommitBatches: values['use-merge-commit-batches'],
    skipCiBatches: values['skip-ci-batches'],
    backportLabel: values['backport-label'],
    backportBranches: values['backport-branches'],
    backportLabelPattern: values['backport-label-pattern'],
    backportMrLabels: values['backport-mr-labels'],
    backportMerge: values['backport-merge'],
    backportConflicts: values['backport-conflicts'],
    adminEmail: values['admin-email'],
    smtpUrl: values['smtp-url'],
    smtpUrlFile: absolute(values['smtp-url-file']),
    evidenceRepos: values['evidence-repos'],
    evidencePeople: values['evidence-people'],
    evidenceCron: values['evidence-cron'],
    evidenceTimezone: values['evidence-timezone'],
    evidenceIncludeMerges: values['evidence-include-merges'],
    evidenceConcurrency: values['evidence-concurrency'],
    evidenceS3Bucket: values['evidence-s3-bucket'],
    evidenceS3Key: values['evidence-s3-key'],
    evidenceS3Endpoint: values['evidence-s3-endpoint'],
    evidenceS3Region: values['evidence-s3-region'],
    evidenceS3AccessKeyId: values['evidence-s3-access-key-id'],
    evidenceS3AccessKeyIdFile: absolute(values['evidence-s3-access-key-id-file']),
    evidenceS3SecretAccessKey: values['evidence-s3-secret-access-key'],
    evidenceS3SecretAccessKeyFile: absolute(values['evidence-s3-secret-access-key-file']),
    evidenceDriveFolder: values['evidence-drive-folder'],
    evidenceGoogleClientId: values['evidence-google-client-id'],
    evidenceGoogleClientSecret: values['evidence-google-client-secret'],
    evidenceGoogleClientSecretFile: absolute(values['evidence-google-client-secret-file']),
    evidenceGoogleRefreshToken: values['evidence-google-refresh-token'],
    evidenceGoogleRefreshTokenFile: absolute(values['evidence-google-refresh-token-file']),
    evidenceGoogleTokenUrl: values['evidence-google-token-url'],
    evidenceDriveUrl: values['evidence-drive-url'],
    evidenceSlackToken: values['evidence-slack-token'],
    evidenceSlackTokenFile: absolute(values['evidence-slack-token-file']),
    evidenceSlackChannel: values['evidence-slack-channel'],
    evidenceSlackAlertChannel: values['evidence-slack-alert-channel'],
    evidenceSlackUrl: values['evidence-slack-url'],
    bitbucketUrl: values['bitbucket-url'],
    bitbucketTokenUrl: values['bitbucket-token-url'],
    bitbucketOauthKey: values['bitbucket-oauth-key'],
    bitbucketOauthKeyFile: absolute(values['bitbucket-oauth-key-file']),
    bitbucketOauthSecret: values['bitbucket-oauth-secret'],
    bitbucketOauthSecretFile: absolute(values['bitbucket-oauth-secret-file']),
    githubUrl: values['github-url'],
    githubToken: values['github-token'],
    githubTokenFile: absolute(values['github-token-file']),
    cli: values.cli,
    debug: values.debug,
    botName: values['bot-name'],
    temporalAddress: values['temporal-address'],
    temporalNamespace: values['temporal-namespace'],
    taskQueue: values['task-queue'],
    temporalPort: values['temporal-port'],
    temporalUiPort: values['temporal-ui-port'],
    apiHost: values['api-host'],
    apiPort: values['api-port'],
    webhookMaxBodyBytes: values['webhook-max-body'],
    dataDir: path.resolve(cwd, values['data-dir']),
  };
}
