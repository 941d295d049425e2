import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { WorkerSettings } from '../activities/types';
import { parseBackportRequest } from '../domain/backportCommands';
import { commandHelp, parseCommand } from '../domain/commands';
import {
  badPriorityComment,
  cancelledComment,
  jobErrorComment,
  notPermittedComment,
  notPermittedToMergeComment,
  outOfScopeComment,
  queuedComment,
  requesterUnknownComment,
  unknownCommandComment,
} from '../domain/comments';
import type { CommentEvent, MergeRequestWorkflowEvent } from '../domain/events';
import type { JobOutcome } from '../domain/jobOutcome';
import type { Priority } from '../domain/mergeOrder';
import type { MergeTrigger } from '../domain/readiness';
import { checkScope } from '../domain/scope';
import type { MergeRequest, MergeRequestRef } from '../domain/types';
import { mergeJobWorkflowId, mergeQueueWorkflowId } from '../domain/workflowIds';
import { forge, queue } from './activities';
import {
  dequeueSignal,
  eventSignal,
  jobFinishedSignal,
  stateQuery,
  type AttemptEnded,
  type MergeRequestPhase,
  type MergeRequestSnapshot,
} from './definitions';
import { showPhase } from './phase';
import { mergeRequestWorkflowV1, type MergeRequestCarried as MergeRequestCarriedV1 } from './v1/mergeRequest';
import { DEFAULT_BACKPORT_SETTINGS, MergeRequestBackports, type BackportRequestsCarried } from './mergeRequestBackports';
import { PATCH_ISSUE_6, PATCH_ISSUE_8 } from './versions';

/** What survives continue-as-new. */
export interface MergeRequestCarried {
  /** Names this life of the MR's workflow: attempt keys stay unique after it ends and restarts. */
  life: string;
  phase: MergeRequestPhase;
  /** Who asked by `@bot merge`, until merged, cancelled or refused. */
  commandBy?: string;
  /** `@bot merge priority=...` of that command. */
  commandPriority?: Priority;
  /** Who last asked by assigning the bot or adding the label (the hook's actor). */
  requestedBy?: string;
  /**
   * The MR's updatedAt right after the bot handed it back: while the forge shows nothing newer,
   * an assignment still listed is the old request, not a new one.
   */
  handedBackAt?: string;
  targetBranch?: string;
  assignedAt?: string;
  /** The forge asked the bot last time we looked (to notice when a request starts). */
  wasRequested: boolean;
  attempts: number;
  queuedAttempt?: number;
  lastOutcome?: JobOutcome;
  seenEventIds: string[];
  /** The newest `merge`/`cancel` comment acted on: an older one delivered late changes nothing. */
  lastCommandNoteId?: number;
  /** Backports asked for and not started yet (issue 8 on). */
  backports?: BackportRequestsCarried;
}

export interface MergeRequestInput {
  ref: MergeRequestRef;
  /** Either release's carried state; the first release's has no `life`. */
  carried?: MergeRequestCarried | MergeRequestCarriedV1;
  /** End the workflow after this long without events while nothing is queued. */
  idleMs?: number;
}

const SEEN_EVENTS_KEPT = 200;

/**
 * The life of one merge request as Shepherd sees it: from its first event until it is merged or
 * closed. Events are reasons to look: on each, it reads the MR from the forge and decides from
 * that, so no order of hooks (nor a lost one) changes the outcome. The queue merges.
 */
export async function mergeRequestWorkflow(input: MergeRequestInput): Promise<MergeRequestSnapshot> {
  if (!patched(PATCH_ISSUE_6)) return mergeRequestWorkflowV1({ ...input, carried: input.carried as MergeRequestCarriedV1 | undefined });
  return runMergeRequest(input);
}

function isCurrent(c: MergeRequestCarried | MergeRequestCarriedV1 | undefined): c is MergeRequestCarried {
  return c !== undefined && 'life' in c;
}

