import type { MergeAttemptResult, QueueEntryInput, WorkerSettings as WorkerSettingsV1 } from './v1Types';
import type { EnqueueAnswer } from '../domain/mergeQueueMachine';
import type { MergeRequestRef, Pipeline } from '../domain/types';
import { guarded, type Forges } from './deps';
import type { ForgeActivities, QueueActivities } from './types';

/**
 * Activities only the first release's workflows call (src/workflows/v1), on top of today's. They
 * keep executions started before issue 6 running to their end; nothing new calls them.
 */
export interface LegacyActivities {
  workerSettings(): Promise<WorkerSettingsV1>;
  latestPipeline(args: { ref: MergeRequestRef; sha: string }): Promise<Pipeline | null>;
  mergeMergeRequest(args: { ref: MergeRequestRef; sha: string }): Promise<MergeAttemptResult>;
  accessLevel(args: { ref: MergeRequestRef; username: string }): Promise<number>;
  enqueueMergeRequest(args: { ref: MergeRequestRef; targetBranch: string; entry: QueueEntryInput }): Promise<EnqueueAnswer>;
}

export function createLegacyActivities(forge: ForgeActivities, queue: QueueActivities, forges: Forges): LegacyActivities {
  return {
    workerSettings: () => forge.settingsFor({ forge: 'gitlab' }),
    latestPipeline: ({ ref, sha }) => guarded(async () => (await forges.of(ref.forge).pipelinesForSha(ref.project, sha))[0] ?? null),
    async mergeMergeRequest(args) {
      const r = await forge.merge(args);
      switch (r.kind) {
        case 'merged':
          return r;
        case 'head-moved':
          return { kind: 'sha-mismatch', message: r.message };
        case 'not-found':
          return r;
        case 'refused':
          return { kind: 'not-allowed', message: r.message };
        case 'not-mergeable':
          return r.reason === 'conflict' || r.reason === 'needs-rebase'
            ? { kind: 'cannot-merge', message: r.message }
            : { kind: 'not-allowed', message: r.message };
      }
    },
    // The first release compared with GitLab's Developer level (30).
    accessLevel: async (args) => ((await forge.mayRequest(args)) ? 30 : 0),
    enqueueMergeRequest: ({ ref, targetBranch, entry }) =>
      queue.enqueue({ targetBranch, entry: { ...entry, ref, attemptKey: String(entry.attempt) } }),
  };
}
