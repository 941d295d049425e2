// The merge queue's bookkeeping as a pure state machine: events in, commands out. No I/O, no
// Temporal: the queue workflow drives it in production, tests and benchmarks drive it directly.
//
// Entries are identified by merge request AND attempt: a merge request asked for again while its
// job runs gets a new attempt, which waits for the old job to stop instead of being mistaken for it.
import type { JobOutcome } from './jobOutcome';
import { orderQueue, type MergeOrder, type Priority } from './mergeOrder';
import type { MergeTrigger } from './readiness';
import type { TrainView } from './trainView';
import type { MergeRequestRef } from './types';

/** What a merge request's workflow puts into its target branch's queue. */
export interface QueueEntryRequest {
  ref: MergeRequestRef;
  /** Counts the MR's requests; a newer attempt supersedes an older one. */
  attempt: number;
  trigger: MergeTrigger;
  /** Unique over the MR's whole life: the attempt's comments are keyed by it. */
  attemptKey: string;
  /** Who asked (the webhook's actor or the command's author), when known. */
  requestedBy?: string;
  /** `high`: ahead of every other waiting entry (absent: normal). */
  priority?: Priority;
  createdAt: string;
  updatedAt: string;
  assignedAt: string;
}

export type EntryState = 'waiting' | 'starting' | 'running';

export interface QueueEntryState extends QueueEntryRequest {
  state: EntryState;
  /** Asked to leave while starting or running: its job is (to be) cancelled. */
  cancelRequested: boolean;
}

export type QueueEvent =
  | { kind: 'enqueue'; entry: QueueEntryRequest }
  /** Without `attempt` (the first release's MR workflows): every attempt of the MR. */
  | { kind: 'dequeue'; iid: number; attempt?: number }
  | { kind: 'job-started'; iid: number; attempt: number }
  | { kind: 'job-start-failed'; iid: number; attempt: number; message: string }
  | { kind: 'job-finished'; iid: number; attempt: number; outcome: JobOutcome }
  /** The forge says these MRs are no longer open and asking for this branch (a lost webhook). */
  | { kind: 'no-longer-requested'; iids: number[] };

export type QueueCommand =
  | { kind: 'start-job'; entry: QueueEntryRequest }
  | { kind: 'cancel-job'; iid: number; attempt: number }
  /** The attempt is over as far as the queue is concerned; its MR's workflow must hear it. */
  | { kind: 'attempt-ended'; ref: MergeRequestRef; attempt: number; outcome: JobOutcome };

export interface EnqueueAnswer {
  /** 0 = being merged now; 1 = next; n = n-th in line. */
  position: number;
  /** The MR being merged right now, if another one. */
  running?: number;
}

export interface QueueMachineSettings {
  mergeOrder: MergeOrder;
  /** How many jobs may run at once (serial: 1). */
  capacity?: number;
}

export interface QueueSnapshot {
  entries: QueueEntryState[];
  jobsStarted: number;
  /** Batch and train modes: the whole train (cars, their states and pipelines). */
  train?: TrainView;
}

export class MergeQueueMachine {
  private entries: QueueEntryState[];
  private jobsStarted: number;
  private readonly capacity: number;

  constructor(
    private readonly settings: QueueMachineSettings,
    carried?: QueueSnapshot,
  ) {
    this.entries = (carried?.entries ?? []).map((e) => ({ ...e }));
    this.jobsStarted = carried?.jobsStarted ?? 0;
    this.capacity = Math.max(1, settings.capacity ?? 1);
  }

  /** Applies one event; answers the enqueue position for `enqueue`. */
  apply(event: QueueEvent): { commands: QueueCommand[]; answer?: EnqueueAnswer } {
    const commands: QueueCommand[] = [];
    let answer: EnqueueAnswer | undefined;
    switch (event.kind) {
      case 'enqueue':
        answer = this.enqueue(event.entry, commands);
        break;
      case 'dequeue':
        this.dequeue(event.iid, event.attempt, commands);
        break;
      case 'job-started': {
        const e = this.find(event.iid, event.attempt);
        if (e && e.state === 'starting') {
          e.state = 'running';
          if (e.cancelRequested) commands.push({ kind: 'cancel-job', iid: e.ref.iid, attempt: e.attempt });
        }
        break;
      }
      case 'job-start-failed': {
        const e = this.find(event.iid, event.attempt);
        if (e) {
          this.remove(e);
          commands.push({ kind: 'attempt-ended', ref: e.ref, attempt: e.attempt, outcome: { kind: 'error', message: event.message } });
        }
        break;
      }
      case 'job-finished': {
        const e = this.find(event.iid, event.attempt);
        // A finish the queue no longer tracks (already reported by the periodic check) says nothing new.
        if (e && e.state !== 'waiting') {
          this.remove(e);
          commands.push({ kind: 'attempt-ended', ref: e.ref, attempt: e.attempt, outcome: event.outcome });
        }
        break;
      }
      case 'no-longer-requested':
        for (const iid of event.iids) {
          for (const e of this.entries.filter((x) => x.ref.iid === iid && x.state === 'waiting')) {
            this.remove(e);
            commands.push({ kind: 'attempt-ended', ref: e.ref, attempt: e.attempt, outcome: { kind: 'stopped', reason: 'not-assigned' } });
          }
        }
        break;
    }
    this.schedule(commands);
    if (answer && event.kind === 'enqueue') answer = this.positionOf(event.entry.ref.iid) ?? answer;
    return answer ? { commands, answer } : { commands };
  }

