// Mergeability that needs git (conflicts, fast-forward possible) and the merge itself, which
// really writes the target branch of the bare repository.
import {
  commitInfo,
  commitsBetween,
  commitTree,
  deleteRef,
  isAncestor,
  mergeBase,
  mergeTree,
  rebaseCommits,
  revParse,
  treeOf,
  updateRef,
} from './git';
import type { Core } from './core';
import { BLOCKER_MESSAGE, blockingDiscussionsResolved, mayMergeInto, pushRuleViolation, stateBlocker } from './rules';
import { now, ZERO_SHA, type MrRec, type ProjectRec, type UserRec } from './store';
import type { MergeMethod } from './types';

export interface GitMergeability {
  /** Undefined when the target branch is gone. */
  targetHead: string | undefined;
  baseSha: string | undefined;
  conflict: boolean;
  /**
   * Fast-forward/semi-linear project, the source does not contain the target head, and the
   * project does not rebase on merge by itself: the merge is refused until someone rebases.
   */
  needRebase: boolean;
}

// Commits never change, so a check for the same (target head, source head) pair is reusable.
const cache = new Map<string, { conflict: boolean; containsTarget: boolean; baseSha: string | undefined }>();

export async function gitMergeability(p: ProjectRec, mr: MrRec): Promise<GitMergeability> {
  const targetHead = await revParse(p.repoDir, `refs/heads/${mr.targetBranch}`);
  if (!targetHead) return { targetHead, baseSha: undefined, conflict: true, needRebase: false };
  const key = `${p.repoDir}:${targetHead}:${mr.headSha}`;
  let hit = cache.get(key);
  if (!hit) {
    const [tree, containsTarget, baseSha] = await Promise.all([
      mergeTree(p.repoDir, targetHead, mr.headSha),
      isAncestor(p.repoDir, targetHead, mr.headSha),
      mergeBase(p.repoDir, targetHead, mr.headSha),
    ]);
    hit = { conflict: tree === undefined, containsTarget, baseSha };
    cache.set(key, hit);
  }
  const linear = p.mergeMethod === 'ff' || p.mergeMethod === 'rebase_merge';
  return {
    targetHead,
    baseSha: hit.baseSha,
    conflict: hit.conflict,
    needRebase: linear && !hit.containsTarget && !p.rebaseOnMerge,
  };
}

export interface MergeView {
  detailedMergeStatus: string;
  mergeStatus: 'can_be_merged' | 'cannot_be_merged' | 'checking';
  hasConflicts: boolean;
  blockingDiscussionsResolved: boolean;
  git: GitMergeability | undefined;
}

/** The mergeability fields of the MR API answer. */
export async function mergeView(core: Core, p: ProjectRec, mr: MrRec): Promise<MergeView> {
  const blocker = stateBlocker(core.store, p, mr);
  const git = mr.state === 'opened' ? await gitMergeability(p, mr) : undefined;
  // A push GitLab has not applied yet: it has not looked at the new head, so it cannot say.
  if (mr.state === 'opened' && mr.pendingUpdates > 0) {
    return {
      detailedMergeStatus: 'checking',
      mergeStatus: 'checking',
      hasConflicts: false,
      blockingDiscussionsResolved: blockingDiscussionsResolved(p, mr),
      git,
    };
  }
  const gitBlocker = git?.conflict ? 'conflict' : git?.needRebase ? 'need_rebase' : undefined;
  return {
    // GitLab reports a draft or a closed MR before looking at conflicts; so does the fake.
    detailedMergeStatus:
      blocker === 'not_open' || blocker === 'draft_status' ? blocker : (gitBlocker ?? blocker ?? 'mergeable'),
    mergeStatus: git?.conflict ? 'cannot_be_merged' : 'can_be_merged',
    hasConflicts: git?.conflict ?? false,
    blockingDiscussionsResolved: blockingDiscussionsResolved(p, mr),
    git,
  };
}

