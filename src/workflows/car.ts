import { CancellationScope, condition, getExternalWorkflowHandle, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { QueueStateResult, TrailerPlan } from '../activities/types';
import {
  cannotLandComment,
  forkInQueueStateComment,
  missingBranchComment,
  refusalComment,
  retryingPipelineComment,
  sourcePushedComment,
  squashInQueueStateComment,
  testingInQueueStateComment,
} from '../domain/comments';
import { isPipelineFinished, isPipelinePassed } from '../domain/events';
import type { JobOutcome, RefusalReason } from '../domain/jobOutcome';
import { checkReadiness, type MergeTrigger } from '../domain/readiness';
import type { ForgeKind, MergeRequestRef, Pipeline } from '../domain/types';
import { HEAD_SHA } from '../temporal/searchAttributeKeys';
import { forge, train } from './activities';
import { cancelJobSignal, carReportSignal, pipelineSignal, type CarReport } from './definitions';
import { showPhase } from './phase';
import { trailerPlan } from './trailerPlan';

export interface CarMember {
  ref: MergeRequestRef;
  attemptKey: string;
  trigger: MergeTrigger;
  /** Its source branch and head as an earlier car read them: the whole train builds on the same heads. */
  pinned?: { branch: string; sha: string; trailers?: TrailerPlan };
}

export interface CarInput {
  forge: ForgeKind;
  project: string;
  targetBranch: string;
  /** The queue's life (its first run's id, shortened) and the car's number in it. */
  life: string;
  car: number;
  mode: 'batch' | 'train';
  /** Tested alone, off the train, never landed. */
  probe: boolean;
  /** 1-based place of the car in the train (comments). */
  position: number;
  /** The state, in order: the target + these MRs. */
  state: CarMember[];
  /** The car's own MRs: their readiness is checked here and they hear what runs for them. */
  own: number[];
  /** Empty: on the target's head. */
  baseSha: string;
  queueWorkflowId: string;
  /** A ci-retry: run the pipeline of this built state again instead of building. */
  retry?: { sha: string; pipelineId: number; pipelineUrl?: string; run: number; of: number };
}

/** How the car ended; `built` is repeated here so a queue that missed the signal still learns it. */
export interface CarResult {
  built?: Extract<CarReport, { kind: 'built' }>;
  final: CarReport;
}

/** The queue's own branch for a car's state: unique per queue life, so two queues never share one. */
export function stateBranchOf(targetBranch: string, life: string, car: number): string {
  return `shepherd/batch/${targetBranch}/${life}-${car}`;
}

/**
 * One car of a batch or train: checks its own merge requests, builds target + state on the
 * queue's branch, waits for that commit's pipeline and tells the queue. It decides nothing: what
 * to land, whom to eject and what to test next is the queue's MergeTrainMachine.
 */
export async function carWorkflow(input: CarInput): Promise<CarResult> {
  const run = input.retry ? input.retry.run + 1 : 1;
  let cancelled = false;
  let pokes = 0;
  setHandler(cancelJobSignal, () => {
    cancelled = true;
  });
  setHandler(pipelineSignal, () => {
    pokes++;
  });
  let built: Extract<CarReport, { kind: 'built' }> | undefined;
  const report = async (r: CarReport): Promise<void> => {
    await getExternalWorkflowHandle(input.queueWorkflowId)
      .signal(carReportSignal, { car: input.car, run, report: r })
      .catch(() => undefined); // the queue finds it by its periodic check
  };
  const end = async (final: CarReport): Promise<CarResult> => {
    showPhase('done');
    await report(final);
    return built ? { built, final } : { final };
  };
  const byIid = new Map(input.state.map((m) => [m.ref.iid, m]));
  const own = input.own.map((iid) => byIid.get(iid)).filter((m): m is CarMember => m !== undefined);
  const settings = await forge.settingsFor({ forge: input.forge });

  const refuse = async (m: CarMember, reason: RefusalReason, body: string): Promise<CarResult> => {
    await forge.commentOnce({ ref: m.ref, key: `queue:${m.attemptKey}:${reason}`, body });
    const { updatedAt } = await forge.unassignBot({ ref: m.ref });
    const outcome: JobOutcome = { kind: 'refused', reason, handedBackAt: updatedAt };
    return end({ kind: 'refused', iid: m.ref.iid, outcome });
  };

  let sha: string;
  if (input.retry) {
    sha = input.retry.sha;
    for (const m of own) {
      await forge.commentOnce({
        ref: m.ref,
        key: `queue:${m.attemptKey}:car:${input.life}-${input.car}:retry${input.retry.run}`,
        body: retryingPipelineComment(input.retry.run, input.retry.of, input.retry.pipelineUrl),
      });
    }
    if (cancelled) return end({ kind: 'cancelled' });
    await train.retryPipeline({ forge: input.forge, project: input.project, pipelineId: input.retry.pipelineId });
  } else {
    showPhase('checking');
    if (!input.probe && own.length > 0 && !(await train.mayLandDirectly({ forge: input.forge, project: input.project, targetBranch: input.targetBranch }))) {
      return refuse(own[0], 'not-allowed', cannotLandComment(input.targetBranch, input.mode, settings.botUsername));
    }
    const sources: Array<{ iid: number; branch: string; sha: string; trailers?: TrailerPlan }> = [];
    for (const m of input.state) {
      if (cancelled) return end({ kind: 'cancelled' });
      if (m.pinned && !input.own.includes(m.ref.iid)) {
        sources.push({ iid: m.ref.iid, branch: m.pinned.branch, sha: m.pinned.sha, ...(m.pinned.trailers ? { trailers: m.pinned.trailers } : {}) });
        continue;
      }
      const { mr, approvals } = await forge.loadMergeRequest(m.ref);
      const refusal = checkReadiness(mr, approvals, { botUsername: settings.botUsername, trigger: m.trigger, trailersEnabled: false });
      if (refusal?.silent) return end({ kind: 'refused', iid: m.ref.iid, outcome: { kind: 'stopped', reason: refusal.reason } });
      if (refusal) return refuse(m, refusal.reason, refusalComment(refusal) ?? '');
      if (mr.sourceProject !== input.project) return refuse(m, 'fork-not-writable', forkInQueueStateComment(input.targetBranch, mr.sourceProject));
      if (mr.squash) return refuse(m, 'not-mergeable', squashInQueueStateComment(input.targetBranch));
      if (m.pinned && m.pinned.sha !== mr.headSha) return refuse(m, 'source-pushed', sourcePushedComment());
      const trailers = trailerPlan(settings, mr.webUrl, approvals.approvedBy);
      sources.push({ iid: m.ref.iid, branch: mr.sourceBranch, sha: mr.headSha, ...(trailers ? { trailers } : {}) });
    }
    if (cancelled) return end({ kind: 'cancelled' });
    showPhase('rebasing');
    const state: QueueStateResult = await train.buildQueueState({
      forge: input.forge,
      project: input.project,
      targetBranch: input.targetBranch,
      stateBranch: stateBranchOf(input.targetBranch, input.life, input.car),
      ...(input.baseSha ? { baseSha: input.baseSha } : {}),
      mergeRequests: sources.map((s) => ({ iid: s.iid, expectedSourceSha: s.sha, ...(s.trailers ? { trailers: s.trailers } : {}) })),
    });
    switch (state.kind) {
      case 'conflict': {
        const m = byIid.get(state.iid);
        // Conflicts are the queue's to judge (with whom?): it hears which MR and the files.
        if (m) return end({ kind: 'conflict', iid: state.iid, files: state.files });
        return end({ kind: 'cancelled' });
      }
      case 'missing-commit': {
        const m = byIid.get(state.iid);
        if (m) return refuse(m, 'source-pushed', sourcePushedComment());
        return end({ kind: 'cancelled' });
      }
      case 'missing-branch':
        return refuse(own[0] ?? input.state[0], 'missing-branch', missingBranchComment(state.branch));
    }
    sha = state.sha;
    built = { kind: 'built', sha, baseSha: state.targetSha, heads: state.heads, sources };
    await report(built);
  }

  showPhase('waiting-for-ci');
  // Pipeline hooks for this commit are routed here by (project, SHA), like a merge job's.
  upsertSearchAttributes([{ key: HEAD_SHA, value: sha }]);
  let commented = input.retry !== undefined;
  const ci = await waitForStatePipeline(input, sha, settings.ciTimeoutMs, settings.ciPollIntervalMs, () => pokes, () => cancelled, async (p) => {
    if (commented) return;
    commented = true;
    for (const m of own) {
      await forge.commentOnce({
        ref: m.ref,
        key: `queue:${m.attemptKey}:car:${input.life}-${input.car}`,
        body: testingInQueueStateComment({
          targetBranch: input.targetBranch,
          mode: input.mode,
          position: input.position,
          with: input.state.map((x) => x.ref.iid).filter((iid) => iid !== m.ref.iid),
          probe: input.probe,
          pipelineUrl: p.webUrl,
        }),
      });
    }
  });
  if (ci.kind === 'cancelled') {
    if (ci.last && !isPipelineFinished(ci.last.status)) {
      await train.cancelPipeline({ forge: input.forge, project: input.project, pipelineId: ci.last.id });
    }
    return end({ kind: 'cancelled' });
  }
  const last = ci.last;
  const passed = ci.kind === 'finished' && isPipelinePassed(ci.last.status);
  return end({
    kind: 'finished',
    sha,
    passed,
    ...(last ? { pipelineId: last.id, pipelineUrl: last.webUrl } : {}),
  });
}

type StateCi = { kind: 'finished'; last: Pipeline } | { kind: 'timeout'; last?: Pipeline } | { kind: 'cancelled'; last?: Pipeline };

/** Waits for the pipeline of `sha`: on every hook routed here, and every poll interval; gives up at the CI timeout. */
async function waitForStatePipeline(
  input: Pick<CarInput, 'forge' | 'project'>,
  sha: string,
  ciTimeoutMs: number,
  pollMs: number,
  pokes: () => number,
  isCancelled: () => boolean,
  onSeen: (p: Pipeline) => Promise<void>,
): Promise<StateCi> {
  let timedOut = false;
  const deadline = new CancellationScope();
  deadline
    .run(() => sleep(ciTimeoutMs))
    .then(
      () => (timedOut = true),
      () => undefined,
    );
  let last: Pipeline | undefined;
  try {
    for (;;) {
      if (isCancelled()) return { kind: 'cancelled', last };
      const seen = pokes();
      const { pipeline } = await train.stateCiStatus({ forge: input.forge, project: input.project, sha });
      if (pipeline) {
        last = pipeline;
        await onSeen(pipeline);
        // After a retry the status read here is the new run's: the forge reopens the pipeline before it answers.
        if (isPipelineFinished(pipeline.status)) return { kind: 'finished', last: pipeline };
      }
      if (timedOut) return { kind: 'timeout', last };
      await condition(() => timedOut || pokes() !== seen || isCancelled(), pollMs);
    }
  } finally {
    deadline.cancel();
  }
}
