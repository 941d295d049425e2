// Patch ids for patched(): each names the change that workflows already running must not see.
// Recorded histories of the versions before each patch stay in test/replay/histories.

/** Issue 6: queue state machine, forge state over hook order, attempts unique over an MR's life. */
export const PATCH_ISSUE_6 = 'issue-6-queue-machine';
