import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { conflictInQueueStateComment, ejectedComment } from '../domain/comments';
import type { JobOutcome } from '../domain/jobOutcome';
import type { QueueEntryRequest, QueueEntryState, QueueSnapshot } from '../domain/mergeQueueMachine';
import type { MergeOrder } from '../domain/mergeOrder';
import { MergeTrainMachine, type TrainCommand, type TrainEvent, type TrainSettings, type TrainSnapshot } from '../domain/mergeTrain';
import { trainView } from '../domain/trainView';
import type { ForgeKind } from '../domain/types';
import { carWorkflowId, landWorkflowId, mergeRequestWorkflowId } from '../domain/workflowIds';
import { queueSearchAttributes } from '../temporal/searchAttributeValues';
import { forge, queue, train } from './activities';
import type { carWorkflow, CarMember } from './car';
import {
  carReportSignal,
  cancelJobSignal,
  dequeueSignal,
  enqueueUpdate,
  jobFinishedSignal,
  landReportSignal,
  snapshotQuery,
  targetPushedSignal,
  type CarReport,
  type LandReport,
} from './definitions';
import type { landWorkflow } from './land';

/** One car as the queue keeps it: what was asked of it and what it reported. */
export interface CarRecord {
  id: number;
  /** 1 + the ci-retries started. */
  run: number;
  probe: boolean;
  /** The state's MRs, in order, and the car's own ones. */
  iids: number[];
  own: number[];
  built?: Extract<CarReport, { kind: 'built' }>;
  pipelineId?: number;
  pipelineUrl?: string;
  /** How its last pipeline ended. */
  passed?: boolean;
  conflictFiles?: string[];
  /** Its last run reported its end (or was cancelled): the periodic check leaves it alone. */
  over: boolean;
}

export interface LandRecord {
  car: number;
  sha: string;
  iids: number[];
  over: boolean;
}

/** What a batch or train queue carries over continue-as-new. */
export interface TrainQueueCarried {
  life: string;
  machine: TrainSnapshot;
  entries: QueueEntryRequest[];
  /** The target commit the train is built on (the last landed state, or the target's head). */
  base?: string;
  cars: CarRecord[];
  lands: LandRecord[];
  /** Pipelines that failed for an MR before (adaptive mode probes such an MR before it rides). */
  failures: Record<string, number>;
  carsStarted: number;
  wakeAt?: number;
}

export interface TrainQueueInput {
  forge: ForgeKind;
  project: string;
  targetBranch: string;
  mergeOrder?: MergeOrder;
  train: TrainSettings;
  trainCarried?: TrainQueueCarried;
  idleMs?: number;
  checkIntervalMs?: number;
  maxHistoryEvents?: number;
}

type Tell = { ref: QueueEntryRequest['ref']; attempt: number; outcome: JobOutcome };

/**
 * A target branch's queue in batch or train mode. The MergeTrainMachine decides what to test,
 * land and eject; this workflow carries its commands out through car and land workflows
 * (abandoned children that report back by signal, found by the periodic check should a signal
 * be lost) and tells each merge request's workflow how its attempt ended.
 */
