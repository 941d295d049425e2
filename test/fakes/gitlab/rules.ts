// GitLab's merge rules that depend only on recorded state (no git): shared by the API's
// detailed_merge_status, the merge endpoint's 405 answer and the hooks.
import {
  isDraftTitle,
  type ApprovalRuleRec,
  type CommitInfo,
  type MrRec, type PipelineRec, type ProjectRec, type Store } from './store';
import type { PushRule } from './types';

export type StateBlocker =
  | 'not_open'
  | 'draft_status'
  | 'discussions_not_resolved'
  | 'ci_must_pass'
  | 'ci_still_running'
  | 'not_approved';

const FINAL = new Set(['success', 'failed', 'canceled', 'skipped']);

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

/** The newest pipeline for the MR's head: GitLab's `head_pipeline`. */
export function headPipeline(store: Store, p: ProjectRec, mr: MrRec): PipelineRec | undefined {
  const forHead = store.pipelinesOf(p.id).filter((pl) => pl.sha === mr.headSha);
  const onBranch = forHead.filter((pl) => pl.ref === mr.sourceBranch);
  const pick = onBranch.length > 0 ? onBranch : forHead;
  return pick.sort((a, b) => b.id - a.id)[0];
}

/** Approvals this rule still needs: an approval counts for every rule that lists the approver. */
export function ruleApprovalsLeft(rule: ApprovalRuleRec, mr: MrRec): number {
  const got = mr.approverIds.filter((id) => rule.eligibleIds.includes(id)).length;
  return Math.max(0, rule.approvalsRequired - got);
}

/** With approval rules: the sum of what each rule still needs; otherwise the project setting. */
export function approvalsLeft(p: ProjectRec, mr: MrRec): number {
  if (p.approvalRules.length > 0) return p.approvalRules.reduce((n, r) => n + ruleApprovalsLeft(r, mr), 0);
  return Math.max(0, p.approvalsRequired - mr.approverIds.length);
}

/** GitLab's approvals_required: the sum over the rules when there are any. */
export function approvalsRequired(p: ProjectRec): number {
  if (p.approvalRules.length > 0) return p.approvalRules.reduce((n, r) => n + r.approvalsRequired, 0);
  return p.approvalsRequired;
}

/** Resolvable threads left open; they only block when the project says so, as on GitLab. */
export function blockingDiscussionsResolved(p: ProjectRec, mr: MrRec): boolean {
  if (!p.onlyAllowMergeIfAllDiscussionsAreResolved) return true;
  return mr.discussions.every((d) => d.notes.every((n) => !n.resolvable || n.resolved));
}

export function isDraft(mr: MrRec): boolean {
  return isDraftTitle(mr.title);
}

/** The first reason (in GitLab's order) why the MR may not be merged right now, if any. */
export function stateBlocker(store: Store, p: ProjectRec, mr: MrRec): StateBlocker | undefined {
  if (mr.state !== 'opened') return 'not_open';
  if (isDraft(mr)) return 'draft_status';
  if (!blockingDiscussionsResolved(p, mr)) return 'discussions_not_resolved';
  if (p.onlyAllowMergeIfPipelineSucceeds) {
    const pl = headPipeline(store, p, mr);
    if (!pl) return 'ci_must_pass';
    if (!isFinalStatus(pl.status)) return 'ci_still_running';
    const passed = pl.status === 'success' || (pl.status === 'skipped' && p.allowMergeOnSkippedPipeline);
    if (!passed) return 'ci_must_pass';
  }
  if (approvalsLeft(p, mr) > 0) return 'not_approved';
  return undefined;
}

/** Human text for the 405 answer (GitLab itself just says "405 Method Not Allowed"). */
export const BLOCKER_MESSAGE: Record<StateBlocker, string> = {
  not_open: '405 Method Not Allowed',
  draft_status: '405 Method Not Allowed: merge request is a draft',
  discussions_not_resolved: '405 Method Not Allowed: all threads must be resolved',
  ci_must_pass: '405 Method Not Allowed: pipeline must succeed',
  ci_still_running: '405 Method Not Allowed: pipeline is still running',
  not_approved: '405 Method Not Allowed: merge request is not approved',
};

/**
 * GitLab's protected branch names may be wildcards (`release/*`): `*` matches anything,
 * slashes included; everything else is literal.
 */
export function matchesBranchPattern(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(branch);
}

export function isProtectedBranch(p: ProjectRec, branch: string): boolean {
  for (const pattern of p.protectedBranches) if (matchesBranchPattern(pattern, branch)) return true;
  return false;
}

/** GitLab's default refusal text for a commit message that does not match the push rule. */
export function pushRuleMessage(rule: PushRule): string {
  return rule.rejectMessage ?? `Commit message does not follow the pattern '${rule.commitMessageRegex ?? ''}'`;
}

/** Tests a commit message as the push rule does: the whole message, trailing newlines removed. */
export function messageAllowed(rule: PushRule | undefined, message: string): boolean {
  if (!rule?.commitMessageRegex) return true;
  return new RegExp(rule.commitMessageRegex).test(message.replace(/\n+$/, ''));
}

/** The refusal text when any of these commits breaks the project's push rule. */
export function pushRuleViolation(p: ProjectRec, messages: Array<Pick<CommitInfo, 'message'>>): string | undefined {
  const rule = p.pushRule;
  if (!rule?.commitMessageRegex) return undefined;
  return messages.every((c) => messageAllowed(rule, c.message)) ? undefined : pushRuleMessage(rule);
}
