// Everything the bot writes about backports: comments on the original merge request, and the
// title and description of the backport merge requests it opens. Like the merge queue's comments,
// each says what happened and what the person can do next.

export interface Commit {
  sha: string;
  subject: string;
}

export interface MergeRequestLink {
  iid: number;
  webUrl: string;
}

/** The label a draft backport with committed conflict markers carries. */
export const BACKPORT_CONFLICT_LABEL = 'backport-conflict';

export function willBackportWhenMergedComment(destinations: readonly string[]): string {
  return `I'll backport this merge request to ${destinations.length ? branchList(destinations) : 'the branches asked for'} once it is merged: I'll cherry-pick its commits onto ${destinations.length === 1 ? 'that branch' : 'each branch'} and open a merge request for ${destinations.length === 1 ? 'it' : 'each'}. Nothing to do meanwhile.`;
}

export function onlyMergedBackportedComment(): string {
  return `I won't backport this merge request: it was closed without being merged, and I only backport merged changes. If it is reopened and merged, ask again then.`;
}

export function destinationIsTargetComment(dest: string): string {
  return `I won't backport to ${code(dest)}: it is the branch this merge request targets, so its changes get there with the merge itself.`;
}

export function destinationMissingComment(dest: string): string {
  return `I can't backport to ${code(dest)}: this project has no branch of that name. Check the name (branch names are case-sensitive) and ask again.`;
}

export function invalidBranchNamesComment(names: readonly string[]): string {
  const what = names.length === 1 ? 'it is not a valid git branch name' : 'they are not valid git branch names';
  return `I can't backport to ${branchList(names)}: ${what} (git refuses spaces, \`..\`, \`~\`, \`^\`, \`:\`, \`?\`, \`*\`, \`[\`, \`\\\`, \`@{\`, a leading \`-\` and a trailing \`.\`, \`/\` or \`.lock\`, among others). Check the spelling and ask again.`;
}

export function backportUsageComment(bot: string): string {
  const name = bot.replace(/^@/, '');
  return `Which branches should I backport this merge request to? Name them after the command, for example \`@${name} backport release-1.2 release-1.3\` or \`/cherry-pick release-1.2\`.`;
}

export function noBackportBranchesComment(candidateLabel: string): string {
  return `I can't backport this merge request: the label ${code(candidateLabel)} sends it to every branch of the option \`backport-branches\`, and that list is empty. Ask whoever runs Shepherd to set \`backport-branches\`, or comment \`backport <branch>\` to me to name the branches yourself.`;
}

export function backportNotAllowedComment(username: string): string {
  return `@${username}, only the author of this merge request and members with at least the Developer role can ask me to backport it. Ask one of them to do it.`;
}

export function backportOpenedComment(p: { destination: string; mr: MergeRequestLink; picked: readonly Commit[]; skipped: readonly Commit[] }): string {
  const n = p.picked.length === 1 ? '1 commit' : `${p.picked.length} commits`;
  const picked = p.picked.length ? `\n\nCherry-picked:\n${commitList(p.picked)}` : '';
  return `Backported to ${code(p.destination)} in ${mrLink(p.mr)} (${n}); review and merge it like any merge request.${picked}${skippedSection(p.destination, p.skipped)}`;
}

export function alreadyBackportedComment(destination: string, mr: MergeRequestLink): string {
  return `Nothing to do for ${code(destination)}: this merge request is already backported in ${mrLink(mr)}.`;
}

export function nothingToBackportComment(destination: string, skipped: readonly Commit[]): string {
  const list = skipped.length ? `\n\n${commitList(skipped)}` : '';
  return `Nothing to backport to ${code(destination)}: the changes of every commit of this merge request are already there, so I opened no merge request.${list}`;
}

export function backportConflictComment(p: {
  destination: string;
  backportBranch: string;
  files: readonly string[];
  picks: readonly { sha: string; mainline?: 1 }[];
}): string {
  const commands = [
    'git fetch origin',
    `git switch -c ${shellWord(p.backportBranch)} ${shellWord(`origin/${p.destination}`)}`,
    ...cherryPickCommands(p.picks),
    `git push origin ${shellWord(p.backportBranch)}`,
  ];
  return [
    `I couldn't backport this merge request to ${code(p.destination)}: cherry-picking its commits gives conflicts${p.files.length ? ' in:' : '.'}${p.files.length ? `\n\n${fileList(p.files)}` : ''}`,
    `To finish it by hand, run these; where a cherry-pick stops on a conflict, resolve it, \`git add\` the files and run \`git cherry-pick --continue\` before going on:\n\n\`\`\`sh\n${commands.join('\n')}\n\`\`\``,
    `Then open a merge request from ${code(p.backportBranch)} to ${code(p.destination)}.`,
  ].join('\n\n');
}

