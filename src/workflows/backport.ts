import type { BackportSettings } from '../activities/types';
import {
  alreadyBackportedComment,
  BACKPORT_CONFLICT_LABEL,
  backportConflictComment,
  backportConflictDraftComment,
  backportMergeRequestDescription,
  backportMergeRequestTitle,
  backportOpenedComment,
  branchTakenComment,
  destinationIsTargetComment,
  destinationMissingComment,
  nothingToBackportComment,
} from '../domain/backportComments';
import { backportBranchName, backportPicks } from '../domain/backportPicks';
import type { MergeRequestRef } from '../domain/types';
import { backport, forge } from './activities';
import { showPhase } from './phase';

export interface BackportInput {
  /** The merged merge request. */
  ref: MergeRequestRef;
  destination: string;
  original: { title: string; webUrl: string; targetBranch: string; author: string };
  /** Names this request (a label, or the comment that asked): its answers are commented once. */
  requestKey: string;
}

export type BackportResult =
  | { kind: 'opened'; iid: number; webUrl: string; draft: boolean }
  | { kind: 'already'; iid: number; webUrl: string }
  | { kind: 'conflict'; files: string[] }
  | { kind: 'nothing-to-pick' }
  | { kind: 'branch-taken' }
  | { kind: 'refused'; reason: 'destination-is-target' | 'destination-missing' | 'commit-missing' };

const DEFAULTS: BackportSettings = { mrLabels: [], merge: false, conflicts: 'comment' };

/**
 * One backport of a merged MR to one destination (id backport:<forge>:<project>:<iid>:<dest>):
 * cherry-pick what landed onto `backport/<iid>-to-<dest>`, push, open the MR, say so on the
 * original. Every step is idempotent (the git job continues its own work, the MR is looked for
 * before it is opened, comments carry markers), so a retry or a crashed worker never makes a
 * second branch, MR or comment.
 */
export async function backportWorkflow(input: BackportInput): Promise<BackportResult> {
  const { ref, destination, original } = input;
  const settings = (await forge.settingsFor({ forge: ref.forge })).backport ?? DEFAULTS;
  const at = { forge: ref.forge, project: ref.project };
  const backportBranch = backportBranchName(ref.iid, destination);
  const say = (what: string, body: string): Promise<void> =>
    forge.commentOnce({ ref, key: `backport:${ref.iid}:${destination}:${what}`, body });

  showPhase('checking');
  if (destination === original.targetBranch) {
    await say(`is-target:${input.requestKey}`, destinationIsTargetComment(destination));
    return { kind: 'refused', reason: 'destination-is-target' };
  }
  if ((await backport.destinationHead({ ...at, branch: destination })) === null) {
    await say(`missing:${input.requestKey}`, destinationMissingComment(destination));
    return { kind: 'refused', reason: 'destination-missing' };
  }
  // Done before (an earlier request): the link, once per request.
  const done = (await backport.backportMergeRequests({ ...at, backportBranch, destination })).find((m) => m.state === 'opened' || m.state === 'merged');
  if (done) {
    await say(`already:${input.requestKey}`, alreadyBackportedComment(destination, done));
    return { kind: 'already', iid: done.iid, webUrl: done.webUrl };
  }

  showPhase('picking');
  const picks = backportPicks(await backport.landedChanges({ ref }));
  const outcome = await backport.backportAndPush({
    ...at,
    destination,
    backportBranch,
    picks,
    onConflict: settings.conflicts === 'draft' ? 'commit-conflict' : 'stop',
  });
  const open = (draft: boolean, description: string, labels: string[]) =>
    backport.openBackportMergeRequest({
      ...at,
      mr: {
        sourceBranch: backportBranch,
        targetBranch: destination,
        title: backportMergeRequestTitle(destination, original.title),
        description,
        assignee: original.author,
        labels,
        draft,
      },
    });

  switch (outcome.kind) {
    case 'missing-destination':
      await say(`missing:${input.requestKey}`, destinationMissingComment(destination));
      return { kind: 'refused', reason: 'destination-missing' };
    case 'missing-commit':
      // What landed is gone from the project (a force-push to the target): nothing to pick from.
      return { kind: 'refused', reason: 'commit-missing' };
    case 'branch-taken':
      await say('branch-taken', branchTakenComment({ destination, backportBranch }));
      return { kind: 'branch-taken' };
    case 'nothing-to-pick':
      await say('nothing', nothingToBackportComment(destination, outcome.skipped));
      return { kind: 'nothing-to-pick' };
    case 'conflict': {
      if (outcome.pushedHead === undefined) {
        await say('conflict', backportConflictComment({ destination, backportBranch, files: outcome.files, picks }));
        return { kind: 'conflict', files: outcome.files };
      }
      showPhase('opening');
      const description = backportMergeRequestDescription({
        originalIid: ref.iid,
        originalUrl: original.webUrl,
        picked: outcome.picked,
        skipped: outcome.skipped,
        conflictFiles: outcome.files,
      });
      const mr = await open(true, description, [...settings.mrLabels, BACKPORT_CONFLICT_LABEL]);
      await say('conflict-draft', backportConflictDraftComment({ destination, mr, backportBranch, files: outcome.files }));
      return { kind: 'opened', iid: mr.iid, webUrl: mr.webUrl, draft: true };
    }
    case 'pushed': {
      showPhase('opening');
      const description = backportMergeRequestDescription({ originalIid: ref.iid, originalUrl: original.webUrl, picked: outcome.picked, skipped: outcome.skipped });
      const mr = await open(false, description, settings.mrLabels);
      await say('opened', backportOpenedComment({ destination, mr, picked: outcome.picked, skipped: outcome.skipped }));
      return { kind: 'opened', iid: mr.iid, webUrl: mr.webUrl, draft: false };
    }
  }
}
