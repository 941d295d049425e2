import { createBackportActivities } from './backportActivities';
import { Forges, type ActivityDeps } from './deps';
import { createForgeActivities } from './forgeActivities';
import { createGitActivities } from './gitActivities';
import { createLegacyActivities, type LegacyActivities } from './legacyActivities';
import { createQueueActivities } from './queueActivities';
import { createPollActivities } from './pollActivities';
import { createTrainActivities } from './trainActivities';
import type { BackportActivities, ForgeActivities, GitActivities, QueueActivities, PollActivities, TrainActivities } from './types';

export { mergeQueueSettings, type ActivityDeps, type MergeQueueSettings } from './deps';

export type ShepherdActivities = ForgeActivities &
  GitActivities &
  QueueActivities &
  PollActivities &
  TrainActivities &
  BackportActivities &
  LegacyActivities;

/** Every activity the worker registers, by group. */
export function createActivities(deps: ActivityDeps): ShepherdActivities {
  const forges = new Forges(deps.forges);
  const forge = createForgeActivities(deps, forges);
  const queue = createQueueActivities(deps);
  return {
    ...forge,
    ...createGitActivities(deps, forges),
    ...queue,
    ...createPollActivities(deps, forges),
    ...createTrainActivities(deps, forges),
    ...createBackportActivities(deps, forges),
    ...createLegacyActivities(forge, queue, forges),
  };
}
