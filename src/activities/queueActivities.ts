import { WithStartWorkflowOperation, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import type { JobOutcome } from '../domain/jobOutcome';
import type { TrainSettings } from '../domain/mergeTrain';
import { mergeJobWorkflowId, mergeQueueWorkflowId } from '../domain/workflowIds';
import { queueSearchAttributes } from '../temporal/searchAttributeValues';
import { enqueueUpdate, snapshotQuery } from '../temporal/messages';
import type { ActivityDeps } from './deps';
import type { CarReport, LandReport } from '../temporal/messages';
import type { AttemptStatus, QueueActivities, TrainChildResults } from './types';

/** Input of a queue workflow started by an enqueue (mirrors MergeQueueInput; activities do not import workflows). */
interface QueueStartInput {
  forge: string;
  project: string;
  targetBranch: string;
  mergeOrder: string;
  train?: TrainSettings;
  checkIntervalMs: number;
  maxHistoryEvents?: number;
}

export function createQueueActivities(deps: ActivityDeps): QueueActivities {
  const client = deps.temporal;

  const describe = async (workflowId: string): Promise<WorkflowExecutionDescription | undefined> => {
    try {
      return await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };

  /** How a job ended, or undefined while it runs. */
  const outcomeOf = async (workflowId: string, d: WorkflowExecutionDescription): Promise<JobOutcome | undefined> => {
    switch (d.status.name) {
      case 'RUNNING':
        return undefined;
      case 'COMPLETED':
        return client.workflow.getHandle<() => Promise<JobOutcome>>(workflowId, d.runId).result();
      default:
        // Failed, terminated, timed out or cancelled from outside: the details are in its history.
        return { kind: 'error', message: `merge job ${workflowId} ended ${d.status.name.toLowerCase()}` };
    }
  };

  return {
    async enqueue({ targetBranch, entry }) {
      const { ref } = entry;
      const workflowId = mergeQueueWorkflowId(ref.forge, ref.project, targetBranch);
      const train = deps.queueSettings?.(ref.project, targetBranch);
      const queueInput: QueueStartInput = {
        forge: ref.forge,
        project: ref.project,
        targetBranch,
        mergeOrder: deps.settings.mergeOrder,
        ...(train && train.mode !== 'serial' ? { train } : {}),
        checkIntervalMs: deps.settings.queueCheckIntervalMs,
        ...(deps.settings.queueHistoryLimit ? { maxHistoryEvents: deps.settings.queueHistoryLimit } : {}),
      };
      return client.workflow.executeUpdateWithStart(enqueueUpdate, {
        args: [entry],
        // The same id on a retry: Temporal then answers the first update instead of adding one.
        updateId: `enqueue:${ref.iid}:${entry.attemptKey}`,
        startWorkflowOperation: new WithStartWorkflowOperation('mergeQueueWorkflow', {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [queueInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: queueSearchAttributes(ref.forge, ref.project, targetBranch),
        }),
      });
    },

    async attemptStatus({ ref, targetBranch, attempt, attemptKey }): Promise<AttemptStatus> {
      const queueId = mergeQueueWorkflowId(ref.forge, ref.project, targetBranch);
      const queue = await describe(queueId);
      if (queue?.status.name === 'RUNNING') {
        const snapshot = await client.workflow.getHandle(queueId).query(snapshotQuery);
        if (snapshot.entries.some((e) => e.ref.iid === ref.iid && e.attempt === attempt)) return { kind: 'queued' };
      }
      const jobId = mergeJobWorkflowId(ref, attemptKey);
      const job = await describe(jobId);
      if (!job) return { kind: 'unknown' };
      const outcome = await outcomeOf(jobId, job);
      return outcome ? { kind: 'ended', outcome } : { kind: 'queued' };
    },

    async endedJobs(jobs) {
      const ended: { iid: number; attempt: number; outcome: JobOutcome }[] = [];
      for (const { ref, attempt, attemptKey } of jobs) {
        const jobId = mergeJobWorkflowId(ref, attemptKey);
        const job = await describe(jobId);
        // Never started (lost between start and record) counts as ended: its entry must not block.
        const outcome = job ? await outcomeOf(jobId, job) : { kind: 'error' as const, message: `merge job ${jobId} does not exist` };
        if (outcome) ended.push({ iid: ref.iid, attempt, outcome });
      }
      return ended;
    },

    async trainChildResults({ cars, lands }): Promise<TrainChildResults> {
      const out: TrainChildResults = { cars: [], lands: [] };
      for (const c of cars) {
        const d = await describe(c.workflowId);
        if (d?.status.name === 'RUNNING') continue;
        if (d?.status.name === 'COMPLETED') {
          const result = await client.workflow
            .getHandle<() => Promise<{ built?: Extract<CarReport, { kind: 'built' }>; final: CarReport }>>(c.workflowId, d.runId)
            .result();
          out.cars.push({ car: c.car, run: c.run, ...result });
        } else {
          // Never started, or broke down: as if cancelled; the queue builds that state again.
          out.cars.push({ car: c.car, run: c.run, final: { kind: 'cancelled' } });
        }
      }
      for (const l of lands) {
        const d = await describe(l.workflowId);
        if (d?.status.name === 'RUNNING') continue;
        const report: LandReport =
          d?.status.name === 'COMPLETED'
            ? await client.workflow.getHandle<() => Promise<LandReport>>(l.workflowId, d.runId).result()
            : { kind: 'target-moved' };
        out.lands.push({ car: l.car, report });
      }
      return out;
    },
  };
}
