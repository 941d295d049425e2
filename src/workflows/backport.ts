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
import { ActivityFailure, allHandlersFinished, condition, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { BackportActivities, ForgeActivities } from '../activities/types';
import { forge } from './activities';
import { DEFAULT_BACKPORT_SETTINGS } from './mergeRequestBackports';
import { backportAskedAgainSignal } from '../temporal/messages';
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

/**
 * One backport of a merged MR to one destination (id backport:<forge>:<project>:<iid>:<dest>):
 * cherry-pick what landed onto `backport/<iid>-to-<dest>`, push, open the MR, say so on the
 * original. Every step is idempotent (the git job continues its own work, the MR is looked for
 * before it is opened, comments carry markers), so a retry or a crashed worker never makes a
 * second branch, MR or comment.
 */
export async function backportWorkflow(input: BackportInput): Promise<BackportResult> {
  // Comments asking for this destination while it runs: each hears how it ended, once.
  const again: string[] = [];
  setHandler(backportAskedAgainSignal, ({ requestKey }) => {
    if (requestKey !== input.requestKey && !again.includes(requestKey)) again.push(requestKey);
  });
  const { ref, destination, original } = input;
  const mailed = new Set<string>();
  const commenting = patiently(mailed, ref, original.webUrl, `backport to ${destination}`, patientForge);
  const say = (what: string, body: string): Promise<void> =>
    commenting.commentOnce({ ref, key: `backport:${ref.iid}:${destination}:${what}`, body });

  const result = await backportOnce(input, mailed, say);
  for (let answered = 0; ; answered++) {
    await condition(allHandlersFinished);
    if (answered >= again.length) return result;
    if (result.kind === 'opened' || result.kind === 'already') {
      await say(`done:${again[answered]}`, alreadyBackportedComment(destination, { iid: result.iid, webUrl: result.webUrl }));
    }
  }
}

async function backportOnce(input: BackportInput, mailed: Set<string>, say: (what: string, body: string) => Promise<void>): Promise<BackportResult> {
  const { ref, destination, original } = input;
  const settings = (await forge.settingsFor({ forge: ref.forge })).backport ?? DEFAULT_BACKPORT_SETTINGS;
  const at = { forge: ref.forge, project: ref.project };
  const backportBranch = backportBranchName(ref.iid, destination);
  const backport = patiently(mailed, ref, original.webUrl, `backport to ${destination}`, patientBackport);

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
    // The key of the comment that announced it: the request that did the work, delivered again, hears nothing more.
    await say(`done:${input.requestKey}`, alreadyBackportedComment(destination, done));
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
      await say(`done:${input.requestKey}`, backportConflictDraftComment({ destination, mr, backportBranch, files: outcome.files }));
      return { kind: 'opened', iid: mr.iid, webUrl: mr.webUrl, draft: true };
    }
    case 'pushed': {
      showPhase('opening');
      const description = backportMergeRequestDescription({ originalIid: ref.iid, originalUrl: original.webUrl, picked: outcome.picked, skipped: outcome.skipped });
      const mr = await open(false, description, settings.mrLabels);
      // backport-merge: the merge queue takes it, as if the bot had been asked (drafts wait for a person).
      if (settings.merge) await backport.askToMerge({ ref: { ...ref, iid: mr.iid }, by: original.author });
      await say(`done:${input.requestKey}`, backportOpenedComment({ destination, mr, picked: outcome.picked, skipped: outcome.skipped }));
      return { kind: 'opened', iid: mr.iid, webUrl: mr.webUrl, draft: false };
    }
  }
}

// Errors that are not the MR's fault (the forge keeps failing, a refused push) are retried a few
// times, then mailed to the administrator once per step, then retried on, ever more slowly: an
// outage delays the backport, it never loses it.
const bounded = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 } as const;
const patientBackport = proxyActivities<BackportActivities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute', retry: bounded });
const patientForge = proxyActivities<ForgeActivities>({ startToCloseTimeout: '2 minutes', retry: bounded });
const mail = proxyActivities<BackportActivities>({ startToCloseTimeout: '1 minute', retry: { ...bounded, maximumAttempts: 5 } });
const FIRST_PAUSE_MS = 10_000;
const LONGEST_PAUSE_MS = 60 * 60_000;

/** `activities`, each call retried as above; `mailed` holds the steps already reported. */
function patiently<T extends object>(mailed: Set<string>, ref: MergeRequestRef, mergeRequestUrl: string, what: string, activities: T): T {
  return new Proxy(activities, {
    get(target, name) {
      const call = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
          try {
            return await call(...args);
          } catch (err) {
            if (!(err instanceof ActivityFailure)) throw err;
            const step = String(name);
            const key = `${workflowInfo().workflowId}:${step}`;
            if (!mailed.has(key)) {
              mailed.add(key);
              const error = err.cause?.message ?? err.message;
              await mail.mailAdmin({ key, ref, mergeRequestUrl, what: `${what} (${step})`, error }).catch(() => undefined);
            }
            await sleep(pause);
          }
        }
      };
    },
  });
}
