import type { Client } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ShepherdConfig } from '../config';
import { checkScope } from '../domain/scope';
import type { MergeRequest, MergeRequestRef } from '../domain/types';
import { mergeRequestWorkflowId } from '../domain/workflowIds';
import { lookAtMergeRequest } from '../temporal/lookAtMergeRequest';
import { stateQuery, type MergeRequestSnapshot } from '../temporal/messages';
import { configuredForges, startWorker } from '../worker';

export interface RunOnceOptions {
  /** Temporal frontend to use (an embedded or existing server). */
  address: string;
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Extra time beyond ci-timeout to wait for each merge request. */
  graceMs?: number;
}

export interface RunOnceResult {
  code: number;
  lines: string[];
}

/**
 * marge-bot's `--cli`: process every merge request assigned to the bot once, through the same
 * workflows the service runs, wait for each to end, print one line per MR, and exit 0 only if
 * all of them were merged (so a scheduled CI job shows red when something needs a person).
 */
export async function runOnce(config: ShepherdConfig, opts: RunOnceOptions): Promise<RunOnceResult> {
  const forge = configuredForges(config).gitlab;
  if (!forge) return { code: 2, lines: ['run-once needs gitlab-url and auth-token (or auth-token-file)'] };
  const bot = await forge.currentUser();
  const assigned = await forge.mergeRequestsAssignedTo(bot.username);
  const scope = { projectRegexp: config.projectRegexp, branchRegexp: config.branchRegexp, sourceBranchRegexp: config.sourceBranchRegexp };
  const mine = assigned.filter((mr) => checkScope(mr, scope).inScope);
  if (mine.length === 0) return { code: 0, lines: [`no merge requests are assigned to @${bot.username}`] };

  const worker = await startWorker({ config, address: opts.address, workflowBundle: opts.workflowBundle });
  try {
    const deadline = Date.now() + config.ciTimeoutMs * mine.length + (opts.graceMs ?? 5 * 60_000);
    const started = await Promise.all(mine.map((mr) => kick(worker.client, config.taskQueue, mr)));
    const lines: string[] = [];
    let allMerged = true;
    for (const { ref, before } of started) {
      const end = await waitForOutcome(worker.client, ref, before, deadline);
      const line = describe(ref, end);
      if (end?.phase !== 'merged') allMerged = false;
      lines.push(line);
    }
    return { code: allMerged ? 0 : 1, lines };
  } finally {
    await worker.shutdown();
  }
}

/** Hands the MR to its workflow as if GitLab had just told us about it. */
async function kick(client: Client, taskQueue: string, mr: MergeRequest): Promise<{ ref: MergeRequestRef; before: number }> {
  const before = await client.workflow
    .getHandle(mergeRequestWorkflowId({ forge: 'gitlab', project: mr.project, iid: mr.iid }))
    .query(stateQuery)
    .then((s) => s.attempts, () => 0);
  const ref = await lookAtMergeRequest(client, taskQueue, 'gitlab', mr, 'run-once');
  return { ref, before };
}

async function waitForOutcome(client: Client, ref: MergeRequestRef, attemptsBefore: number, deadline: number): Promise<MergeRequestSnapshot | undefined> {
  const handle = client.workflow.getHandle(mergeRequestWorkflowId(ref));
  let last: MergeRequestSnapshot | undefined;
  // An MR its workflow does not take up (e.g. refused before and not asked again) is reported
  // after a short while instead of holding the whole run until the deadline.
  const notTakenBy = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const done = await handle.describe().then((d) => d.status.name !== 'RUNNING', () => false);
    last = done
      ? await handle.result().then((r: MergeRequestSnapshot) => r, () => last)
      : await handle.query(stateQuery).catch(() => last);
    if (done || (last && (last.phase === 'merged' || last.phase === 'closed'))) return last;
    if (last && last.phase === 'idle' && last.attempts > attemptsBefore && last.lastOutcome) return last;
    if (last && last.phase === 'idle' && last.attempts === attemptsBefore && Date.now() > notTakenBy) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

function describe(ref: MergeRequestRef, end: MergeRequestSnapshot | undefined): string {
  const name = `${ref.project}!${ref.iid}`;
  if (!end) return `${name}: no answer in time (see its workflow ${mergeRequestWorkflowId(ref)})`;
  if (end.phase === 'merged') return `${name}: merged`;
  if (end.phase === 'closed') return `${name}: closed, not merged`;
  const outcome = end.lastOutcome;
  if (!outcome || (end.phase === 'idle' && end.attempts === 0)) return `${name}: not merged (Shepherd did not take it up; see its workflow ${mergeRequestWorkflowId(ref)})`;
  switch (outcome.kind) {
    case 'merged':
      return `${name}: merged`;
    case 'refused':
      return `${name}: not merged: ${outcome.reason} (see the comment on the merge request)`;
    case 'stopped':
      return `${name}: not merged: ${outcome.reason}`;
    case 'error':
      return `${name}: not merged: error: ${outcome.message}`;
  }
}