export interface MergeParams {
  sha?: string;
  squash?: boolean;
  removeSourceBranch?: boolean;
  mergeCommitMessage?: string;
  squashCommitMessage?: string;
  /** Instead of the project's merge method (the test helper's per-merge choice). */
  method?: MergeMethod;
}

export type MergeOutcome =
  /** `onAnswered`: to call once the 200 has gone out (a held merge's `accepted`). */
  | { ok: true; onAnswered?: () => void }
  | { ok: false; status: 401 | 405 | 406 | 409 | 422; message: string };

const CANNOT_BE_MERGED = 'Branch cannot be merged';

/**
 * PUT /merge_requests/:iid/merge. Checks run in GitLab's order: may merge into the target
 * branch (401), state rules (405), git mergeability (405, 406 or 422 by mergeErrorStyle), the
 * `sha` guard (409), then the merge itself, which a push rule, a server hook (failNextMerge) or
 * a target moved meanwhile can make fail. Runs under the project lock.
 */
export async function mergeMr(
  core: Core,
  p: ProjectRec,
  mr: MrRec,
  actor: UserRec,
  params: MergeParams,
): Promise<MergeOutcome> {
  const style = core.mergeErrorStyle;
  if (!mayMergeInto(core.store, p, actor, mr.targetBranch)) return { ok: false, status: 401, message: '401 Unauthorized' };
  const blocker = stateBlocker(core.store, p, mr);
  if (blocker) return { ok: false, status: 405, message: BLOCKER_MESSAGE[blocker] };
  const git = await gitMergeability(p, mr);
  if (mr.pendingUpdates > 0 || !git.targetHead || git.conflict || git.needRebase) {
    if (style === 'current') return { ok: false, status: 405, message: '405 Method Not Allowed' };
    return { ok: false, status: style === 'legacy' ? 406 : 422, message: CANNOT_BE_MERGED };
  }
  if (params.sha !== undefined && params.sha !== mr.headSha) {
    return { ok: false, status: 409, message: `SHA does not match HEAD of source branch: ${mr.headSha}` };
  }
  const next = mr.nextMerge;
  mr.nextMerge = null;
  if (next?.kind === 'fail') return mergeFailed(core, mr, next.message, next.answer);
  if (next?.kind === 'hold') {
    // GitLab locks the MR while it merges; the test decides when (and how) that ends.
    mr.state = 'locked';
    core.background(async () => {
      const { error } = await next.outcome;
      await core.withLock(p, async () => {
        if (mr.state !== 'locked') return;
        mr.state = 'opened';
        if (error !== null) {
          mr.mergeError = error;
          return;
        }
        const outcome = await performMerge(core, p, mr, actor, params);
        if (!outcome.ok) mr.mergeError = mr.mergeError ?? outcome.message;
      });
    });
    return { ok: true, onAnswered: next.accepted };
  }
  return performMerge(core, p, mr, actor, params);
}

/**
 * The merge service failed: GitLab records why in merge_error. Current GitLab then answers 422;
 * older GitLab answered 200 with the MR still open (`answer` overrides the style).
 */
function mergeFailed(core: Core, mr: MrRec, message: string, answer?: 200 | 422): MergeOutcome {
  mr.mergeError = message;
  const status = answer ?? (core.mergeErrorStyle === 'legacy' ? 200 : 422);
  return status === 200 ? { ok: true } : { ok: false, status: 422, message: CANNOT_BE_MERGED };
}

/**
 * Writes the merge into the target branch of the bare repo, as GitLab's merge strategy does:
 * squash first when squashing (one commit with the source's tree on the merge base); for `ff` and
 * `rebase_merge` a source that does not contain the target (only possible with rebaseOnMerge)
 * is rebased onto it on the side, the source branch untouched; then `ff` moves the target onto
 * the result and the others make a merge commit. GitLab records merge_commit_sha only for a
 * merge commit and squash_commit_sha (the squash as it landed) whenever it squashed.
 */
