// Who gets credit for which commit: authors, co-authors named in trailers and the approvers of
// the pull requests the commits came through. Pure: the collecting activities feed it plain data.
import type { CollectedCommit, EvidenceEntry, EvidencePerson, EvidenceRole, Identity } from './types';

/** What `creditCommits` found: the evidence lines, the committers nobody is, and how many commits it read. */
export interface CreditResult {
  readonly entries: EvidenceEntry[];
  /** Authors and co-authors who match no person, as `Name <email>`, sorted. */
  readonly unknown: string[];
  /** Distinct commits (repository and SHA) left after merges are set aside. */
  readonly commitsCounted: number;
}

// Stronger roles first: a person credited twice for one commit keeps the stronger.
const RANK: Readonly<Record<EvidenceRole, number>> = { author: 0, 'co-author': 1, approver: 2 };

/**
 * The person `identity` is: the first in `people` whose email or an alias equals the identity's
 * email, or one of whose aliases equals its username. Case and surrounding blanks are ignored.
 */
export function matchPerson(identity: Identity, people: readonly EvidencePerson[]): EvidencePerson | undefined {
  const email = normalize(identity.email);
  const username = normalize(identity.username);
  if (!email && !username) return undefined;
  const index = indexOf(people);
  const byEmail = email ? index.byEmail.get(email) : undefined;
  const byUsername = username ? index.byAlias.get(username) : undefined;
  const first = Math.min(byEmail ?? Infinity, byUsername ?? Infinity);
  return first === Infinity ? undefined : people[first];
}

/** Where each email and alias first appears in `people`: a month's commits look up thousands of times. */
interface PeopleIndex {
  byEmail: Map<string, number>;
  byAlias: Map<string, number>;
}

const indexes = new WeakMap<readonly EvidencePerson[], PeopleIndex>();

function indexOf(people: readonly EvidencePerson[]): PeopleIndex {
  let index = indexes.get(people);
  if (!index) {
    index = { byEmail: new Map(), byAlias: new Map() };
    const note = (map: Map<string, number>, key: string, i: number): void => {
      if (key && !map.has(key)) map.set(key, i);
    };
    people.forEach((person, i) => {
      note(index!.byEmail, normalize(person.email), i);
      for (const alias of person.aliases.map(normalize)) {
        note(index!.byEmail, alias, i);
        note(index!.byAlias, alias, i);
      }
    });
    indexes.set(people, index);
  }
  return index;
}

/**
 * The `Co-authored-by: Name <email>` trailers of a commit message, in order, each once. Trailers
 * are read as git does, roughly: the last paragraph (never the subject's) when all its lines are
 * `Key: value`, continuation lines, comments or cherry-pick notes.
 */
export function coAuthorsOf(message: string): Identity[] {
  const seen = new Set<string>();
  const coAuthors: Identity[] = [];
  for (const { key, value } of trailersOf(message)) {
    if (key.toLowerCase() !== 'co-authored-by') continue;
    const identity = parseIdentity(value);
    const id = `${normalize(identity.name)}\n${normalize(identity.email)}`;
    if (identity.name === undefined && identity.email === undefined) continue;
    if (seen.has(id)) continue;
    seen.add(id);
    coAuthors.push(identity);
  }
  return coAuthors;
}

