// Frozen copy of the first released workflows (before issue 6). Running executions started on
// that code replay through here (see the dispatchers in ../mergeRequest.ts etc., patched()).
// Do not change: a change here breaks the replay of their recorded histories.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { MergeQueueActivities } from '../../activities/v1Types';
import { commandHelp, parseCommand } from '../../domain/commands';
import {
  cancelledComment,
  notPermittedComment,
  outOfScopeComment,
  queuedComment,
  unexpectedErrorComment,
  unknownCommandComment,
} from '../../domain/comments';
import type { CommentEvent, MergeRequestEvent, MergeRequestWorkflowEvent } from '../../domain/events';
import type { MergeTrigger } from '../../domain/readiness';
import { checkScope } from '../../domain/scope';
import type { MergeRequestRef } from '../../domain/types';
import { mergeJobWorkflowId, mergeQueueWorkflowId } from '../../domain/workflowIds';
import {
  cancelJobSignal,
  dequeueSignal,
  eventSignal,
  jobFinishedSignal,
  stateQuery,
  type JobOutcome,
  type MergeRequestPhase,
  type MergeRequestSnapshot,
} from './definitions';
import { showPhase } from '../phase';

/** GitLab's Developer access level: the least that may ask the bot to merge. */
const DEVELOPER = 30;

/** What survives continue-as-new. */
export interface MergeRequestCarried {
  phase: MergeRequestPhase;
  assigned: boolean;
  labelled: boolean;
  /** Who asked by `@bot merge`, until merged, cancelled or refused. */
  commandBy?: string;
  /** The bot gave the MR back; it waits for a new request (assignment, label, command). */
  handedBack: boolean;
  targetBranch?: string;
  sourceBranch?: string;
  createdAt?: string;
  updatedAt?: string;
  assignedAt?: string;
  attempts: number;
  queuedAttempt?: number;
  lastOutcome?: JobOutcome;
  seenEventIds: string[];
}

export interface MergeRequestInput {
  ref: MergeRequestRef;
  carried?: MergeRequestCarried;
  /** End the workflow after this long without events while nothing is queued. */
  idleMs?: number;
}

const act = proxyActivities<MergeQueueActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 20 },
});

const SEEN_EVENTS_KEPT = 200;

/**
 * The life of one merge request as Shepherd sees it: from its first event until it is merged or
 * closed. It turns forge events and comment commands into queue membership; the queue merges.
 */