export function backportConflictDraftComment(p: { destination: string; mr: MergeRequestLink; backportBranch: string; files: readonly string[] }): string {
  const list = p.files.length ? `\n\nFiles with conflict markers:\n${fileList(p.files)}` : '';
  return `Cherry-picking this merge request onto ${code(p.destination)} gives conflicts, so I committed them as they are, conflict markers included, on ${code(p.backportBranch)} and opened ${mrLink(p.mr)} as a draft, labelled ${code(BACKPORT_CONFLICT_LABEL)}.${list}\n\nResolve the markers on ${code(p.backportBranch)}, push, then mark ${mrLink(p.mr)} as ready.`;
}

export function branchTakenComment(p: { destination: string; backportBranch: string }): string {
  return `I couldn't backport this merge request to ${code(p.destination)}: the branch ${code(p.backportBranch)} I'd push the backport to already exists, with commits that are not mine, and I won't push over someone's work. If that branch is no longer needed, delete it and ask me again; otherwise finish the backport on it by hand.`;
}

// GitLab treats a title starting with one of these as a draft; the backport is a draft only when
// the bot makes it one.
const DRAFT_PREFIX = /^\s*(?:draft:|\[draft\]|\(draft\))\s*/i;

export function backportMergeRequestTitle(dest: string, originalTitle: string): string {
  let title = originalTitle;
  while (DRAFT_PREFIX.test(title)) title = title.replace(DRAFT_PREFIX, '');
  return `[Backport ${dest}] ${title.trim()}`.trimEnd();
}

export function backportMergeRequestDescription(p: {
  originalIid: number;
  originalUrl?: string;
  picked: readonly Commit[];
  skipped: readonly Commit[];
  conflictFiles?: readonly string[];
}): string {
  // `Backport of !<iid>` stays literal, link or not: GitLab cross-references it, and it is how a
  // backport can be recognised later.
  const of = p.originalUrl ? `[Backport of !${p.originalIid}](${p.originalUrl})` : `Backport of !${p.originalIid}`;
  const parts = [`${of}, cherry-picked with \`git cherry-pick -x\`.`];
  if (p.conflictFiles !== undefined) {
    const list = p.conflictFiles.length ? `\n\nFiles with conflict markers:\n${fileList(p.conflictFiles)}` : '';
    parts.push(
      `**This backport has conflicts.** I committed them as they are, conflict markers included, so that they can be resolved here.${list}\n\nResolve the markers on this branch, push, then mark this merge request as ready.`,
    );
  }
  if (p.picked.length) parts.push(`Cherry-picked commits:\n${commitList(p.picked)}`);
  if (p.skipped.length) parts.push(`Skipped, as their changes are already on the target branch:\n${commitList(p.skipped)}`);
  return parts.join('\n\n');
}

// --- helpers ---------------------------------------------------------------------------------

/** Inline code that survives backticks in the text (git allows them in branch and file names). */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function short(sha: string): string {
  return sha.slice(0, 8);
}

function mrLink(mr: MergeRequestLink): string {
  return `[!${mr.iid}](${mr.webUrl})`;
}

function branchList(names: readonly string[]): string {
  const coded = names.map(code);
  return coded.length <= 1 ? (coded[0] ?? '') : `${coded.slice(0, -1).join(', ')} and ${coded[coded.length - 1]}`;
}

function commitList(commits: readonly Commit[]): string {
  return commits.map((c) => `- ${code(short(c.sha))}${c.subject ? ` ${c.subject}` : ''}`).join('\n');
}

function fileList(files: readonly string[]): string {
  return files.map((f) => `- ${code(f)}`).join('\n');
}

function skippedSection(destination: string, skipped: readonly Commit[]): string {
  if (!skipped.length) return '';
  return `\n\nSkipped, as their changes are already on ${code(destination)}:\n${commitList(skipped)}`;
}

/**
 * Runs of plain picks share one `git cherry-pick -x`; a merge commit needs `-m 1` (its first
 * parent is the mainline), which git applies to every commit of the command, so it gets its own.
 */
function cherryPickCommands(picks: readonly { sha: string; mainline?: 1 }[]): string[] {
  const commands: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    if (run.length) commands.push(`git cherry-pick -x ${run.join(' ')}`);
    run = [];
  };
  for (const pick of picks) {
    if (pick.mainline === undefined) {
      run.push(pick.sha);
      continue;
    }
    flush();
    commands.push(`git cherry-pick -x -m ${pick.mainline} ${pick.sha}`);
  }
  flush();
  return commands;
}

/** A word a POSIX shell reads as itself: branch names may hold `;`, `$`, `'` and the like. */
function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
