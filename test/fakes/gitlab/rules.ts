// GitLab's merge rules that depend only on recorded state (no git): shared by the API's
// detailed_merge_status, the merge endpoint's 405 answer and the hooks.
import {
  isDraftTitle,
  type AccessRec,
  type ApprovalRuleRec,
  type CommitInfo,
  type MrRec,
  type PipelineRec,
  type ProjectRec,
  type ProtectedBranchRec,
  type Store,
  type UserRec,
} from './store';
import { ACCESS_LEVEL, type PushRule } from './types';

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

/** Every pipeline that ran for this MR: its merge request pipelines and its source branch's. */
export function mrPipelines(store: Store, mr: MrRec): PipelineRec[] {
  return store.pipelines
    .filter(
      (pl) =>
        (pl.mrIid === mr.iid && pl.mrProjectId === mr.projectId) ||
        (pl.kind === 'branch' && pl.projectId === mr.sourceProjectId && pl.ref === mr.sourceBranch),
    )
    .filter((pl) => mr.headHistory.includes(pl.kind === 'merged-results' ? (pl.sourceSha ?? '') : pl.sha))
    .sort((a, b) => b.id - a.id);
}

/**
 * GitLab's `head_pipeline`: the newest merge request (or merged results) pipeline for the MR's
 * head when there is one, else the newest branch pipeline of the head in the source project.
 */
export function headPipeline(store: Store, _p: ProjectRec, mr: MrRec): PipelineRec | undefined {
  const forHead = mrPipelines(store, mr).filter(
    (pl) => (pl.kind === 'merged-results' ? pl.sourceSha : pl.sha) === mr.headSha,
  );
  return forHead.find((pl) => pl.kind !== 'branch') ?? forHead[0];
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

/** Every protection rule that applies to the branch: its exact rule and matching wildcards. */
export function matchingRules(p: ProjectRec, branch: string): ProtectedBranchRec[] {
  return p.protectedBranches.filter((r) => matchesBranchPattern(r.name, branch));
}

export function isProtectedBranch(p: ProjectRec, branch: string): boolean {
  return matchingRules(p, branch).length > 0;
}

/** Admins act like owners everywhere without being members. */
export const ADMIN_LEVEL = 60;

/** The user's role in the project as a number; 0 when not a member. */
export function memberLevel(p: ProjectRec, u: UserRec): number {
  return u.admin ? ADMIN_LEVEL : (p.members.get(u.id) ?? 0);
}

/**
 * Whether one access entry admits the user, as GitLab's ProtectedRefAccess does: a role entry
 * by the user's project role (60: admins only, 0: nobody), a user entry by identity, a group
 * entry by group membership. The caller checked that the user may write code at all.
 */
function accessAdmits(store: Store, p: ProjectRec, u: UserRec, a: AccessRec): boolean {
  if (a.userId !== null) return a.userId === u.id;
  if (a.groupId !== null) return (store.groups.get(a.groupId)?.members.get(u.id) ?? 0) >= ACCESS_LEVEL.developer;
  if (a.accessLevel === null || a.accessLevel === 0) return false;
  if (a.accessLevel >= ADMIN_LEVEL) return u.admin;
  return memberLevel(p, u) >= a.accessLevel;
}

/**
 * May `u` push to `branch` as a member (GitLab's UserAccess#can_push_to_branch?): Developer or
 * more, and, when the branch is protected, admitted by one of the matching rules' push levels.
 */
export function memberMayPush(store: Store, p: ProjectRec, u: UserRec, branch: string): boolean {
  if (memberLevel(p, u) < ACCESS_LEVEL.developer) return false;
  const rules = matchingRules(p, branch);
  return rules.length === 0 || rules.some((r) => ruleAdmitsPush(store, p, u, r));
}

/** Whether this one rule's push levels admit the user (a branch's rules are ORed). */
export function ruleAdmitsPush(store: Store, p: ProjectRec, u: UserRec, rule: ProtectedBranchRec): boolean {
  return rule.push.some((a) => accessAdmits(store, p, u, a));
}

/**
 * May `u` merge into `branch` (GitLab's can_update_branch?: push or merge access): Developer or
 * more, and, when protected, admitted by a matching rule's merge or push levels.
 */
export function mayMergeInto(store: Store, p: ProjectRec, u: UserRec, branch: string): boolean {
  if (memberLevel(p, u) < ACCESS_LEVEL.developer) return false;
  const rules = matchingRules(p, branch);
  return (
    rules.length === 0 ||
    rules.some((r) => [...r.merge, ...r.push].some((a) => accessAdmits(store, p, u, a)))
  );
}

/** Whether force-pushing to this protected branch is allowed by one of its rules. */
export function forcePushAllowed(p: ProjectRec, branch: string): boolean {
  return matchingRules(p, branch).some((r) => r.allowForcePush);
}

/**
 * Branches of fork `p` that `u` may push to through "Allow commits from members who can merge
 * to the target branch": the source branches of open MRs from `p` with allow_collaboration whose
 * target branch `u` may merge into.
 */
export function collaborationBranches(store: Store, p: ProjectRec, u: UserRec): string[] {
  const out = new Set<string>();
  for (const mr of store.mrs) {
    if (mr.state !== 'opened' || !mr.allowCollaboration || mr.sourceProjectId !== p.id || mr.projectId === p.id) continue;
    const target = store.projects.get(mr.projectId);
    if (target && mayMergeInto(store, target, u, mr.targetBranch)) out.add(mr.sourceBranch);
  }
  return [...out];
}

/** May `u` push to `branch` of `p` at all: as a member, or as a collaborator on a fork MR. */
export function mayPushTo(store: Store, p: ProjectRec, u: UserRec, branch: string): boolean {
  if (memberMayPush(store, p, u, branch)) return true;
  if (!collaborationBranches(store, p, u).includes(branch)) return false;
  // Collaboration grants push_code, but the fork's protection rules still apply, and a
  // non-member has no role they could admit.
  return matchingRules(p, branch).length === 0;
}

/**
 * The level the user acts with in the project: their role; or, without one, reporter-like read
 * access when the project is internal or the user collaborates on one of its fork MRs.
 */
export function effectiveLevel(store: Store, p: ProjectRec, u: UserRec): number {
  const level = memberLevel(p, u);
  if (level > 0) return level;
  if (p.visibility === 'internal' || collaborationBranches(store, p, u).length > 0) return ACCESS_LEVEL.reporter;
  return 0;
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
