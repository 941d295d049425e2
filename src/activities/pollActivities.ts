import { Context } from '@temporalio/activity';
import type { MergeRequest } from '../domain/types';
import { mergeRequestWorkflowId } from '../domain/workflowIds';
import { lookAtMergeRequest } from '../temporal/lookAtMergeRequest';
import { stateQuery } from '../temporal/messages';
import { FORGE, MERGE_REQUEST, PHASE, PROJECT } from '../temporal/searchAttributes';
import { guarded, type ActivityDeps, type Forges } from './deps';
import type { PollActivities } from './types';

/** An MR changed this recently may still have its hook on the way: look at it next round. */
const SETTLE_MS = 60_000;

export function createPollActivities(deps: ActivityDeps, forges: Forges): PollActivities {
  const client = deps.temporal;
  return {
    async lookForLostRequests({ forge: kind }) {
      const intervalMs = deps.settings.mergeRequestPollIntervalMs;
      if (intervalMs <= 0) return { listed: 0, lookedAt: 0, nextInMs: 0 };
      const requested = await guarded(async () => {
        const forge = forges.of(kind);
        const bot = await forges.bot(kind);
        const label = deps.settings.mergeLabel;
        const byRef = new Map<string, MergeRequest>();
        for (const mr of await forge.mergeRequestsAssignedTo(bot.username)) byRef.set(`${mr.project}!${mr.iid}`, mr);
        if (label) for (const mr of await forge.mergeRequestsLabelled(label)) byRef.set(`${mr.project}!${mr.iid}`, mr);
        return [...byRef.values()];
      });
      const settleMs = Math.min(SETTLE_MS, intervalMs);
      let lookedAt = 0;
      for (const mr of requested) {
        Context.current().heartbeat();
        if (Date.now() - Date.parse(mr.updatedAt) < settleMs) continue;
        // Queued MRs check with their queue themselves; the rest may have missed their hook.
        const phase = await client.workflow
          .getHandle(mergeRequestWorkflowId({ forge: kind, project: mr.project, iid: mr.iid }))
          .query(stateQuery)
          .then((s) => s.phase, () => undefined);
        if (phase === 'queued') continue;
        await lookAtMergeRequest(client, deps.taskQueue, kind, mr, 'poll');
        lookedAt++;
      }
      // Queued MRs that no longer ask (unassigned, label off, closed) whose hook was lost: their
      // workflows would otherwise only notice at their periodic check with the queue.
      const listed = new Set(requested.map((mr) => mergeRequestWorkflowId({ forge: kind, project: mr.project, iid: mr.iid })));
      const query =
        `WorkflowType = "mergeRequestWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "${deps.taskQueue}" ` +
        `AND ${FORGE.name} = "${kind}" AND ${PHASE.name} = "queued"`;
      for await (const wf of client.workflow.list({ query })) {
        Context.current().heartbeat();
        const project = wf.typedSearchAttributes.get(PROJECT);
        const iid = wf.typedSearchAttributes.get(MERGE_REQUEST);
        if (listed.has(wf.workflowId) || project === undefined || iid === undefined) continue;
        const mr = await guarded(() => forges.of(kind).getMergeRequest(project, iid));
        if (Date.now() - Date.parse(mr.updatedAt) < settleMs) continue;
        await lookAtMergeRequest(client, deps.taskQueue, kind, mr, 'poll');
        lookedAt++;
      }
      return { listed: requested.length, lookedAt, nextInMs: intervalMs };
    },
  };
}
