// How one merge attempt ended, as the merge request's workflow and the queue need to know it.

export type RefusalReason =
  | 'draft'
  | 'squash-with-trailers'
  | 'approvals'
  | 'discussions'
  | 'ci-failed'
  | 'ci-canceled'
  | 'ci-timeout'
  | 'conflict'
  | 'source-pushed'
  | 'protected-source'
  | 'fork-not-writable'
  | 'not-allowed'
  | 'merge-refused'
  | 'not-mergeable'
  | 'missing-branch'
  | 'target-kept-moving'
  | 'not-permitted';

export type StopReason = 'merged' | 'closed' | 'not-assigned' | 'cancelled';

export type JobOutcome =
  | { kind: 'merged'; sha: string }
  /** Stopped without a comment: merged or closed by someone, the bot was unassigned, or cancelled. */
  | { kind: 'stopped'; reason: StopReason }
  /**
   * The job broke down (a bug, a workflow terminated by hand); `message` is for the log only, never
   * for a comment: the MR's workflow says in plain words that something failed and where to look.
   */
  | { kind: 'error'; message: string }
  /**
   * Stopped with a comment saying why; the bot handed the MR back. `handedBackAt`: the MR's
   * updatedAt right after the bot unassigned itself, so a later change is a new request.
   */
  | { kind: 'refused'; reason: RefusalReason; handedBackAt?: string };