export async function runTrainQueue(input: TrainQueueInput, continued: (carried: TrainQueueCarried) => Promise<never>): Promise<void> {
  const { project, targetBranch } = input;
  const info = workflowInfo();
  const c = input.trainCarried;
  const life = c?.life ?? info.firstExecutionRunId.slice(0, 8);
  const machine = new MergeTrainMachine(input.train, c?.machine);
  const entries = new Map<number, QueueEntryRequest>((c?.entries ?? []).map((e) => [e.ref.iid, e]));
  const cars = new Map<number, CarRecord>((c?.cars ?? []).map((r) => [r.id, r]));
  const lands = new Map<number, LandRecord>((c?.lands ?? []).map((r) => [r.car, r]));
  const failures = new Map<number, number>(Object.entries(c?.failures ?? {}).map(([k, v]) => [Number(k), v]));
  let base = c?.base;
  let carsStarted = c?.carsStarted ?? 0;
  let wakeAt = c?.wakeAt;
  let targetPokes = 0;
  const pending: TrainCommand[] = [];
  const tells: Tell[] = [];
  const queueId = info.workflowId;
  const checkIntervalMs = input.checkIntervalMs ?? 10 * 60_000;
  const maxHistoryEvents = input.maxHistoryEvents ?? 5_000;
  const mode = input.train.mode === 'batch' ? 'batch' : 'train';

  const apply = (event: TrainEvent): void => {
    pending.push(...machine.apply(event));
  };
  const rankOf = (e: QueueEntryRequest): number => {
    const field = input.mergeOrder === 'updated_at' ? e.updatedAt : input.mergeOrder === 'assigned_at' ? e.assignedAt : e.createdAt;
    const t = Date.parse(field);
    return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
  };
  const leave = (iid: number): void => {
    entries.delete(iid);
  };
  const tell = (iid: number, outcome: JobOutcome): void => {
    const e = entries.get(iid);
    if (!e) return;
    tells.push({ ref: e.ref, attempt: e.attempt, outcome });
    leave(iid);
  };
  /** Forgets cars the machine no longer holds once they are over (their pins went with their entries). */
  const prune = (): void => {
    const snap = machine.snapshot();
    const held = new Set([...snap.cars, ...snap.probes, ...snap.aside.map((a) => a.car)].map((x) => x.id));
    // A command still to be carried out may need its car's record (an ejection names its pipeline or files).
    for (const c of pending) if ('car' in c) held.add(c.car);
    for (const [id, r] of cars) if (r.over && !held.has(id)) cars.delete(id);
  };
  const landingInFlight = (): boolean => [...lands.values()].some((l) => !l.over);

  setHandler(
    enqueueUpdate,
    (entry) => {
      const known = entries.get(entry.ref.iid);
      if (!known || known.attempt < entry.attempt) {
        entries.set(entry.ref.iid, entry);
        apply({
          kind: 'enqueue',
          at: Date.now(),
          iid: entry.ref.iid,
          attempt: entry.attempt,
          priority: entry.priority ?? 'normal',
          rank: rankOf(entry),
          failedBefore: failures.get(entry.ref.iid) ?? 0,
        });
      }
      const place = machine.placeOf(entry.ref.iid);
      if (!place || place.kind === 'riding') return { position: 0 };
      const head = machine.snapshot().cars[0]?.iids[0];
      return head !== undefined ? { position: place.position, running: head } : { position: place.position };
    },
    {
      validator: (entry) => {
        if (entry.ref.project !== project || entry.ref.forge !== input.forge) {
          throw ApplicationFailure.nonRetryable(`merge request of ${entry.ref.project} sent to the queue of ${project}`);
        }
      },
    },
  );
  setHandler(dequeueSignal, ({ iid, attempt }) => {
    const e = entries.get(iid);
    if (!e || (attempt !== undefined && e.attempt !== attempt)) return;
    apply({ kind: 'dequeue', at: Date.now(), iid });
    // Taken out unless it is being landed already (then it lands, and its workflow hears so).
    if (!machine.placeOf(iid)) leave(iid);
  });
  setHandler(carReportSignal, ({ car, run, report }) => {
    onCarReport(car, run, report);
    prune();
  });
  setHandler(landReportSignal, ({ car, report }) => {
    onLandReport(car, report);
    prune();
  });
  setHandler(targetPushedSignal, () => {
    targetPokes++;
  });
  setHandler(snapshotQuery, (): QueueSnapshot => {
    const view = trainView(machine.snapshot(), {
      mode: input.train.mode,
      pipelines: new Map([...cars.values()].map((r) => [r.id, r.pipelineUrl])),
      tested: new Map([...cars.values()].map((r) => [r.id, r.iids])),
    });
    const riding = new Set(view.cars.flatMap((x) => x.iids).concat(view.probes.flatMap((x) => x.iids)));
    const listed: QueueEntryState[] = [...entries.values()].map((e) => ({
      ...e,
      state: riding.has(e.ref.iid) ? 'running' : 'waiting',
      cancelRequested: false,
    }));
    return { entries: listed, jobsStarted: carsStarted, train: view };
  });

  function onCarReport(carId: number, run: number, report: CarReport): void {
    const rec = cars.get(carId);
    if (!rec || run !== rec.run) return; // a run we no longer wait for
    const at = Date.now();
    switch (report.kind) {
      case 'built':
        if (rec.built) return;
        rec.built = report;
        apply({ kind: 'built', at, car: carId, sha: report.sha });
        return;
      case 'refused':
        rec.over = true;
        apply({ kind: 'dequeue', at, iid: report.iid });
        tell(report.iid, report.outcome);
        return;
      case 'conflict':
        rec.over = true;
        rec.conflictFiles = report.files;
        apply({ kind: 'build-conflict', at, car: carId, iid: report.iid });
        return;
      case 'finished':
        rec.over = true;
        if (report.pipelineId !== undefined) rec.pipelineId = report.pipelineId;
        if (report.pipelineUrl !== undefined) rec.pipelineUrl = report.pipelineUrl;
        rec.passed = report.passed;
        apply({ kind: 'pipeline-finished', at, car: carId, sha: report.sha, passed: report.passed });
        return;
      case 'cancelled': {
        rec.over = true;
        // Not cancelled by us (we forget a car when we cancel it): it broke down. Build again.
        const snap = machine.snapshot();
        const held = [...snap.cars, ...snap.probes].find((x) => x.id === carId);
        if (held && (held.status === 'building' || held.status === 'testing')) {
          log.warn('car ended without a result; building the train again', { car: carId });
          base = undefined;
          apply({ kind: 'target-moved', at });
        }
        return;
      }
    }
  }

  function onLandReport(carId: number, report: LandReport): void {
    const rec = lands.get(carId);
    if (!rec || rec.over) return;
    rec.over = true;
    const at = Date.now();
    switch (report.kind) {
      case 'landed':
        base = rec.sha;
        apply({ kind: 'landed', at, car: carId });
        for (const iid of rec.iids) {
          tell(iid, { kind: 'merged', sha: rec.sha });
          failures.delete(iid);
        }
        break;
      case 'target-moved':
        base = undefined;
        apply({ kind: 'land-failed', at, car: carId });
        break;
      case 'source-moved':
        apply({ kind: 'land-failed', at, car: carId });
        apply({ kind: 'dequeue', at, iid: report.iid });
        tell(report.iid, report.outcome);
        break;
    }
    lands.delete(carId);
  }

  const ensureBase = async (): Promise<string | undefined> => {
    if (base === undefined) base = (await train.targetHead({ forge: input.forge, project, targetBranch })) ?? undefined;
    return base;
  };

  const member = (iid: number): CarMember | undefined => {
    const e = entries.get(iid);
    if (!e) return undefined;
    // The head an earlier car of this train built it from: every car stacks the same commits.
    const pin = [...cars.values()]
      .map((r) => r.built?.sources.find((s) => s.iid === iid))
      .filter((s) => s !== undefined)
      .pop();
    return { ref: e.ref, attemptKey: e.attemptKey, trigger: e.trigger, ...(pin ? { pinned: { branch: pin.branch, sha: pin.sha, ...(pin.trailers ? { trailers: pin.trailers } : {}) } } : {}) };
  };

  const startCar = async (rec: CarRecord, retry?: { sha: string; run: number; of: number }): Promise<void> => {
    const state = rec.iids.map(member).filter((m): m is CarMember => m !== undefined);
    const baseSha = rec.built?.baseSha ?? (await ensureBase());
    const position = machine.snapshot().cars.findIndex((x) => x.id === rec.id) + 1;
    try {
      await startChild<typeof carWorkflow>('carWorkflow', {
        workflowId: carWorkflowId(input.forge, project, targetBranch, `${life}-${rec.id}`, rec.run),
        args: [
          {
            forge: input.forge,
            project,
            targetBranch,
            life,
            car: rec.id,
            mode,
            probe: rec.probe,
            position: Math.max(position, 1),
            state,
            own: rec.own,
            baseSha: baseSha ?? '',
            queueWorkflowId: queueId,
            ...(retry && rec.pipelineId !== undefined
              ? { retry: { ...retry, pipelineId: rec.pipelineId, ...(rec.pipelineUrl ? { pipelineUrl: rec.pipelineUrl } : {}) } }
              : {}),
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: queueSearchAttributes(input.forge, project, targetBranch),
      });
      carsStarted++;
    } catch (err) {
      // Only a car of the same id still running can collide: build it again later, from scratch.
      log.warn('car could not start', { car: rec.id, error: err instanceof Error ? err.message : String(err) });
      rec.over = true;
      apply({ kind: 'target-moved', at: Date.now() });
    }
  };

  const eject = async (cmd: Extract<TrainCommand, { kind: 'eject' }>): Promise<void> => {
    const e = entries.get(cmd.iid);
    if (!e || e.attempt !== cmd.attempt) return;
    const rec = cars.get(cmd.car);
    const body =
      cmd.reason === 'conflict'
        ? conflictInQueueStateComment(
            targetBranch,
            rec?.conflictFiles ?? [],
            (rec?.iids ?? []).slice(0, Math.max(0, (rec?.iids ?? []).indexOf(cmd.iid))),
          )
        : ejectedComment(targetBranch, rec?.pipelineUrl, rec?.probe === true || (rec?.iids.length ?? 0) <= 1);
    const reason = cmd.reason === 'conflict' ? 'conflict' : 'ci-failed';
    await forge.commentOnce({ ref: e.ref, key: `queue:${e.attemptKey}:${reason}`, body });
    const { updatedAt } = await forge.unassignBot({ ref: e.ref });
    if (cmd.reason === 'ci-failed') failures.set(cmd.iid, (failures.get(cmd.iid) ?? 0) + 1);
    tell(cmd.iid, { kind: 'refused', reason, handedBackAt: updatedAt });
  };

  const carryOut = async (cmd: TrainCommand): Promise<void> => {
    switch (cmd.kind) {
      case 'build': {
        const snap = machine.snapshot();
        const car = [...snap.cars, ...snap.probes].find((x) => x.id === cmd.car);
        if (!car || car.status !== 'building') return; // already stale
        const rec: CarRecord = { id: cmd.car, run: 1, probe: cmd.probe, iids: cmd.iids, own: car.iids, over: false };
        cars.set(rec.id, rec);
        await startCar(rec);
        return;
      }
      case 'cancel': {
        const rec = cars.get(cmd.car);
        if (!rec) return;
        const wasOver = rec.over;
        rec.over = true;
        if (!wasOver) {
          await getExternalWorkflowHandle(carWorkflowId(input.forge, project, targetBranch, `${life}-${rec.id}`, rec.run))
            .signal(cancelJobSignal)
            .catch(() => undefined);
        }
        cars.delete(rec.id);
        return;
      }
      case 'retry-pipeline': {
        const rec = cars.get(cmd.car);
        if (!rec) return;
        rec.run++;
        rec.over = false;
        await startCar(rec, { sha: cmd.sha, run: cmd.run, of: cmd.of });
        return;
      }
      case 'land': {
        const rec = cars.get(cmd.car);
        const built = rec?.built;
        const landBase = await ensureBase();
        if (!rec || !built || landBase === undefined) {
          apply({ kind: 'land-failed', at: Date.now(), car: cmd.car });
          return;
        }
        const members = cmd.iids.flatMap((iid) => {
          const e = entries.get(iid);
          const source = built.sources.find((s) => s.iid === iid);
          const head = built.heads.find((h) => h.iid === iid);
          // Its own car failed, but this larger state holding it passed (optimistic): it hears both.
          const own = [...cars.values()].filter((r) => !r.probe && r.own.includes(iid) && r.id !== cmd.car).pop();
          const overruled = own?.passed === false ? { overruledPipelineUrl: own.pipelineUrl ?? '' } : {};
          return e && source && head
            ? [{ ref: e.ref, attemptKey: e.attemptKey, sourceBranch: source.branch, expectedSha: source.sha, headInState: head.sha, ...overruled }]
            : [];
        });
        lands.set(cmd.car, { car: cmd.car, sha: cmd.sha, iids: cmd.iids, over: false });
        await startChild<typeof landWorkflow>('landWorkflow', {
          workflowId: landWorkflowId(input.forge, project, targetBranch, `${life}-${cmd.car}`),
          args: [{ forge: input.forge, project, targetBranch, life, car: cmd.car, sha: cmd.sha, baseSha: landBase, members, queueWorkflowId: queueId }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: queueSearchAttributes(input.forge, project, targetBranch),
        });
        return;
      }
      case 'eject':
        await eject(cmd);
        return;
      case 'wake':
        wakeAt = wakeAt === undefined ? cmd.at : Math.min(wakeAt, cmd.at);
        return;
    }
  };

  const tellAll = async (): Promise<void> => {
    while (tells.length > 0) {
      const t = tells.shift() as Tell;
      await getExternalWorkflowHandle(mergeRequestWorkflowId(t.ref))
        .signal(jobFinishedSignal, { iid: t.ref.iid, attempt: t.attempt, outcome: t.outcome })
        .catch(() => undefined); // the MR's workflow has ended (closed meanwhile): nobody waits
    }
  };

  /** Repairs what a lost signal or a lost webhook would leave wrong, and notices a moved target. */
  const check = async (): Promise<void> => {
    const open = [...cars.values()].filter((r) => !r.over);
    const openLands = [...lands.values()].filter((l) => !l.over);
    if (open.length > 0 || openLands.length > 0) {
      const results = await queue.trainChildResults({
        cars: open.map((r) => ({ car: r.id, run: r.run, workflowId: carWorkflowId(input.forge, project, targetBranch, `${life}-${r.id}`, r.run) })),
        lands: openLands.map((l) => ({ car: l.car, workflowId: landWorkflowId(input.forge, project, targetBranch, `${life}-${l.car}`) })),
      });
      for (const r of results.cars) {
        if (r.built) onCarReport(r.car, r.run, r.built);
        onCarReport(r.car, r.run, r.final);
      }
      for (const l of results.lands) onLandReport(l.car, l.report);
      prune();
    }
    const listed = [...entries.values()].filter((e) => machine.placeOf(e.ref.iid) !== undefined);
    if (listed.length > 0) {
      const iids = await forge.noLongerRequested({
        forge: input.forge,
        project,
        targetBranch,
        entries: listed.map((e) => ({ iid: e.ref.iid, trigger: e.trigger })),
      });
      for (const iid of iids) {
        apply({ kind: 'dequeue', at: Date.now(), iid });
        if (!machine.placeOf(iid)) tell(iid, { kind: 'stopped', reason: 'not-assigned' });
      }
    }
    await checkTarget();
  };

  /** Someone else moved the target: every state built on the old one is stale. */
  const checkTarget = async (): Promise<void> => {
    if (base === undefined || landingInFlight() || machine.isIdle()) return;
    const head = await train.targetHead({ forge: input.forge, project, targetBranch });
    if (head !== base && !landingInFlight()) {
      base = undefined;
      apply({ kind: 'target-moved', at: Date.now() });
    }
  };

  let seenTargetPokes = targetPokes;
  for (;;) {
    while (pending.length > 0 || tells.length > 0) {
      while (pending.length > 0) await carryOut(pending.shift() as TrainCommand);
      await tellAll();
    }
    prune();
    const idle = machine.isIdle() && entries.size === 0;
    const untilWake = wakeAt === undefined ? checkIntervalMs : Math.max(0, wakeAt - Date.now());
    const timeout = idle ? (input.idleMs ?? 60 * 60_000) : Math.min(checkIntervalMs, untilWake);
    const woke = await condition(() => pending.length > 0 || tells.length > 0 || targetPokes !== seenTargetPokes, timeout);
    if (targetPokes !== seenTargetPokes) {
      seenTargetPokes = targetPokes;
      await checkTarget();
    }
    if (!woke) {
      if (idle) {
        await condition(allHandlersFinished);
        if (machine.isIdle() && entries.size === 0 && pending.length === 0) return;
        continue;
      }
      if (wakeAt !== undefined && Date.now() >= wakeAt) {
        wakeAt = undefined;
        apply({ kind: 'tick', at: Date.now() });
      } else await check();
    }
    const now = workflowInfo();
    if (pending.length === 0 && tells.length === 0 && (now.continueAsNewSuggested || now.historyLength >= maxHistoryEvents)) {
      await condition(allHandlersFinished);
      if (pending.length === 0 && tells.length === 0) {
        return continued({
          life,
          machine: machine.snapshot(),
          entries: [...entries.values()],
          ...(base !== undefined ? { base } : {}),
          cars: [...cars.values()],
          lands: [...lands.values()],
          failures: Object.fromEntries([...failures.entries()].map(([k, v]) => [String(k), v])),
          carsStarted,
          ...(wakeAt !== undefined ? { wakeAt } : {}),
        });
      }
    }
  }
}

