import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { getExternalWorkflowHandle, ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { BackportSettings } from '../activities/types';
import type { BackportRequest } from '../domain/backportCommands';
import {
  backportNotAllowedComment,
  backportUsageComment,
  destinationIsTargetComment,
  destinationMissingComment,
  invalidBranchNamesComment,
  noBackportBranchesComment,
  onlyMergedBackportedComment,
  willBackportWhenMergedComment,
} from '../domain/backportComments';
import { backportDestinationsFromLabels, compileBackportLabelPattern, DEFAULT_BACKPORT_LABEL_PATTERN } from '../domain/backportLabels';
import type { CommentEvent } from '../domain/events';
import type { MergeRequest, MergeRequestRef } from '../domain/types';
import { backportWorkflowId } from '../domain/workflowIds';
import { backportAskedAgainSignal } from '../temporal/messages';
import { mergeRequestSearchAttributes } from '../temporal/searchAttributeValues';
import { backport, forge } from './activities';
import type { backportWorkflow } from './backport';

/** A destination asked for by a comment, with the comment that asked first (`note:<id>`). */
export interface BackportAsk {
  destination: string;
  requestKey: string;
}

/** What an MR's workflow keeps about backports until the merge (it survives continue-as-new). */
export interface BackportRequestsCarried {
  /** Asked for by comments and not started yet. */
  asks: BackportAsk[];
  /** Destinations already answered with "I'll backport ... once it is merged". */
  announced: string[];
}

export const DEFAULT_BACKPORT_SETTINGS: BackportSettings = {
  candidateLabel: 'backport-candidate',
  branches: [],
  labelPattern: DEFAULT_BACKPORT_LABEL_PATTERN,
  mrLabels: [],
  merge: false,
  conflicts: 'comment',
};

/**
 * The backport requests of one merge request, as its workflow sees them: labels (read from the
 * forge at each look) and comments (kept until the merge). Before the merge each destination is
 * answered once; at the merge one backportWorkflow per destination is started, and outlives this
 * workflow. Comment keys carry no life of the workflow: an answer is never given twice, even by
 * a later life of the same MR's workflow.
 */
export class MergeRequestBackports {
  private readonly pattern: RegExp;

  constructor(
    private readonly ref: MergeRequestRef,
    private readonly bot: string,
    private readonly settings: BackportSettings,
    private readonly state: BackportRequestsCarried,
  ) {
    const compiled = compileBackportLabelPattern(settings.labelPattern);
    // Checked at start-up; a bad one here would be a worker from before the check: no label asks.
    this.pattern = compiled.ok ? compiled.pattern : /(?!)()/;
  }

  private say(key: string, body: string): Promise<void> {
    return forge.commentOnce({ ref: this.ref, key: `backport:${this.ref.iid}:${key}`, body });
  }

  /** Something is to be done at the merge (or said at a close). */
  waiting(): boolean {
    return this.state.asks.length > 0 || this.state.announced.length > 0;
  }

  /** A comment asking for backports: authorised and checked here, answered at the next look. */
  async onRequest(evt: CommentEvent, request: BackportRequest): Promise<void> {
    const mr = await forge.getMergeRequest(this.ref);
    const allowed = evt.author === mr.authorUsername || (await forge.mayRequest({ ref: this.ref, username: evt.author }));
    if (!allowed) return this.say(`denied:${evt.noteId}`, backportNotAllowedComment(evt.author));
    if (request.invalid.length) await this.say(`invalid:${evt.noteId}`, invalidBranchNamesComment(request.invalid));
    if (!request.branches.length && !request.invalid.length) await this.say(`usage:${evt.noteId}`, backportUsageComment(this.bot));
    const requestKey = `note:${evt.noteId}`;
    for (const destination of request.branches) {
      // Before the merge one promise answers every request for a branch; after it, each request hears back.
      const known = this.state.asks.some((a) => a.destination === destination && (mr.state !== 'merged' || a.requestKey === requestKey));
      if (!known) this.state.asks.push({ destination, requestKey });
    }
  }

  /** Destinations of the MR's labels now (the candidate label without branches is said once). */
  private async labelDestinations(mr: MergeRequest): Promise<string[]> {
    const { destinations, candidateWithoutBranches } = backportDestinationsFromLabels(mr.labels, {
      candidateLabel: this.settings.candidateLabel,
      branches: this.settings.branches,
      pattern: this.pattern,
    });
    if (candidateWithoutBranches) await this.say('no-branches', noBackportBranchesComment(this.settings.candidateLabel));
    return destinations;
  }

  /** The MR is still open: each new destination is checked and answered once. */
  async whileOpen(mr: MergeRequest): Promise<void> {
    const fromLabels = await this.labelDestinations(mr);
    const asked = [...fromLabels.map((destination) => ({ destination, requestKey: 'label' })), ...this.state.asks];
    const fresh: string[] = [];
    for (const { destination, requestKey } of asked) {
      if (this.state.announced.includes(destination) || fresh.includes(destination)) continue;
      // The same keys as the backport workflow's, so the refusal is said once whoever finds it first.
      if (destination === mr.targetBranch) {
        await this.say(`${destination}:is-target:${requestKey}`, destinationIsTargetComment(destination));
      } else if ((await backport.destinationHead({ forge: this.ref.forge, project: this.ref.project, branch: destination })) === null) {
        await this.say(`${destination}:missing:${requestKey}`, destinationMissingComment(destination));
      } else {
        fresh.push(destination);
        continue;
      }
      // Refused: a comment's ask is dropped; a label stays, and is checked again at the merge.
      this.state.asks = this.state.asks.filter((a) => a.destination !== destination);
      this.state.announced.push(destination);
    }
    if (!fresh.length) return;
    await this.say(`when-merged:${fresh.join(',')}`, willBackportWhenMergedComment(fresh));
    this.state.announced.push(...fresh);
  }

  /** Closed without a merge: said once to those who asked; nothing is kept. */
  async whenClosed(mr: MergeRequest): Promise<void> {
    const fromLabels = await this.labelDestinations(mr);
    const keys = [...(fromLabels.length ? ['label'] : []), ...new Set(this.state.asks.map((a) => a.requestKey))];
    if (keys.length) await this.say(`not-merged:${keys.join(',')}`, onlyMergedBackportedComment());
    this.state.asks = [];
  }

  /**
   * Merged: one backportWorkflow per destination, in parallel, each outliving this workflow. A
   * label's backport runs once per destination (re-adding the label changes nothing, unless
   * that run failed); a comment's runs again, so a repeated command is answered with the link.
   */
  async whenMerged(mr: MergeRequest): Promise<void> {
    const fromLabels = await this.labelDestinations(mr);
    // A comment is answered even where a label asks for the same branch (a label done is not redone).
    const starts: BackportAsk[] = [...this.state.asks]; // a second request for a branch finds the first running, and is answered by it
    for (const destination of fromLabels) if (!starts.some((s) => s.destination === destination)) starts.push({ destination, requestKey: 'label' });
    for (const { destination, requestKey } of starts) await this.start(mr, destination, requestKey);
    this.state.asks = [];
  }

  private async start(mr: MergeRequest, destination: string, requestKey: string): Promise<void> {
    const workflowId = backportWorkflowId(this.ref, destination);
    // Bounded: each round either starts it or finds it running, unless it ends just then.
    for (let round = 0; round < 5; round++) {
      try {
        await startChild<typeof backportWorkflow>('backportWorkflow', {
          workflowId,
          args: [
            {
              ref: this.ref,
              destination,
              original: { title: mr.title, webUrl: mr.webUrl, targetBranch: mr.targetBranch, author: mr.authorUsername },
              requestKey,
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: requestKey === 'label' ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: mergeRequestSearchAttributes(this.ref, mr.targetBranch),
        });
        return;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      // A label's backport ran or runs: nothing more to do. A comment's finds one running: it answers this one too when it ends.
      if (requestKey === 'label') return;
      try {
        await getExternalWorkflowHandle(workflowId).signal(backportAskedAgainSignal, { requestKey });
        return;
      } catch {
        // It ended in between: start one for this request.
      }
    }
  }
}