  /** Entries in queue order: what runs, then what waits, in the order it will start. */
  snapshot(): QueueSnapshot {
    return { entries: [...this.active(), ...this.waiting()].map((e) => ({ ...e })), jobsStarted: this.jobsStarted };
  }

  /** The entry of this MR and attempt, if the queue holds it. */
  find(iid: number, attempt: number): QueueEntryState | undefined {
    return this.entries.find((e) => e.ref.iid === iid && e.attempt === attempt);
  }

  /** Entries whose job has been started or is being started. */
  active(): QueueEntryState[] {
    return this.entries.filter((e) => e.state !== 'waiting');
  }

  /** Waiting entries, in the order they will be started: high priority first, then by merge order. */
  waiting(): QueueEntryState[] {
    const ordered = orderQueue(
      this.entries.filter((e) => e.state === 'waiting').map((e) => ({ ...e, iid: e.ref.iid })),
      this.settings.mergeOrder,
    ).map(({ iid: _iid, ...e }) => e);
    return [...ordered.filter((e) => e.priority === 'high'), ...ordered.filter((e) => e.priority !== 'high')];
  }

  isIdle(): boolean {
    return this.entries.length === 0;
  }

  private enqueue(entry: QueueEntryRequest, commands: QueueCommand[]): EnqueueAnswer {
    const same = this.entries.filter((e) => e.ref.iid === entry.ref.iid);
    // A late or repeated request (a retried activity, an older attempt) changes nothing.
    if (same.some((e) => e.attempt >= entry.attempt)) return this.positionOf(entry.ref.iid) ?? { position: 1 };
    for (const old of same) {
      if (old.state === 'waiting') this.remove(old);
      else this.requestCancel(old, commands); // superseded: the new attempt waits for it to stop
    }
    this.entries.push({ ...entry, state: 'waiting', cancelRequested: false });
    return { position: 1 };
  }

  private dequeue(iid: number, attempt: number | undefined, commands: QueueCommand[]): void {
    for (const e of this.entries.filter((x) => x.ref.iid === iid && (attempt === undefined || x.attempt === attempt))) {
      if (e.state === 'waiting') this.remove(e);
      else this.requestCancel(e, commands);
    }
  }

  private requestCancel(e: QueueEntryState, commands: QueueCommand[]): void {
    if (e.cancelRequested) return;
    e.cancelRequested = true;
    // A job still starting is cancelled once it has started (job-started).
    if (e.state === 'running') commands.push({ kind: 'cancel-job', iid: e.ref.iid, attempt: e.attempt });
  }

  private schedule(commands: QueueCommand[]): void {
    while (this.active().length < this.capacity) {
      // An MR whose older attempt is still stopping waits for it: one job per MR at a time.
      const busy = new Set(this.active().map((e) => e.ref.iid));
      const next = this.waiting().find((e) => !busy.has(e.ref.iid));
      if (!next) return;
      const e = this.find(next.ref.iid, next.attempt);
      if (!e) return;
      e.state = 'starting';
      this.jobsStarted++;
      const { state: _s, cancelRequested: _c, ...request } = e;
      commands.push({ kind: 'start-job', entry: request });
    }
  }

  private positionOf(iid: number): EnqueueAnswer | undefined {
    const mine = this.entries.filter((e) => e.ref.iid === iid);
    if (mine.length === 0) return undefined;
    const newest = mine.reduce((a, b) => (b.attempt > a.attempt ? b : a));
    const others = this.active().filter((e) => e.ref.iid !== iid);
    const running = others[0]?.ref.iid;
    if (newest.state !== 'waiting') return { position: 0 };
    const position = this.waiting().findIndex((e) => e.ref.iid === iid) + 1;
    return running !== undefined ? { position, running } : { position };
  }

  private remove(e: QueueEntryState): void {
    this.entries = this.entries.filter((x) => x !== e);
  }
}