export async function performMerge(
  core: Core,
  p: ProjectRec,
  mr: MrRec,
  actor: UserRec,
  params: MergeParams,
): Promise<MergeOutcome> {
  const git = await gitMergeability(p, mr);
  if (!git.targetHead) return mergeFailed(core, mr, 'Something went wrong during merge: the target branch is gone');
  const who = { name: actor.name, email: actor.email };
  const squash = params.squash ?? mr.squash;
  const method = params.method ?? p.mergeMethod;
  const targetHead = git.targetHead;
  const headSha = mr.headSha;
  const squashMessage = params.squashCommitMessage ?? `${mr.title}\n`;
  const mergeMessage =
    params.mergeCommitMessage ??
    `Merge branch '${mr.sourceBranch}' into '${mr.targetBranch}'\n\n${mr.title}\n\n` +
      `See merge request ${p.path}!${mr.iid}\n`;
  if (p.pushRule?.commitMessageRegex) {
    const landing: Array<{ message: string }> = squash
      ? [{ message: squashMessage }]
      : await commitsBetween(p.repoDir, headSha, [targetHead], 1000);
    if (method !== 'ff') landing.push({ message: mergeMessage });
    const violation = pushRuleViolation(p, landing);
    if (violation) return mergeFailed(core, mr, violation);
  }
  let squashSha: string | null = null;
  let newHead: string;
  let mergeCommit: string | null = null;
  if (squash) {
    // One commit with the source's final tree, on top of where the source left the target.
    const parent = git.baseSha ?? targetHead;
    squashSha = await commitTree(p.repoDir, await treeOf(p.repoDir, headSha), [parent], squashMessage, who);
  }
  let incoming = squashSha ?? headSha;
  if (method !== 'merge' && !(await isAncestor(p.repoDir, targetHead, incoming))) {
    // The target moved since the checks (a held merge): GitLab's merge strategy refuses then.
    if (!p.rebaseOnMerge) {
      return mergeFailed(core, mr, 'Only fast-forward merge is allowed for your project. Please update your source branch');
    }
    const rebased = await rebaseCommits(p.repoDir, incoming, targetHead, who);
    if (!rebased.ok) return mergeFailed(core, mr, 'Rebase failed: the source branch could not be rebased onto the target');
    incoming = rebased.sha;
    if (squashSha) squashSha = rebased.sha;
  }
  if (method === 'ff') {
    newHead = incoming;
  } else {
    const tree = await mergeTree(p.repoDir, targetHead, incoming);
    if (!tree) return mergeFailed(core, mr, 'Something went wrong during merge: conflicts appeared');
    mergeCommit = await commitTree(p.repoDir, tree, [targetHead, incoming], mergeMessage, who);
    newHead = mergeCommit;
  }
  try {
    await updateRef(p.repoDir, `refs/heads/${mr.targetBranch}`, newHead, targetHead);
  } catch {
    // Someone pushed to the target in between: the merge service fails.
    return mergeFailed(core, mr, 'Something went wrong during merge: the target branch moved');
  }
  core.rememberCommit(await commitInfo(p.repoDir, newHead));
  const at = now();
  mr.state = 'merged';
  mr.mergedAt = at;
  mr.updatedAt = at;
  mr.mergedById = actor.id;
  mr.mergeCommitSha = mergeCommit;
  mr.squashCommitSha = squashSha;
  mr.mergedCommitSha = newHead;
  mr.targetShaAtMerge = targetHead;
  mr.mergeError = null;
  core.mrHook(p, mr, actor, { action: 'merge' });
  const changes = [{ ref: `refs/heads/${mr.targetBranch}`, before: targetHead, after: newHead }];
  // Only same-project source branches: removing a fork's branch would need the fork's lock.
  if (params.removeSourceBranch && mr.sourceProjectId === p.id) {
    const sourceHead = await revParse(p.repoDir, `refs/heads/${mr.sourceBranch}`);
    if (sourceHead) {
      await deleteRef(p.repoDir, `refs/heads/${mr.sourceBranch}`, sourceHead);
      changes.push({ ref: `refs/heads/${mr.sourceBranch}`, before: sourceHead, after: ZERO_SHA });
    }
  }
  await core.applyRefChanges(p, changes, actor);
  return { ok: true };
}
