import type { Approvals, MergeRequest } from './types';

/** What asked the bot to merge: it must still hold right before merging. */
export type MergeTrigger =
  | { kind: 'assignment' }
  | { kind: 'label'; label: string }
  | { kind: 'command'; by: string };

export interface ReadinessContext {
  botUsername: string;
  trigger: MergeTrigger;
  /** Shepherd rewrites commit messages (Reviewed-by, Part-of, Tested-by). */
  trailersEnabled: boolean;
}

/** Why the bot will not (or no longer) merge a merge request. */
export type Refusal =
  | { reason: 'merged'; silent: true }
  | { reason: 'closed'; silent: true }
  | { reason: 'not-assigned'; silent: true }
  | { reason: 'draft'; silent: false }
  | { reason: 'squash-with-trailers'; silent: false }
  | { reason: 'approvals'; silent: false; left: number; eligibleApprovers: string[] }
  | { reason: 'discussions'; silent: false };

/** Whether the person's request still stands (assigned, labelled, or asked for by command). */
export function isStillRequested(mr: MergeRequest, ctx: Pick<ReadinessContext, 'botUsername' | 'trigger'>): boolean {
  switch (ctx.trigger.kind) {
    case 'assignment':
      return mr.assignees.includes(ctx.botUsername);
    case 'label':
      return mr.labels.includes(ctx.trigger.label) || mr.assignees.includes(ctx.botUsername);
    case 'command':
      return true; // withdrawn only by `cancel`, which the merge request's workflow handles
  }
}

/**
 * Checks a merge request before a job starts and again right before merging, in a fixed order so
 * the person gets the most useful reason first. Silent refusals need no comment: the person
 * already knows (they merged, closed or unassigned it themselves). Merged and closed come first
 * because nothing else is worth saying about them.
 */
export function checkReadiness(mr: MergeRequest, approvals: Approvals, ctx: ReadinessContext): Refusal | undefined {
  if (mr.state === 'merged') return { reason: 'merged', silent: true };
  if (mr.state === 'closed' || mr.state === 'locked') return { reason: 'closed', silent: true };
  if (mr.draft) return { reason: 'draft', silent: false };
  // Squashing would drop the trailers Shepherd writes into each commit.
  if (mr.squash && ctx.trailersEnabled) return { reason: 'squash-with-trailers', silent: false };
  if (approvals.left > 0) {
    return { reason: 'approvals', silent: false, left: approvals.left, eligibleApprovers: approvals.eligibleApprovers };
  }
  if (!mr.blockingDiscussionsResolved) return { reason: 'discussions', silent: false };
  if (!isStillRequested(mr, ctx)) return { reason: 'not-assigned', silent: true };
  return undefined;
}
