import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { EVIDENCE_SCHEDULE_ID } from '../domain/workflowIds';

export interface EvidenceScheduleSettings {
  cron: string;
  timeZone: string;
  taskQueue: string;
}

function scheduleOptions(s: EvidenceScheduleSettings): ScheduleOptions {
  return {
    scheduleId: EVIDENCE_SCHEDULE_ID,
    spec: { cronExpressions: [s.cron], timezone: s.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: 'evidenceScheduledWorkflow',
      // Temporal appends the nominal time: `shepherd-evidence-run-2026-11-01T04:00:00Z`.
      workflowId: `${EVIDENCE_SCHEDULE_ID}-run`,
      taskQueue: s.taskQueue,
      args: [],
    },
    // A run missed while Shepherd was down is still made when it comes back (within a month).
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '28 days' },
  };
}

/**
 * Creates the monthly Schedule, or brings an existing one to the configured cron, time zone and
 * task queue: run on every start, so a changed evidence-cron takes effect and nothing else
 * (a pause, its note) is lost.
 */
export async function ensureEvidenceSchedule(client: Client, s: EvidenceScheduleSettings): Promise<'created' | 'updated'> {
  const options = scheduleOptions(s);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
  }
  await client.schedule.getHandle(EVIDENCE_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
  }));
  return 'updated';
}
