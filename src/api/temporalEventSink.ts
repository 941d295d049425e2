import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { BranchPushedEvent, DomainEvent, MergeRequestEvent, PipelineEvent } from '../domain/events';
import { mergeQueueWorkflowId, mergeRequestWorkflowId } from '../domain/workflowIds';
import { mergeRequestSearchAttributes } from '../temporal/searchAttributeValues';
import { eventSignal, pipelineSignal, targetPushedSignal } from '../temporal/messages';
import type { DeliveryResult, EventSink } from './eventSink';

export function temporalEventSink(client: Client, taskQueue: string): EventSink {
  return {
    async deliver(event: DomainEvent): Promise<DeliveryResult> {
      if (event.kind === 'pipeline') return deliverPipeline(client, event);
      if (event.kind === 'branch-pushed') return deliverPush(client, event);
      const workflowId = mergeRequestWorkflowId(event.ref);
      await client.workflow.signalWithStart('mergeRequestWorkflow', {
        workflowId,
        taskQueue,
        args: [{ ref: event.ref }],
        signal: eventSignal,
        signalArgs: [event],
        typedSearchAttributes: mergeRequestSearchAttributes(
          event.ref,
          event.kind === 'merge-request' ? event.targetBranch : undefined,
        ),
        memo: event.kind === 'merge-request' ? memoOf(event) : undefined,
      });
      return { status: 'accepted', workflowId };
    },
    async health(): Promise<void> {
      await client.workflowService.getSystemInfo({});
    },
  };
}

/** Quotes a value for a Temporal list filter. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A pipeline is addressed by (project, SHA), whatever kind it is: branch pipelines carry no merge
 * request, merged-results pipelines run on a SHA that is not the MR's head. Every running merge
 * job waiting on that SHA, or on that MR, is told to look; the job asks the forge what passed.
 */
async function deliverPipeline(client: Client, event: PipelineEvent): Promise<DeliveryResult> {
  const forge = event.ref?.forge ?? 'gitlab';
  const which = [`ShepherdHeadSha = ${quoted(event.sha)}`];
  if (event.ref) which.push(`ShepherdMergeRequest = ${event.ref.iid}`);
  const query =
    `(WorkflowType = "mergeJobWorkflow" OR WorkflowType = "carWorkflow") AND ExecutionStatus = "Running" AND ShepherdForge = ${quoted(forge)} ` +
    `AND ShepherdProject = ${quoted(event.project)} AND (${which.join(' OR ')})`;
  const signalled: string[] = [];
  for await (const wf of client.workflow.list({ query })) {
    try {
      await client.workflow.getHandle(wf.workflowId, wf.runId).signal(pipelineSignal, event);
      signalled.push(wf.workflowId);
    } catch {
      // It ended between the listing and the signal: nothing waits any more.
    }
  }
  if (signalled.length === 0) return { status: 'ignored', reason: `no merge job is waiting on ${event.sha.slice(0, 12)} in ${event.project}` };
  return { status: 'accepted', workflowId: signalled.join(',') };
}

/**
 * A push is news only for the queue of that branch, if one runs: a batch or train built on the
 * branch's old head looks at where it points now (merge requests' own pushes reach their
 * workflows as merge request hooks).
 */
async function deliverPush(client: Client, event: BranchPushedEvent): Promise<DeliveryResult> {
  const workflowId = mergeQueueWorkflowId(event.forge, event.project, event.branch);
  try {
    await client.workflow.getHandle(workflowId).signal(targetPushedSignal, { sha: event.sha });
    return { status: 'accepted', workflowId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'ignored', reason: `no queue runs for ${event.branch} in ${event.project}` };
    throw err;
  }
}

function memoOf(event: MergeRequestEvent): Record<string, string> {
  return { title: event.title, url: event.url };
}
