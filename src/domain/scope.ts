// Which merge requests this bot handles, as marge-bot's --project-regexp, --branch-regexp and
// --source-branch-regexp: several bots can share a forge by splitting projects and branches.

/** The regexps' source text, as configured; `.*` accepts everything. */
export interface ScopeRules {
  projectRegexp: string;
  branchRegexp: string;
  sourceBranchRegexp: string;
}

export type ScopeResult = { inScope: true } | { inScope: false; reason: string };

/**
 * `re` compiled the way marge-bot matches (Python's `re.match`): anchored at the start only, so
 * `main` also accepts `main-2` and `(?!main)` accepts everything not starting with `main`.
 * Throws an Error naming the option `name` (e.g. `branch-regexp`) when `re` is not a regexp.
 */
export function compileScopeRegexp(name: string, re: string): RegExp {
  try {
    // Compiled alone first: `a)|(b` is invalid, but wrapped it would become `^(?:a)|(b)` and
    // quietly match `b` anywhere, escaping the anchor.
    new RegExp(re);
    return new RegExp('^(?:' + re + ')');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Invalid ${name} ${JSON.stringify(re)}: ${why}`);
  }
}

// Checked in this order, so the reason names the broadest rule that excludes the merge request.
const CHECKS = [
  { option: 'project-regexp', rule: 'projectRegexp', field: 'project', what: 'project' },
  { option: 'branch-regexp', rule: 'branchRegexp', field: 'targetBranch', what: 'target branch' },
  { option: 'source-branch-regexp', rule: 'sourceBranchRegexp', field: 'sourceBranch', what: 'source branch' },
] as const;

/**
 * Whether the bot handles a merge request, and if not, which rule says so in words for its
 * author: "the bot is not configured for target branch `release-1` (branch-regexp `main`)".
 * Throws like `compileScopeRegexp` for an invalid rule (configuration checks them first).
 */
export function checkScope(mr: { project: string; targetBranch: string; sourceBranch: string }, rules: ScopeRules): ScopeResult {
  for (const { option, rule, field, what } of CHECKS) {
    const value = mr[field];
    if (!compileScopeRegexp(option, rules[rule]).test(value)) {
      return { inScope: false, reason: `the bot is not configured for ${what} ${code(value)} (${option} ${code(rules[rule])})` };
    }
  }
  return { inScope: true };
}

/** Markdown inline code that survives backticks in branch names: fenced by a longer run of them. */
function code(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
