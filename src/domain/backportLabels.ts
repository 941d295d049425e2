// Backports asked for with labels: the candidate label (`backport-candidate`) sends a merge
// request to every configured backport branch, and labels matching a pattern
// (`backport release-1.2`) name one destination each.

export interface BackportLabelOptions {
  /** `backport-label`: compared exactly, as GitLab label titles are case-sensitive. */
  candidateLabel: string;
  /** `backport-branches`: where the candidate label sends the merge request. */
  branches: readonly string[];
  /** `backport-label-pattern`, compiled by `compileBackportLabelPattern`: its one group is the destination. */
  pattern: RegExp;
}

export interface BackportLabelDestinations {
  /** Configured branches first (when the candidate label is there), then the labels' ones in label order. */
  destinations: string[];
  /** The candidate label is there but `backport-branches` is empty: worth one comment saying so. */
  candidateWithoutBranches: boolean;
}

export function backportDestinationsFromLabels(labels: readonly string[], opts: BackportLabelOptions): BackportLabelDestinations {
  const destinations: string[] = [];
  const add = (branch: string): void => {
    if (branch !== '' && !destinations.includes(branch)) destinations.push(branch);
  };
  const candidate = opts.candidateLabel !== '' && labels.includes(opts.candidateLabel);
  if (candidate) opts.branches.forEach(add);
  // A global or sticky pattern would carry lastIndex from one label to the next.
  const pattern = new RegExp(opts.pattern.source, opts.pattern.flags.replace(/[gy]/g, ''));
  for (const label of labels) {
    // The candidate label means "the configured branches", even if the pattern happens to match it.
    if (candidate && label === opts.candidateLabel) continue;
    const destination = pattern.exec(label)?.[1];
    if (destination !== undefined) add(destination.trim());
  }
  return { destinations, candidateWithoutBranches: candidate && opts.branches.length === 0 };
}

/** backport-label-pattern's default: `backport release-1.2` asks for `release-1.2`. */
export const DEFAULT_BACKPORT_LABEL_PATTERN = '^backport (\\S+)$';
const EXAMPLE = DEFAULT_BACKPORT_LABEL_PATTERN;

/** Checks `backport-label-pattern`: a valid regular expression with exactly one capturing group. */
export function compileBackportLabelPattern(source: string): { ok: true; pattern: RegExp } | { ok: false; reason: string } {
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `it is not a valid regular expression (${detail}); it must be one with exactly one capturing group, the destination branch, such as \`${EXAMPLE}\`` };
  }
  // An empty alternative makes the expression match '', and the match has one slot per
  // capturing group: this counts named ones too, and not (?:...) or lookarounds.
  const groups = new RegExp(`${source}|`).exec('')!.length - 1;
  if (groups !== 1) {
    const has = groups === 0 ? 'no capturing group' : `${groups} capturing groups`;
    return {
      ok: false,
      reason: `it has ${has}, but it needs exactly one, which captures the destination branch, such as \`${EXAMPLE}\` (write other groups as \`(?:...)\`)`,
    };
  }
  return { ok: true, pattern };
}
