import type { Approvals, MergeRequest } from './types';

/** Why the bot will not (or no longer) merge a merge request. */
export type Refusal =
  | { reason: 'merged'; silent: true }
  | { reason: 'closed'; silent: true }
  | { reason: 'not-assigned'; silent: true }
  | { reason: 'draft'; silent: false }
  | { reason: 'approvals'; silent: false; left: number; eligibleApprovers: string[] }
  | { reason: 'discussions'; silent: false };

/**
 * Checks a merge request before a job starts and again right before merging, in a fixed order so
 * the person gets the most useful reason first. Silent refusals need no comment: the person
 * already knows (they merged, closed or unassigned it themselves).
 */
export function checkReadiness(mr: MergeRequest, approvals: Approvals, botUsername: string): Refusal | undefined {
  if (mr.state === 'merged') return { reason: 'merged', silent: true };
  if (mr.state === 'closed' || mr.state === 'locked') return { reason: 'closed', silent: true };
  if (!mr.assignees.includes(botUsername)) return { reason: 'not-assigned', silent: true };
  if (mr.draft) return { reason: 'draft', silent: false };
  if (approvals.left > 0) {
    return { reason: 'approvals', silent: false, left: approvals.left, eligibleApprovers: approvals.eligibleApprovers };
  }
  if (!mr.blockingDiscussionsResolved) return { reason: 'discussions', silent: false };
  return undefined;
}