/** The commit's subject: its first non-blank line, trimmed. */
export function subjectOf(message: string): string {
  return (
    message
      .split(/\r\n?|\n/)
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

/**
 * The evidence lines of `commits`: one per person and commit, with the person's strongest role in
 * it (author, then co-author, then approver). Merge commits count only with `includeMerges`; a
 * commit listed twice counts once, with the approvers of every listing.
 */
export function creditCommits(commits: readonly CollectedCommit[], people: readonly EvidencePerson[], opts: { includeMerges: boolean }): CreditResult {
  const entries: EvidenceEntry[] = [];
  const unknown = new Map<string, string>();
  const distinct = uniqueCommits(commits).filter((commit) => opts.includeMerges || commit.parentCount < 2);
  const roleOf = new Map<string, EvidenceRole>();
  for (const commit of distinct) {
    roleOf.clear();
    credit(roleOf, unknown, people, commit.author, 'author');
    for (const coAuthor of coAuthorsOf(commit.message)) credit(roleOf, unknown, people, coAuthor, 'co-author');
    for (const approver of commit.approvers) credit(roleOf, unknown, people, approver, 'approver');
    const subject = subjectOf(commit.message);
    for (const [person, role] of roleOf) {
      entries.push({ person, repo: commit.repo, sha: commit.sha, date: commit.date, url: commit.url, role, subject });
    }
  }
  return {
    entries: sortEvidenceEntries(entries),
    unknown: [...unknown.values()].sort(compareText),
    commitsCounted: distinct.length,
  };
}

/** Notes `identity`'s person in `roleOf` with the stronger of `role` and the role noted before. */
function credit(roleOf: Map<string, EvidenceRole>, unknown: Map<string, string>, people: readonly EvidencePerson[], identity: Identity, role: EvidenceRole): void {
  const person = matchPerson(identity, people);
  if (!person) {
    // The report is about committers: an approver who is nobody is not worth an alert.
    if (role !== 'approver') noteUnknown(unknown, identity);
    return;
  }
  const current = roleOf.get(person.name);
  if (current === undefined || RANK[role] < RANK[current]) roleOf.set(person.name, role);
}

/**
 * A sorted copy of `entries`, in the order of evidence lines everywhere: person, repository,
 * instant, SHA, role, then link and subject, so that entries differing only in those come out
 * alike too. Each date is parsed once rather than at every comparison: a month of a repository
 * is tens of thousands of lines.
 */
export function sortEvidenceEntries(entries: readonly EvidenceEntry[]): EvidenceEntry[] {
  const decorated = entries.map((entry) => ({ entry, at: Date.parse(entry.date) }));
  decorated.sort(
    ({ entry: a, at: ta }, { entry: b, at: tb }) =>
      compareCodeUnits(a.person, b.person) ||
      compareCodeUnits(a.repo, b.repo) ||
      compareParsedInstants(a.date, ta, b.date, tb) ||
      compareCodeUnits(a.sha, b.sha) ||
      RANK[a.role] - RANK[b.role] ||
      compareCodeUnits(a.url, b.url) ||
      compareCodeUnits(a.subject, b.subject),
  );
  return decorated.map((d) => d.entry);
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return compareCodeUnits(a.toLowerCase(), b.toLowerCase()) || compareCodeUnits(a, b);
}

/** Earlier first whatever offsets the forges wrote; unreadable dates after readable ones. */
function compareParsedInstants(a: string, ta: number, b: string, tb: number): number {
  if (Number.isNaN(ta) || Number.isNaN(tb)) return Number.isNaN(ta) === Number.isNaN(tb) ? compareCodeUnits(a, b) : Number.isNaN(ta) ? 1 : -1;
  return ta - tb || compareCodeUnits(a, b);
}

function normalize(text: string | undefined): string {
  return (text ?? '').trim().toLowerCase();
}

/** One commit per repository and SHA: the first listing's data, every listing's approvers. */
function uniqueCommits(commits: readonly CollectedCommit[]): CollectedCommit[] {
  const byKey = new Map<string, CollectedCommit>();
  for (const commit of commits) {
    const key = `${commit.repo}\n${commit.sha.toLowerCase()}`;
    const first = byKey.get(key);
    byKey.set(key, first ? { ...first, approvers: [...first.approvers, ...commit.approvers] } : commit);
  }
  return [...byKey.values()];
}

function noteUnknown(unknown: Map<string, string>, identity: Identity): void {
  const name = (identity.name ?? '').replace(/\s+/g, ' ').trim();
  const email = (identity.email ?? '').trim();
  const username = (identity.username ?? '').trim();
  let shown: string;
  if (email) shown = name ? `${name} <${email}>` : email;
  else if (username) shown = name ? `${name} (@${username})` : username;
  else if (name) shown = name;
  else return;
  const key = email ? `email:${email.toLowerCase()}` : `text:${shown.toLowerCase()}`;
  const previous = unknown.get(key);
  // One spelling per email whatever order the commits came in.
  if (previous === undefined || compareText(shown, previous) < 0) unknown.set(key, shown);
}

const TRAILER = /^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$/;
const CONTINUATION = /^[ \t]+\S/;
const IGNORED_IN_BLOCK = /^(?:#|\(cherry picked from commit [0-9a-f]+\)$)/;

function trailersOf(message: string): Array<{ key: string; value: string }> {
  const paragraphs = message
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.split('\n').filter((line) => line.trim() !== ''))
    .filter((lines) => lines.length > 0);
  const block = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : undefined;
  if (!block) return [];
  const trailers: Array<{ key: string; value: string }> = [];
  for (const line of block) {
    const match = TRAILER.exec(line);
    const previous = trailers[trailers.length - 1];
    if (match) trailers.push({ key: match[1] ?? '', value: (match[2] ?? '').trim() });
    else if (previous && CONTINUATION.test(line)) previous.value = `${previous.value} ${line.trim()}`;
    else if (!IGNORED_IN_BLOCK.test(line)) return []; // prose: the paragraph is not a trailer block
  }
  return trailers;
}

/** `Name <email>`, `<email>`, `email` or `Name` as written in a trailer. */
function parseIdentity(value: string): Identity {
  const bracketed = /^(.*?)\s*<([^<>]*)>\s*$/.exec(value);
  if (bracketed) {
    const name = (bracketed[1] ?? '').trim();
    const email = (bracketed[2] ?? '').trim();
    return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  }
  const text = value.trim();
  if (!text) return {};
  return /^\S+@\S+$/.test(text) ? { email: text } : { name: text };
}
