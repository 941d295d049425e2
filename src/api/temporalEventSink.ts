import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DomainEvent, MergeRequestEvent } from '../domain/events';
import { mergeQueueWorkflowId, mergeRequestWorkflowId } from '../domain/workflowIds';
import { mergeRequestSearchAttributes } from '../temporal/searchAttributeValues';
import { eventSignal, pipelineSignal } from '../workflows/definitions';
import type { DeliveryResult, EventSink } from './eventSink';

export function temporalEventSink(client: Client, taskQueue: string): EventSink {
  return {
    async deliver(event: DomainEvent): Promise<DeliveryResult> {
      if (event.kind === 'pipeline') {
        if (!event.ref || !event.targetBranch) {
          return { status: 'ignored', reason: 'pipeline not attached to a merge request (the merge job polls for it)' };
        }
        const workflowId = mergeQueueWorkflowId(event.ref.forge, event.ref.project, event.targetBranch);
        try {
          await client.workflow.getHandle(workflowId).signal(pipelineSignal, event);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) {
            return { status: 'ignored', reason: `no merge queue is running for ${event.targetBranch}` };
          }
          throw err;
        }
        return { status: 'accepted', workflowId };
      }
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

function memoOf(event: MergeRequestEvent): Record<string, string> {
  return { title: event.title, url: event.url };
}
