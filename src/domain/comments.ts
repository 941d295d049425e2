import type { Refusal } from './readiness';

// Every comment the merge queue writes. Each says what happened and what the person can do,
// because a bare "I couldn't merge this" is the complaint marge-bot users have most.

const REASSIGN = 'assign me again';

/** Hidden marker that makes a comment recognisable, so a retried activity never posts it twice. */
export function commentMarker(key: string): string {
  return `<!-- shepherd:${key} -->`;
}

export function withMarker(key: string, body: string): string {
  return `${body}\n\n${commentMarker(key)}`;
}

export function refusalComment(refusal: Refusal): string | undefined {
  switch (refusal.reason) {
    case 'merged':
    case 'closed':
    case 'not-assigned':
      return undefined;
    case 'draft':
      return `I can't merge this merge request: it is marked as draft. Mark it as ready, then ${REASSIGN}.`;
    case 'approvals': {
      const who = refusal.eligibleApprovers.length
        ? ` It can be approved by: ${refusal.eligibleApprovers.map((u) => `@${u}`).join(', ')}.`
        : '';
      const n = refusal.left === 1 ? '1 more approval' : `${refusal.left} more approvals`;
      return `I can't merge this merge request yet: it needs ${n}.${who} Once it is approved, ${REASSIGN}.`;
    }
    case 'squash-with-trailers':
      return `I can't merge this merge request: it is set to squash commits, which would drop the trailers (Reviewed-by, Part-of, Tested-by) I add to each commit. Turn off "Squash commits when merge request is accepted", then ${REASSIGN}.`;
    case 'discussions':
      return `I can't merge this merge request: it has unresolved discussions. Resolve them, then ${REASSIGN}.`;
  }
}

export function ciFailedComment(pipelineUrl: string): string {
  return `I couldn't merge this merge request: CI failed on the rebased branch. See the pipeline: ${pipelineUrl}\n\nFix the failure and push, then ${REASSIGN}.`;
}

export function ciCanceledComment(pipelineUrl: string): string {
  return `I couldn't merge this merge request: its pipeline was canceled (${pipelineUrl}). If that was intended, nothing to do; otherwise ${REASSIGN} and I will run it again.`;
}

export function ciTimeoutComment(timeout: string, pipelineUrl: string | undefined): string {
  const where = pipelineUrl ? ` (last seen: ${pipelineUrl})` : ' (no pipeline appeared for the rebased commit)';
  return `I couldn't merge this merge request: CI did not finish within ${timeout}${where}. Check the CI runners, or raise \`ci-timeout\`; then ${REASSIGN}.`;
}

export function conflictComment(targetBranch: string, files: string[]): string {
  const list = files.length ? `\n\nConflicting files:\n${files.map((f) => `- \`${f}\``).join('\n')}` : '';
  return `I couldn't merge this merge request: rebasing it onto \`${targetBranch}\` gives conflicts.${list}\n\nRebase it yourself and resolve them, then ${REASSIGN}.`;
}

export function sourcePushedComment(): string {
  return `I stopped merging this merge request: someone pushed to its source branch while I was working on it, so what CI tested is no longer what would be merged. When the branch is ready, ${REASSIGN}.`;
}

export function notAllowedComment(message: string): string {
  return `I couldn't merge this merge request: GitLab refused the merge (${message}). It is not a draft and not closed, so a push rule or a branch protection most likely rejects it: check the project's push rules (commit message format, author email) and who may merge into the target branch, then ${REASSIGN}.`;
}

export function missingBranchComment(branch: string): string {
  return `I couldn't merge this merge request: the branch \`${branch}\` no longer exists. Restore it or fix the merge request, then ${REASSIGN}.`;
}

export function targetKeptMovingComment(targetBranch: string, attempts: number): string {
  return `I couldn't merge this merge request: \`${targetBranch}\` moved every time CI passed, ${attempts} times in a row. ${REASSIGN} when the branch is calmer.`;
}

export function unexpectedErrorComment(what: string): string {
  return `I couldn't merge this merge request: ${what}. The details are in Shepherd's logs and in its workflow in the Temporal Web UI. ${REASSIGN[0].toUpperCase()}${REASSIGN.slice(1)} to try again.`;
}

/**
 * A job that broke down. Internal error text stays in the log: the comment says what failed in
 * plain words and which workflow to look up.
 */
export function jobErrorComment(workflowId: string): string {
  return `I couldn't merge this merge request: something went wrong on my side while merging it. Whoever runs Shepherd can look up the workflow \`${workflowId}\` in its Temporal Web UI or logs for the details. ${REASSIGN[0].toUpperCase()}${REASSIGN.slice(1)} to try again.`;
}

