// Which queue settings hold for one target branch of one project: the queue options, then the
// queue-overrides rules that match, the last matching rule winning per setting. Pure (no I/O, no
// clock, no Node modules), so an activity or a workflow can call it with the configuration's
// plain-object part.

import type { TrainSettings } from '../domain/mergeTrain';
import { compileScopeRegexp } from '../domain/scope';
import type { ShepherdConfig } from './schema';

/** The settings a queue-overrides rule may set: every `TrainSettings` field but the benchmark's `style`. */
export type QueueSettings = Required<Omit<TrainSettings, 'style'>>;

/**
 * One rule of queue-overrides, parsed and validated at start-up. Plain data (regexps as source
 * text, values typed), so it survives JSON and can travel as an activity's argument or result.
 */
export interface QueueOverrideRule {
  /** The rule as written (trimmed), for messages and `shepherd config`. */
  rule: string;
  /** Regexp source for the project path, matched like project-regexp (anchored at the start only). */
  project: string;
  /** Regexp source for the target branch, matched the same way; absent: every branch. */
  branch?: string;
  /** What the rule sets, each value checked like the option itself; never an `undefined` value. */
  settings: Partial<QueueSettings>;
}

/** The part of the configuration `queueSettingsFor` reads. */
export type QueueConfig = Pick<
  ShepherdConfig,
  | 'queueMode'
  | 'maxParallelPipelines'
  | 'maxBatchSize'
  | 'batchMinWaitMs'
  | 'ciRetries'
  | 'trainWindow'
  | 'trainOptimistic'
  | 'queueOverrides'
>;

/**
 * The settings of the queue of `targetBranch` in `project` (its path, e.g. "group/app"). Rules are
 * checked at start-up; an invalid regexp here (a hand-made config) throws, naming queue-overrides.
 */
export function queueSettingsFor(config: QueueConfig, project: string, targetBranch: string): TrainSettings {
  const settings: QueueSettings = {
    mode: config.queueMode,
    maxParallelPipelines: config.maxParallelPipelines,
    maxBatchSize: config.maxBatchSize,
    batchMinWaitMs: config.batchMinWaitMs,
    ciRetries: config.ciRetries,
    window: config.trainWindow,
    optimistic: config.trainOptimistic,
  };
  for (const rule of config.queueOverrides) {
    if (!ruleMatches(rule, project, targetBranch)) continue;
    for (const [field, value] of Object.entries(rule.settings) as Array<[keyof QueueSettings, QueueSettings[keyof QueueSettings]]>) {
      if (value !== undefined && field in settings) (settings as Record<keyof QueueSettings, unknown>)[field] = value;
    }
  }
  return settings;
}

/** Whether a rule applies to a project's target branch; the same compilation as project-regexp's. */
export function ruleMatches(rule: Pick<QueueOverrideRule, 'project' | 'branch'>, project: string, targetBranch: string): boolean {
  if (!compileScopeRegexp('queue-overrides', rule.project).test(project)) return false;
  return rule.branch === undefined || compileScopeRegexp('queue-overrides', rule.branch).test(targetBranch);
}
