// The evidence files people download: one text file per person and repository, named so that any
// file system and zip tool keeps them apart. Pure: writing them to disk is the activity's job.
import { sortEvidenceEntries } from './credit';
import { monthLabel, parseMonth } from './month';
import { evidenceRepoProblem } from './repos';
import type { EvidenceEntry, EvidencePerson, Month } from './types';

// Letters NFD does not split into a base letter and an accent.
const FOLDED: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ł: 'l', ı: 'i', ħ: 'h' };

/**
 * A file-name-safe slug of the person's name: `Núria Pérez-Sol` → `nuria-perez-sol`. Falls back to
 * the email's local part, then to `person`. Two people with the same name get the same slug.
 */
export function personSlug(person: EvidencePerson): string {
  return slugify(person.name) || slugify(person.email.split('@')[0] ?? '') || 'person';
}

/**
 * The evidence file of a repository: `bitbucket:team/api` → `bitbucket_team_api.txt`. The `:` and
 * every `/` become `_`, and a `_` of the repository's own becomes `+` (which ids never contain), so
 * distinct ids always give distinct names: the forge has no `_`, so the first `_` is the colon and
 * the others are slashes. Names differing only in letter case stay distinct in the zip but collide
 * on case-insensitive disks. Throws for something that is not a repository id.
 */
export function evidenceFileName(repoId: string): string {
  const problem = evidenceRepoProblem(repoId);
  if (problem) throw new Error(`Invalid evidence repository "${repoId}": ${problem}`);
  return `${repoId.replace(/_/g, '+').replace(/[:/]/g, '_')}.txt`;
}

/**
 * One person's evidence in one repository for `month`: a header, then one tab-separated line per
 * commit, oldest first, ending with a newline. The entries' order does not matter.
 */
export function renderEvidenceFile(person: EvidencePerson, repoId: string, month: Month, entries: readonly EvidenceEntry[]): string {
  parseMonth(month);
  const stray = entries.find((entry) => entry.person !== person.name || entry.repo !== repoId);
  // A line of somebody else's evidence in this file would be a false claim: refuse it.
  if (stray) throw new Error(`Evidence of ${stray.person} in ${stray.repo} does not belong in the file of ${person.name} in ${repoId}`);
  const lines = uniqueEntries(sortEvidenceEntries(entries));
  const commits = new Set(lines.map((entry) => entry.sha.toLowerCase())).size;
  const header = [
    `Evidence of ${oneLine(person.name)} <${oneLine(person.email)}>`,
    `Repository: ${repoId}`,
    `Month: ${monthLabel(month)} (${month})`,
    `Commits: ${commits}`,
    '',
    ['Date', 'Repository', 'Commit', 'Link', 'Role', 'Subject'].join('\t'),
  ];
  const rows = lines.map((entry) => [entry.date, entry.repo, entry.sha, entry.url, entry.role, entry.subject].map(oneLine).join('\t'));
  return `${[...header, ...rows].join('\n')}\n`;
}

/** Entries by person, then by repository, each level and each list in the report's order. */
export function groupEvidence(entries: readonly EvidenceEntry[]): Map<string, Map<string, EvidenceEntry[]>> {
  const groups = new Map<string, Map<string, EvidenceEntry[]>>();
  for (const entry of sortEvidenceEntries(entries)) {
    let byRepo = groups.get(entry.person);
    if (!byRepo) groups.set(entry.person, (byRepo = new Map()));
    let list = byRepo.get(entry.repo);
    if (!list) byRepo.set(entry.repo, (list = []));
    list.push(entry);
  }
  return groups;
}

function slugify(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, (char) => FOLDED[char] ?? '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Tabs and line breaks would split a row: fold them into single spaces. */
function oneLine(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').trim();
}

/** Sorted entries without repeats of a commit in one role (the first, in that order, is kept). */
function uniqueEntries(entries: readonly EvidenceEntry[]): EvidenceEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = `${entry.sha.toLowerCase()}\n${entry.role}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