export function mergeRefusedComment(message: string): string {
  return `I couldn't merge this merge request: GitLab refused the merge itself: "${message}". This is usually a push rule or a server hook (commit message format, author email, signed commits) or a merge request dependency; rebasing again would not change it. Fix what the message says, then ${REASSIGN}.`;
}

export function notMergeableComment(detail: string): string {
  return `I couldn't merge this merge request: GitLab does not consider it mergeable (${detail}). Check the merge request's merge checks on its page, then ${REASSIGN}.`;
}

export function forkNotWritableComment(sourceProject: string, branch: string, botUsername: string): string {
  return `I couldn't merge this merge request: its source branch \`${branch}\` lives in the fork \`${sourceProject}\`, where I may not push the rebased commits. Either tick "Allow commits from members who can merge to the target branch" on this merge request, or give @${botUsername} the Developer role in the fork; then ${REASSIGN}.`;
}

export function notPermittedToMergeComment(requester: string, targetBranch: string): string {
  return `@${requester}, I only merge on behalf of people who may merge into \`${targetBranch}\` themselves (require-merge-permission is on), and its protection rules do not allow you to. Ask someone who may merge into \`${targetBranch}\` to assign me or to comment \`merge\` to me.`;
}

export function badPriorityComment(value: string, botUsername: string): string {
  return `I did not put this merge request in the queue: \`priority=${value}\` is not a priority I know. Comment \`@${botUsername} merge priority=high\` to go ahead of the waiting merge requests, or \`@${botUsername} merge\` to wait in line.`;
}

/** require-merge-permission, but the request was found by polling: no hook said who made it. */
export function requesterUnknownComment(targetBranch: string, botUsername: string): string {
  return `I only merge on behalf of people who may merge into \`${targetBranch}\` themselves (require-merge-permission is on), and I could not tell who asked me: GitLab's notification of the assignment or label never reached me. Comment \`@${botUsername} merge\` to ask, and I'll check that you may.`;
}

export function queuedComment(targetBranch: string, position: number, running: number | undefined): string {
  const now = running !== undefined ? ` !${running} is being merged now.` : '';
  const where = position <= 1 ? 'next in line' : `number ${position} in line`;
  return `Added to the merge queue of \`${targetBranch}\`: ${where}.${now} I'll rebase, test and merge it when its turn comes; unassign me (or comment \`cancel\` to me) to take it out.`;
}

export function startedComment(targetBranch: string): string {
  return `Merging now: I'm rebasing this merge request onto the latest \`${targetBranch}\`, then I'll wait for CI on the rebased commit and merge it.`;
}

export function mergedComment(targetBranch: string, sha: string): string {
  return `Merged into \`${targetBranch}\` (${sha.slice(0, 12)}), after CI passed on exactly that commit.`;
}

export function embargoComment(until: Date, spec: string): string {
  return `This merge request is ready, but merging is paused by an embargo (\`${spec}\`) until ${until.toISOString().replace('.000Z', 'Z')}. I'll merge it then, nothing to do meanwhile; unassign me to take it out.`;
}

export function cancelledComment(by: string, targetBranch: string | undefined): string {
  const where = targetBranch ? ` of \`${targetBranch}\`` : '';
  return `Taken out of the merge queue${where}, as @${by} asked. Assign me again or comment \`merge\` to me to put it back.`;
}

export function notPermittedComment(by: string, botUsername: string): string {
  return `@${by}, only members with at least the Developer role can ask me to merge. Ask a Developer or Maintainer of this project to comment \`@${botUsername} merge\`, or to assign me.`;
}

export function unknownCommandComment(word: string, help: string): string {
  return `I don't know the command \`${word}\`. ${help}`;
}

export function outOfScopeComment(reason: string): string {
  return `I won't merge this merge request: ${reason}. This Shepherd is configured for other projects or branches; merge it by hand, or ask whoever runs Shepherd to widen its configuration.`;
}

export function protectedSourceComment(branch: string): string {
  return `I couldn't merge this merge request: its source branch \`${branch}\` is protected, so I may not push the rebased commits to it. Merge from an unprotected branch, or give me permission to push to it, then ${REASSIGN}.`;
}

export function rebaseFailedRemotelyComment(targetBranch: string, error: string): string {
  return `I couldn't merge this merge request: GitLab's rebase onto \`${targetBranch}\` failed (${error}). Rebase it yourself and resolve the conflicts, then ${REASSIGN}.`;
}

// --- batches and trains ----------------------------------------------------------------------

