import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { EvidenceDeps } from '../activities/evidenceActivities';
import type { ShepherdConfig } from '../config';
import { isMonth } from '../domain/evidence/month';
import { evidenceReportWorkflowId } from '../domain/workflowIds';
import type { EvidenceSummary } from '../evidence/types';
import { startWorker } from '../worker';

export interface EvidenceCommandOptions {
  address: string;
  month: string;
  workflowBundle?: WorkflowBundleWithSourceMap;
  taskQueue?: string;
  evidence?: EvidenceDeps;
}

/** Takes `--month YYYY-MM` out of the arguments (the rest are options); an error names what is wrong. */
export function monthArgument(argv: readonly string[]): { month?: string; rest: string[]; error?: string } {
  const rest: string[] = [];
  let month: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const inline = /^--month=(.*)$/.exec(arg);
    if (arg === '--month' || inline) {
      month = inline ? inline[1] : argv[++i];
      if (month === undefined || !isMonth(month)) return { rest, error: `--month needs a month as YYYY-MM, e.g. 2026-10 (got ${month === undefined ? 'nothing' : JSON.stringify(month)})` };
    } else rest.push(arg);
  }
  return { ...(month ? { month } : {}), rest };
}

/**
 * `shepherd evidence --month 2026-10`: runs that month's report through the same workflow the
 * Schedule starts (`evidence:<month>`; one already running is joined, not doubled), waits, and
 * prints the summary. 0 when it completed, 1 when it failed.
 */
export async function evidenceCommand(config: ShepherdConfig, opts: EvidenceCommandOptions): Promise<{ code: number; lines: string[] }> {
  if (config.evidenceRepos.length === 0) return { code: 2, lines: ['shepherd evidence: evidence-repos is empty: set the repositories to report on'] };
  const taskQueue = opts.taskQueue ?? config.taskQueue;
  const worker = await startWorker({ config, address: opts.address, taskQueue, ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}), ...(opts.evidence ? { evidence: opts.evidence } : {}) });
  try {
    const handle = await worker.client.workflow.start('evidenceReportWorkflow', {
      workflowId: evidenceReportWorkflowId(opts.month),
      taskQueue,
      args: [{ month: opts.month }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    try {
      const summary = (await handle.result()) as EvidenceSummary;
      return { code: 0, lines: describeSummary(summary) };
    } catch (e) {
      return { code: 1, lines: [`the evidence report of ${opts.month} failed: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`] };
    }
  } finally {
    await worker.shutdown();
  }
}

function describeSummary(s: EvidenceSummary): string[] {
  return [
    `evidence of ${s.month}: ${s.people} people, ${s.commits} commits, ${s.reposRead.length} repositories read`,
    ...(s.reposNotFound.length ? [`not found: ${s.reposNotFound.join(', ')}`] : []),
    ...(s.unknown.length ? [`committers not in evidence-people: ${s.unknown.join(', ')}`] : []),
    ...s.s3Keys.map((k) => `S3: ${k}`),
    ...(s.driveFolderId ? [`Google Drive folder: ${s.driveFolderId}`] : []),
    s.slackPosted ? `Slack (${s.channel}): ${s.text}` : `not posted to Slack (no evidence-slack-token); it would say in ${s.channel}: ${s.text}`,
  ];
}
