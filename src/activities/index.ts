import { Forges, type ActivityDeps } from './deps';
import { createForgeActivities } from './forgeActivities';
import { createGitActivities } from './gitActivities';
import { createLegacyActivities, type LegacyActivities } from './legacyActivities';
import { createQueueActivities } from './queueActivities';
import { createPollActivities } from './pollActivities';
import type { ForgeActivities, GitActivities, QueueActivities, PollActivities } from './types';

export { mergeQueueSettings, type ActivityDeps, type MergeQueueSettings } from './deps';

export type ShepherdActivities = ForgeActivities & GitActivities & QueueActivities & PollActivities & LegacyActivities;

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
    ...createLegacyActivities(forge, queue, forges),
  };
}
