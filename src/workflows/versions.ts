// Patch ids for patched(): each names the change that workflows already running must not see.
// Recorded histories of the versions before each patch stay in test/replay/histories.

/** Issue 6: queue state machine, forge state over hook order, attempts unique over an MR's life. */
export const PATCH_ISSUE_6 = 'issue-6-queue-machine';

/** Issue 7: batch and train queues (MergeTrainMachine, car and land workflows). */
export const PATCH_ISSUE_7 = 'issue-7-trains';

/** Issue 8: backport requests (labels, `@bot backport`, `/cherry-pick`) and `@bot help`. */
export const PATCH_ISSUE_8 = 'issue-8-backports';

/**
 * Issue 9: the evidence report's quick steps (plan, summary, clean-up) as local activities, and
 * no Slack step when Slack is not configured: fewer round trips through the server.
 */
export const PATCH_EVIDENCE_LOCAL_STEPS = 'issue-9-evidence-local-steps';