export async function mergeRequestWorkflowV1(input: MergeRequestInput): Promise<MergeRequestSnapshot> {
  const { ref } = input;
  const s: MergeRequestCarried = input.carried ?? {
    phase: 'idle',
    assigned: false,
    labelled: false,
    handedBack: false,
    attempts: 0,
    seenEventIds: [],
  };
  const inbox: MergeRequestWorkflowEvent[] = [];
  const finished: { attempt: number; outcome: JobOutcome }[] = [];
  const seen = new Set(s.seenEventIds);
  const wfId = workflowInfo().workflowId;

  const requested = (): boolean => s.assigned || s.labelled || s.commandBy !== undefined;
  const snapshot = (): MergeRequestSnapshot => ({
    ref,
    phase: s.phase,
    requested: requested(),
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

  const settings = await act.workerSettings();
  const setPhase = (phase: MergeRequestPhase): void => {
    s.phase = phase;
    showPhase(phase);
  };
  const comment = (key: string, body: string): Promise<void> => act.commentOnce({ ref, key: `${wfId}:${key}`, body });

  /** Out of the queue: waiting entries are dropped, a running job stops at its next safe point. */
  const leaveQueue = async (): Promise<void> => {
    if (s.phase !== 'queued' || !s.targetBranch || s.queuedAttempt === undefined) return;
    const ids = [mergeQueueWorkflowId(ref.forge, ref.project, s.targetBranch), mergeJobWorkflowId(ref, s.queuedAttempt)];
    await Promise.all([
      getExternalWorkflowHandle(ids[0]).signal(dequeueSignal, { iid: ref.iid }).catch(() => undefined),
      getExternalWorkflowHandle(ids[1]).signal(cancelJobSignal).catch(() => undefined),
    ]);
    s.queuedAttempt = undefined;
    setPhase('idle');
  };

  const onMergeRequestEvent = async (evt: MergeRequestEvent): Promise<'finished' | void> => {
    if (evt.state === 'merged' || evt.state === 'closed') {
      await leaveQueue();
      setPhase(evt.state);
      return 'finished';
    }
    if (s.phase === 'queued' && s.targetBranch !== undefined && s.targetBranch !== evt.targetBranch) await leaveQueue();
    const assigned = evt.assignees.includes(settings.botUsername);
    if (assigned && !s.assigned) s.assignedAt = evt.updatedAt;
    s.assigned = assigned;
    s.labelled = settings.mergeLabel !== undefined && evt.labels.includes(settings.mergeLabel);
    s.targetBranch = evt.targetBranch;
    s.sourceBranch = evt.sourceBranch;
    s.createdAt = evt.createdAt;
    s.updatedAt = evt.updatedAt;
    if (!requested()) {
      s.handedBack = false;
      await leaveQueue();
    }
  };

  const onComment = async (evt: CommentEvent): Promise<void> => {
    if (evt.author === settings.botUsername) return;
    const command = parseCommand(evt.body, settings.botUsername);
    if (!command) return;
    const level = await act.accessLevel({ ref, username: evt.author });
    if (level < DEVELOPER) return comment(`denied:${evt.noteId}`, notPermittedComment(evt.author, settings.botUsername));
    switch (command.kind) {
      case 'merge':
        s.commandBy = evt.author;
        s.handedBack = false;
        return;
      case 'cancel': {
        const target = s.targetBranch;
        await leaveQueue();
        s.commandBy = undefined;
        // Still assigned or labelled: that request is what was cancelled, not a reason to go on.
        s.handedBack = true;
        await act.unassignBot({ ref });
        return comment(`cancelled:${evt.noteId}`, cancelledComment(evt.author, target));
      }
      case 'unknown':
        return comment(`unknown:${evt.noteId}`, unknownCommandComment(command.word, commandHelp(settings.botUsername)));
    }
  };

  const enqueue = async (): Promise<void> => {
    if (!s.targetBranch || !s.sourceBranch) return;
    const scope = checkScope({ project: ref.project, targetBranch: s.targetBranch, sourceBranch: s.sourceBranch }, settings.scope);
    if (!scope.inScope) {
      await comment(`out-of-scope:${s.targetBranch}`, outOfScopeComment(scope.reason));
      await act.unassignBot({ ref });
      s.handedBack = true;
      s.commandBy = undefined;
      return;
    }
    const trigger: MergeTrigger = s.commandBy
      ? { kind: 'command', by: s.commandBy }
      : s.labelled && settings.mergeLabel && !s.assigned
        ? { kind: 'label', label: settings.mergeLabel }
        : { kind: 'assignment' };
    s.attempts++;
    s.queuedAttempt = s.attempts;
    const epoch = new Date(0).toISOString();
    const answer = await act.enqueueMergeRequest({
      ref,
      targetBranch: s.targetBranch,
      entry: {
        attempt: s.attempts,
        trigger,
        createdAt: s.createdAt ?? epoch,
        updatedAt: s.updatedAt ?? epoch,
        assignedAt: s.assignedAt ?? s.updatedAt ?? epoch,
      },
    });
    setPhase('queued');
    // Next in an idle queue: "Merging now" follows at once, a position would only be noise.
    if (answer.position > 1 || (answer.position === 1 && answer.running !== undefined)) {
      await comment(`queued:${s.attempts}`, queuedComment(s.targetBranch, answer.position, answer.running));
    }
  };

  for (;;) {
    const woke = await condition(() => inbox.length > 0 || finished.length > 0, input.idleMs ?? 30 * 24 * 3600 * 1000);
    if (!woke && s.phase !== 'queued') {
      // Nothing happened for a month and nothing is queued: stop; the next event starts afresh.
      await condition(allHandlersFinished);
      if (inbox.length === 0 && finished.length === 0) return snapshot();
    }

    for (const msg of finished.splice(0)) {
      if (msg.attempt !== s.queuedAttempt) continue; // an answer to an attempt we already left
      s.queuedAttempt = undefined;
      s.lastOutcome = msg.outcome;
      if (msg.outcome.kind === 'merged') {
        setPhase('merged');
        await condition(allHandlersFinished);
        return snapshot();
      }
      setPhase('idle');
      if (msg.outcome.kind === 'error') {
        await comment(`error:${msg.attempt}`, unexpectedErrorComment(`something went wrong while merging (${msg.outcome.message})`));
        await act.unassignBot({ ref });
      }
      // The bot handed the MR back: it takes it again only on a new request, not because an
      // older event still lists it.
      if (msg.outcome.kind === 'refused' || msg.outcome.kind === 'error') {
        s.handedBack = true;
        s.commandBy = undefined;
      }
    }

    for (const evt of inbox.splice(0)) {
      if (evt.kind === 'merge-request') {
        if ((await onMergeRequestEvent(evt)) === 'finished') {
          await condition(allHandlersFinished);
          return snapshot();
        }
      } else if (evt.kind === 'comment') {
        await onComment(evt);
      } // 'merge-asked' is newer than this release: only new workflows receive it
    }

    if (requested() && !s.handedBack && s.phase === 'idle') await enqueue();

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // Only when nothing is pending, so no event is lost between the runs.
      if (inbox.length === 0 && finished.length === 0) {
        return continueAsNew<typeof mergeRequestWorkflowV1>({ ...input, carried: s });
      }
    }
  }
}
