import type { Client } from '@temporalio/client';
import type { MergeRequestEvent } from '../domain/events';
import type { ForgeKind, MergeRequest, MergeRequestRef } from '../domain/types';
import { mergeRequestWorkflowId } from '../domain/workflowIds';
import { eventSignal } from './messages';
import { mergeRequestSearchAttributes } from './searchAttributeValues';

/**
 * Tells an MR's workflow (starting it if needed) to look at the MR, as if the forge had just sent
 * a hook: used where no hook came (a lost one, run-once). The workflow reads the MR itself; the
 * event only says "look". Who made the change is unknown here, so `actor` is empty.
 * The event id is the MR's visible state: looking twice at an unchanged MR changes nothing.
 */
export async function lookAtMergeRequest(
  client: Client,
  taskQueue: string,
  forge: ForgeKind,
  mr: MergeRequest,
  why: 'poll' | 'run-once',
): Promise<MergeRequestRef> {
  const ref: MergeRequestRef = { forge, project: mr.project, iid: mr.iid };
  const event: MergeRequestEvent = {
    kind: 'merge-request',
    eventId: `${why}:${mr.headSha}:${mr.updatedAt}:${mr.assignees.join(',')}:${mr.labels.join(',')}`,
    ref,
    action: 'update',
    state: mr.state,
    title: mr.title,
    url: mr.webUrl,
    sourceBranch: mr.sourceBranch,
    targetBranch: mr.targetBranch,
    headSha: mr.headSha,
    draft: mr.draft,
    assignees: mr.assignees,
    labels: mr.labels,
    createdAt: mr.createdAt,
    updatedAt: mr.updatedAt,
    actor: '',
  };
  await client.workflow.signalWithStart('mergeRequestWorkflow', {
    workflowId: mergeRequestWorkflowId(ref),
    taskQueue,
    args: [{ ref }],
    signal: eventSignal,
    signalArgs: [event],
    typedSearchAttributes: mergeRequestSearchAttributes(ref, mr.targetBranch),
    memo: { title: mr.title, url: mr.webUrl },
  });
  return ref;
}
