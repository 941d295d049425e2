// The Slack message that closes a monthly evidence run. Four cases, as the team reads them: all
// good; evidence complete but some committers unknown; repositories missing; both. A missing
// repository means somebody's evidence is short, so that message goes to the alert channel.
import { monthLabel } from './month';
import type { Month } from './types';

export interface EvidenceSummaryInput {
  readonly month: Month;
  /** People with at least one evidence line. */
  readonly people: number;
  readonly commits: number;
  readonly reposRead: readonly string[];
  readonly reposNotFound: readonly string[];
  /** Committers matching nobody in the list, as `Name <email>`. */
  readonly unknown: readonly string[];
  readonly channel: string;
  readonly alertChannel: string;
}

/** Long lists are cut here so the message stays readable; the rest is counted. */
const LISTED = 25;

export function evidenceSummary(input: EvidenceSummaryInput): { channel: string; text: string } {
  const allFound = input.reposNotFound.length === 0;
  const allKnown = input.unknown.length === 0;
  const when = `*${monthLabel(input.month)}* (${input.month})`;
  const totals = `${count(input.commits, 'commit', 'commits')} by ${count(input.people, 'person', 'people')} in ${count(input.reposRead.length, 'repository', 'repositories')}`;

  const lines: string[] = [];
  if (allFound && allKnown) {
    lines.push(`:white_check_mark: The evidence report for ${when} is ready: ${totals}. Every committer is on the list.`);
  } else if (allFound) {
    lines.push(`:warning: The evidence report for ${when} is ready, ${totals}, but ${count(input.unknown.length, 'committer is', 'committers are')} not on the list, so their work is in nobody's evidence:`);
    lines.push(...bullets(input.unknown));
    lines.push(`Add them (or the email they commit with, as an alias) to the list and run the report for ${input.month} again.`);
  } else {
    lines.push(`:rotating_light: The evidence report for ${when} is incomplete: ${count(input.reposNotFound.length, 'repository', 'repositories')} could not be read:`);
    lines.push(...bullets(input.reposNotFound.map((repo) => `\`${repo}\``)));
    lines.push(`What was read: ${totals}.`);
    if (!allKnown) {
      lines.push(`Also, ${count(input.unknown.length, 'committer is', 'committers are')} not on the list:`);
      lines.push(...bullets(input.unknown));
    }
    const fix = allKnown ? '' : ', add the committers to the list';
    lines.push(`Check the repository names and the bot's access${fix}, then run the report for ${input.month} again.`);
  }
  return { channel: allFound ? input.channel : input.alertChannel, text: lines.join('\n') };
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The items in the order given (the caller's: sorted, or as configured), each once. */
function bullets(items: readonly string[]): string[] {
  const unique = [...new Set(items)];
  const shown = unique.slice(0, LISTED).map((item) => `• ${escapeMrkdwn(item)}`);
  if (unique.length > LISTED) shown.push(`• …and ${unique.length - LISTED} more`);
  return shown;
}

/** Slack reads `<…>` as links and mentions and `&` as an entity: `Name <email>` must be escaped. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
