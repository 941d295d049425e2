import { condition, getExternalWorkflowHandle, setHandler, sleep } from '@temporalio/workflow';
import { embargoComment, landedComment, sourcePushedComment } from '../domain/comments';
import { parseEmbargo } from '../domain/embargo';
import type { ForgeKind, MergeRequestRef } from '../domain/types';
import { forge, train } from './activities';
import { cancelJobSignal, landReportSignal, type LandReport } from './definitions';
import { showPhase } from './phase';

export interface LandMember {
  ref: MergeRequestRef;
  attemptKey: string;
  sourceBranch: string;
  /** The head the state was built from: the source branch must still be there. */
  expectedSha: string;
  /** Its rebased head inside the tested state. */
  headInState: string;
  /** Its own state's pipeline failed, and this larger state's pass is taken as the evidence (train-optimistic). */
  overruledPipelineUrl?: string;
}

export interface LandInput {
  forge: ForgeKind;
  project: string;
  targetBranch: string;
  life: string;
  car: number;
  /** The tested state: its pipeline passed on exactly this commit. */
  sha: string;
  /** Where the target must still be: the commit the train was built on, or the last car landed. */
  baseSha: string;
  members: LandMember[];
  queueWorkflowId: string;
  /** How long to wait for the forge to show a pushed head, or a landed MR as merged. */
  forgeCatchUpMs?: number;
}

/**
 * Lands a tested state: every MR's source branch to its head in the state, then (once the forge
 * shows those heads, so it recognises them) the target fast-forwarded to the tested commit itself,
 * after which the forge marks the MRs merged. The target only ever points at a tested commit.
 */
export async function landWorkflow(input: LandInput): Promise<LandReport> {
  const catchUpMs = input.forgeCatchUpMs ?? 2 * 60_000;
  let cancelled = false;
  setHandler(cancelJobSignal, () => {
    cancelled = true;
  });
  const end = async (r: LandReport): Promise<LandReport> => {
    showPhase('done');
    await getExternalWorkflowHandle(input.queueWorkflowId)
      .signal(landReportSignal, { car: input.car, report: r })
      .catch(() => undefined);
    return r;
  };
  const settings = await forge.settingsFor({ forge: input.forge });
  const embargo = parseEmbargo(settings.embargo);
  for (;;) {
    const now = new Date();
    const until = embargo.covers(now) ? embargo.nextEnd(now) : null;
    if (!until) break;
    showPhase('embargo');
    for (const m of input.members) {
      await forge.commentOnce({ ref: m.ref, key: `queue:${m.attemptKey}:embargo:${until.toISOString()}`, body: embargoComment(until, settings.embargo) });
    }
    await condition(() => cancelled, until.getTime() - now.getTime());
    // Asked to stop while waiting (the queue rebuilt meanwhile): nothing was pushed yet.
    if (cancelled) return end({ kind: 'target-moved' });
  }

  showPhase('merging');
  const updated = await train.updateSourceBranches({
    forge: input.forge,
    project: input.project,
    updates: input.members.map((m) => ({ branch: m.sourceBranch, expectedSha: m.expectedSha, sha: m.headInState })),
  });
  if (updated.kind === 'source-moved') {
    const m = input.members.find((x) => x.sourceBranch === updated.branch) ?? input.members[0];
    await forge.commentOnce({ ref: m.ref, key: `queue:${m.attemptKey}:source-pushed`, body: sourcePushedComment() });
    const { updatedAt } = await forge.unassignBot({ ref: m.ref });
    return end({ kind: 'source-moved', iid: m.ref.iid, outcome: { kind: 'refused', reason: 'source-pushed', handedBackAt: updatedAt } });
  }

  // The forge updates an MR's head in the background after a push; a target that already holds
  // the new head before then leaves the MR open (gitlab#636014). Wait until each shows it.
  await untilEach(input.members, catchUpMs, async (m) => (await forge.getMergeRequest(m.ref)).headSha === m.headInState);

  const landed = await train.fastForwardTarget({
    forge: input.forge,
    project: input.project,
    targetBranch: input.targetBranch,
    sha: input.sha,
    baseSha: input.baseSha,
  });
  if (landed.kind !== 'landed') return end({ kind: 'target-moved' });

  await untilEach(input.members, catchUpMs, async (m) => (await forge.getMergeRequest(m.ref)).state === 'merged');
  for (const m of input.members) {
    await forge.commentOnce({
      ref: m.ref,
      key: `queue:${m.attemptKey}:merged`,
      body: landedComment(
        input.targetBranch,
        input.sha,
        input.members.map((x) => x.ref.iid).filter((iid) => iid !== m.ref.iid),
        m.overruledPipelineUrl,
      ),
    });
  }
  return end({ kind: 'landed' });
}

/** Waits, with backoff and for at most `limitMs`, until `ok` holds for every member. */
async function untilEach<T>(members: T[], limitMs: number, ok: (m: T) => Promise<boolean>): Promise<void> {
  let waited = 0;
  let delay = 250;
  let pending = [...members];
  for (;;) {
    const still: T[] = [];
    for (const m of pending) if (!(await ok(m))) still.push(m);
    pending = still;
    if (pending.length === 0 || waited >= limitMs) return;
    await sleep(delay);
    waited += delay;
    delay = Math.min(delay * 2, 5_000);
  }
}