/** Where an MR rides: a batch (serial/batch mode) or a train position, and what runs for it. */
export function testingInQueueStateComment(p: {
  targetBranch: string;
  mode: 'batch' | 'train';
  /** 1 = at the head of the train. */
  position: number;
  /** The other MRs in the same tested state, in order. */
  with: number[];
  /** Tested alone, off the train, to clear or convict it. */
  probe: boolean;
  pipelineUrl?: string;
}): string {
  const others = p.with.length > 0 ? ` together with ${p.with.map((i) => `!${i}`).join(', ')}` : '';
  const what = p.probe
    ? `I'm testing this merge request on its own on top of \`${p.targetBranch}\`, to find out whether a failure was its doing`
    : p.mode === 'batch'
      ? `I'm testing this merge request in a batch${others}, on top of \`${p.targetBranch}\``
      : `This merge request is number ${p.position} in the merge train of \`${p.targetBranch}\`: I'm testing it on top of \`${p.targetBranch}\`${others}`;
  const pipeline = p.pipelineUrl ? ` Pipeline: ${p.pipelineUrl}` : '';
  return `${what}.${pipeline}\n\nIf it passes it is merged as tested; unassign me (or comment \`cancel\` to me) to take it out.`;
}

export function retryingPipelineComment(run: number, of: number, pipelineUrl: string | undefined): string {
  const link = pipelineUrl ? ` (${pipelineUrl})` : '';
  return `The pipeline${link} failed; retrying the pipeline, ${run} of ${of}, before I blame anyone (ci-retries is ${of}).`;
}

/** Ejected from a batch or train: its own state failed (after bisection, if it was in a batch). */
export function ejectedComment(targetBranch: string, pipelineUrl: string | undefined, alone: boolean): string {
  const tested = alone ? `on its own on top of \`${targetBranch}\`` : `on top of \`${targetBranch}\` and the merge requests ahead of it, which passed without it`;
  const link = pipelineUrl ? ` See the pipeline: ${pipelineUrl}` : '';
  return `I couldn't merge this merge request: CI failed when I tested it ${tested}.${link}\n\nFix the failure and push, then ${REASSIGN}.`;
}

export function conflictInQueueStateComment(targetBranch: string, files: string[], ahead: number[]): string {
  const list = files.length ? `\n\nConflicting files:\n${files.map((f) => `- \`${f}\``).join('\n')}` : '';
  const onTop = ahead.length > 0 ? ` and the merge requests ahead of it (${ahead.map((i) => `!${i}`).join(', ')})` : '';
  return `I couldn't merge this merge request: it conflicts with \`${targetBranch}\`${onTop}.${list}\n\nRebase it onto \`${targetBranch}\` yourself and resolve them, then ${REASSIGN}.`;
}

export function squashInQueueStateComment(targetBranch: string): string {
  return `I couldn't merge this merge request: it is set to squash commits, but the queue of \`${targetBranch}\` tests merge requests together and lands their commits exactly as tested, so it cannot squash them. Turn off "Squash commits when merge request is accepted" (or squash the commits yourself), then ${REASSIGN}.`;
}

export function forkInQueueStateComment(targetBranch: string, sourceProject: string): string {
  return `I couldn't merge this merge request: its source branch lives in the fork \`${sourceProject}\`, and the queue of \`${targetBranch}\` (batch or train mode) lands merge requests by updating their source branches in this project. Push the branch to this project and open the merge request from there, or ask whoever runs Shepherd to set \`queue-mode serial\` for \`${targetBranch}\`; then ${REASSIGN}.`;
}

export function landedComment(targetBranch: string, sha: string, with_: number[], overruledPipelineUrl?: string): string {
  const others = with_.length > 0 ? `, together with ${with_.map((i) => `!${i}`).join(', ')}` : '';
  const flaky =
    overruledPipelineUrl === undefined
      ? ''
      : `\n\nIts own pipeline failed${overruledPipelineUrl ? ` (${overruledPipelineUrl})` : ''}, but the pipeline of a larger state that includes it passed, so I took that failure for a flaky one (train-optimistic). If the failure looks real, have a look at it.`;
  return `Merged into \`${targetBranch}\` (${sha.slice(0, 12)})${others}, after CI passed on exactly that commit.${flaky}`;
}

/** The bot may not push to the target: a batch or train cannot land there. For start-up and for MRs. */
export function cannotLandMessage(project: string, targetBranch: string, mode: string, botUsername: string): string {
  return `${project}: the queue of \`${targetBranch}\` is in ${mode} mode, which lands each tested state by pushing it to \`${targetBranch}\`, but @${botUsername} may not push there. Give @${botUsername} the Maintainer role, or add it to "Allowed to push and merge" of \`${targetBranch}\` under Settings > Repository > Protected branches; or set \`queue-mode serial\` for it with \`queue-overrides\`.`;
}

export function cannotLandComment(targetBranch: string, mode: string, botUsername: string): string {
  return `I couldn't merge this merge request: the queue of \`${targetBranch}\` is in ${mode} mode, which lands what CI tested by pushing it to \`${targetBranch}\` itself, and I may not push there. Whoever maintains this project can give @${botUsername} the Maintainer role or allow it to push to \`${targetBranch}\` (Settings > Repository > Protected branches); then ${REASSIGN}.`;
}