async function runMergeRequest(input: MergeRequestInput): Promise<MergeRequestSnapshot> {
  const { ref } = input;
  // Before anything else, so a history without it replays the same way to its end.
  const backportsOn = patched(PATCH_ISSUE_8);
  const old = input.carried;
  const s: MergeRequestCarried = isCurrent(old)
    ? old
    : {
        life: uuid4().slice(0, 8),
        phase: old?.phase === 'queued' ? 'idle' : (old?.phase ?? 'idle'),
        commandBy: old?.commandBy,
        targetBranch: old?.targetBranch,
        assignedAt: old?.assignedAt,
        wasRequested: false,
        attempts: old?.attempts ?? 0,
        lastOutcome: old?.lastOutcome,
        seenEventIds: old?.seenEventIds ?? [],
      };
  const inbox: MergeRequestWorkflowEvent[] = [];
  const finished: AttemptEnded[] = [];
  const seen = new Set(s.seenEventIds);
  const wfId = workflowInfo().workflowId;

  const snapshot = (): MergeRequestSnapshot => ({
    ref,
    phase: s.phase,
    requested: s.commandBy !== undefined || (s.wasRequested && s.handedBackAt === undefined),
    targetBranch: s.targetBranch,
    attempts: s.attempts,
    lastOutcome: s.lastOutcome,
  });
  setHandler(stateQuery, snapshot);
  setHandler(eventSignal, (evt) => {
    // A redelivered webhook carries the same event id: it changes nothing.
    if (seen.has(evt.eventId)) return;
    seen.add(evt.eventId);
    s.seenEventIds.push(evt.eventId);
    if (s.seenEventIds.length > SEEN_EVENTS_KEPT) s.seenEventIds.splice(0, s.seenEventIds.length - SEEN_EVENTS_KEPT);
    inbox.push(evt);
  });
  setHandler(jobFinishedSignal, (msg) => {
    finished.push(msg);
  });

  const settings: WorkerSettings = await forge.settingsFor({ forge: ref.forge });
  const bot = settings.botUsername;
  if (backportsOn) s.backports ??= { asks: [], announced: [] };
  const backports = s.backports && new MergeRequestBackports(ref, bot, settings.backport ?? DEFAULT_BACKPORT_SETTINGS, s.backports);
  const setPhase = (phase: MergeRequestPhase): void => {
    s.phase = phase;
    showPhase(phase);
  };
  const attemptKey = (attempt: number): string => `${attempt}-${s.life}`;
  const comment = (key: string, body: string): Promise<void> => forge.commentOnce({ ref, key: `${wfId}:${s.life}:${key}`, body });
  const handBack = async (): Promise<void> => {
    const { updatedAt } = await forge.unassignBot({ ref });
    s.handedBackAt = updatedAt;
    s.commandBy = undefined;
    s.commandPriority = undefined;
    s.requestedBy = undefined;
  };

  /** Out of the queue; the queue itself stops the job if it has started or is starting. */
  const leaveQueue = async (): Promise<void> => {
    if (s.phase !== 'queued' || !s.targetBranch || s.queuedAttempt === undefined) return;
    await getExternalWorkflowHandle(mergeQueueWorkflowId(ref.forge, ref.project, s.targetBranch))
      .signal(dequeueSignal, { iid: ref.iid, attempt: s.queuedAttempt })
      .catch(() => undefined); // no queue running: nothing of ours runs either
    s.queuedAttempt = undefined;
    setPhase('idle');
  };

  /** How an attempt ended; true when the MR is merged and the workflow is done. */
  const onAttemptEnded = async (attempt: number, outcome: JobOutcome): Promise<boolean> => {
    if (attempt !== s.queuedAttempt) return false; // an answer to an attempt we already left
    s.queuedAttempt = undefined;
    s.lastOutcome = outcome;
    if (outcome.kind === 'merged') {
      // Merged by the queue: the backports start now, with the MR as it was merged.
      if (backports) await backports.whenMerged(await forge.getMergeRequest(ref));
      setPhase('merged');
      return true;
    }
    setPhase('idle');
    if (outcome.kind === 'error') {
      log.error('merge attempt failed', { workflowId: wfId, attempt, error: outcome.message });
      await comment(`error:${attempt}`, jobErrorComment(mergeJobWorkflowId(ref, attemptKey(attempt))));
      await handBack();
    }
    if (outcome.kind === 'refused') {
      s.commandBy = undefined;
      s.commandPriority = undefined;
      s.requestedBy = undefined;
      s.handedBackAt = outcome.handedBackAt ?? s.handedBackAt;
    }
    return false;
  };

  const onComment = async (evt: CommentEvent): Promise<void> => {
    if (evt.author === bot) return;
    // `@bot backport x` would be an unknown command; `/cherry-pick x` is no command at all.
    const backportRequest = backports && parseBackportRequest(evt.body, bot);
    if (backports && backportRequest) await backports.onRequest(evt, backportRequest);
    const command = parseCommand(evt.body, bot);
    if (!command) return;
    if (backportRequest && command.kind === 'unknown') return;
    if (backports && command.kind === 'help') return comment(`help:${evt.noteId}`, commandHelp(bot));
    if (!(await forge.mayRequest({ ref, username: evt.author }))) {
      return comment(`denied:${evt.noteId}`, notPermittedComment(evt.author, bot));
    }
    if (command.kind !== 'unknown' && command.kind !== 'help') {
      // Comments are numbered in the order they were written; hooks may come in another order.
      if (s.lastCommandNoteId !== undefined && evt.noteId < s.lastCommandNoteId) return;
      s.lastCommandNoteId = evt.noteId;
    }
    switch (command.kind) {
      case 'merge':
        if (command.badPriority !== undefined) {
          return comment(`bad-priority:${evt.noteId}`, badPriorityComment(command.badPriority, bot));
        }
        s.commandBy = evt.author;
        s.commandPriority = command.priority;
        s.handedBackAt = undefined;
        return;
      case 'cancel': {
        const target = s.targetBranch;
        await leaveQueue();
        // Still assigned or labelled: that request is what was cancelled, not a reason to go on.
        await handBack();
        return comment(`cancelled:${evt.noteId}`, cancelledComment(evt.author, target));
      }
      case 'help': // only before issue 8, where `help` was no command
      case 'unknown':
        return comment(`unknown:${evt.noteId}`, unknownCommandComment(command.kind === 'help' ? 'help' : command.word, commandHelp(bot)));
    }
  };

  const enqueue = async (mr: MergeRequest, viaForge: boolean): Promise<void> => {
    const scope = checkScope({ project: ref.project, targetBranch: mr.targetBranch, sourceBranch: mr.sourceBranch }, settings.scope);
    if (!scope.inScope) {
      await comment(`out-of-scope:${mr.targetBranch}:${mr.updatedAt}`, outOfScopeComment(scope.reason));
      return handBack();
    }
    const requester = s.commandBy ?? s.requestedBy;
    if (settings.requireMergePermission) {
      const allowed = requester !== undefined && (await forge.mayMerge({ ref, username: requester, branch: mr.targetBranch }));
      if (!allowed) {
        await comment(
          `not-permitted:${requester ?? 'unknown'}:${mr.updatedAt}`,
          requester === undefined ? requesterUnknownComment(mr.targetBranch, bot) : notPermittedToMergeComment(requester, mr.targetBranch),
        );
        return handBack();
      }
    }
    const trigger: MergeTrigger = s.commandBy
      ? { kind: 'command', by: s.commandBy }
      : viaForge && settings.mergeLabel && mr.labels.includes(settings.mergeLabel) && !mr.assignees.includes(bot)
        ? { kind: 'label', label: settings.mergeLabel }
        : { kind: 'assignment' };
    const priority: Priority =
      s.commandPriority ?? (settings.priorityLabel !== undefined && mr.labels.includes(settings.priorityLabel) ? 'high' : 'normal');
    s.attempts++;
    s.queuedAttempt = s.attempts;
    s.targetBranch = mr.targetBranch;
    const answer = await queue.enqueue({
      targetBranch: mr.targetBranch,
      entry: {
        ref,
        attempt: s.attempts,
        attemptKey: attemptKey(s.attempts),
        trigger,
        ...(requester ? { requestedBy: requester } : {}),
        ...(priority === 'high' ? { priority } : {}),
        createdAt: mr.createdAt,
        updatedAt: mr.updatedAt,
        assignedAt: s.assignedAt ?? mr.updatedAt,
      },
    });
    setPhase('queued');
    // Next in an idle queue: "Merging now" follows at once, a position would only be noise.
    if (answer.position > 1 || (answer.position === 1 && answer.running !== undefined)) {
      await comment(`queued:${s.attempts}`, queuedComment(mr.targetBranch, answer.position, answer.running));
    }
  };

  /** Decides from the forge's current state; true when the MR is merged or closed. */
  const reconcile = async (): Promise<boolean> => {
    const mr = await forge.getMergeRequest(ref);
    if (mr.state === 'merged' || mr.state === 'closed' || mr.state === 'locked') {
      await leaveQueue();
      if (mr.state === 'merged') await backports?.whenMerged(mr);
      else await backports?.whenClosed(mr);
      setPhase(mr.state === 'merged' ? 'merged' : 'closed');
      return true;
    }
    await backports?.whileOpen(mr);
    const viaForge = mr.assignees.includes(bot) || (settings.mergeLabel !== undefined && mr.labels.includes(settings.mergeLabel));
    if (!viaForge) {
      // The hand-back took effect, or they took it back: what comes next is a new request, by whoever makes it.
      s.handedBackAt = undefined;
      s.requestedBy = undefined;
    }
    // Still listed, but nothing changed since the bot handed it back: the old request.
    const stale = s.handedBackAt !== undefined && !isLater(mr.updatedAt, s.handedBackAt);
    if (viaForge && !stale) s.handedBackAt = undefined;
    if (viaForge && !s.wasRequested) s.assignedAt = mr.updatedAt;
    s.wasRequested = viaForge;
    const requested = s.commandBy !== undefined || (viaForge && s.handedBackAt === undefined);
    if (s.phase === 'queued' && (!requested || s.targetBranch !== mr.targetBranch)) await leaveQueue();
    s.targetBranch = mr.targetBranch;
    if (requested && s.phase === 'idle') await enqueue(mr, viaForge);
    return false;
  };

  /** The queue and Temporal agree on where our attempt stands, or we repair it. */
  const checkWithQueue = async (): Promise<'done' | void> => {
    if (s.phase !== 'queued' || s.queuedAttempt === undefined || !s.targetBranch) return;
    const attempt = s.queuedAttempt;
    const status = await queue.attemptStatus({ ref, targetBranch: s.targetBranch, attempt, attemptKey: attemptKey(attempt) });
    if (status.kind === 'ended') {
      if (await onAttemptEnded(attempt, status.outcome)) return 'done';
    } else if (status.kind === 'unknown') {
      log.warn('queued attempt unknown to the queue; asking again', { workflowId: wfId, attempt });
      s.queuedAttempt = undefined;
      setPhase('idle');
    }
  };

  /** The result, or undefined when events came meanwhile (a backport asked just after the merge): they are handled first. */
  const finish = async (): Promise<MergeRequestSnapshot | undefined> => {
    await condition(allHandlersFinished);
    if (backports && inbox.length > 0) return undefined;
    return snapshot();
  };

  let look = input.carried === undefined || !isCurrent(old); // a new life starts by looking
  for (;;) {
    // Backports waiting for the merge look again now and then: the merge's hook may be lost.
    const backportsWaiting = s.phase !== 'queued' && backports?.waiting() === true;
    const timeoutMs =
      s.phase === 'queued'
        ? settings.queueCheckIntervalMs
        : backportsWaiting
          ? settings.mergeRequestPollIntervalMs || settings.queueCheckIntervalMs
          : (input.idleMs ?? 30 * 24 * 3600 * 1000);
    const woke = look || (await condition(() => inbox.length > 0 || finished.length > 0, timeoutMs));
    if (!woke && backportsWaiting) {
      look = true;
    } else if (!woke) {
      if (s.phase !== 'queued') {
        // Nothing happened for a month and nothing is queued: stop; the next event starts afresh.
        await condition(allHandlersFinished);
        if (inbox.length === 0 && finished.length === 0) return snapshot();
        continue;
      }
      if ((await checkWithQueue()) === 'done') {
        const result = await finish();
        if (result) return result;
      }
      look = true;
    }

    for (const msg of finished.splice(0)) {
      if (await onAttemptEnded(msg.attempt, msg.outcome)) {
        const result = await finish();
        if (result) return result;
      }
      look = true;
    }
    for (const evt of inbox.splice(0)) {
      if (evt.kind === 'merge-request') {
        // An empty actor: found by polling, nobody known to have asked.
        if (evt.actor !== '' && evt.actor !== bot && (evt.assignees.includes(bot) || (settings.mergeLabel && evt.labels.includes(settings.mergeLabel)))) {
          s.requestedBy = evt.actor;
        }
      } else if (evt.kind === 'merge-asked') {
        if (backportsOn) {
          s.commandBy = evt.by;
          s.handedBackAt = undefined;
        }
      } else {
        await onComment(evt);
      }
      look = true;
    }
    if (look) {
      look = false;
      if (await reconcile()) {
        const result = await finish();
        if (result) return result;
        look = true;
      }
    }

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // Only when nothing is pending, so no event is lost between the runs.
      if (inbox.length === 0 && finished.length === 0) {
        return continueAsNew<typeof mergeRequestWorkflow>({ ...input, carried: s });
      }
    }
  }
}

/** `a` is a later instant than `b` (ISO 8601 with any offset). */
function isLater(a: string, b: string): boolean {
  return Date.parse(a) > Date.parse(b);
}
