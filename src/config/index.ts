// Shepherd's configuration: one schema, four sources (flags > SHEPHERD_* env > YAML file > defaults).

export { ConfigError } from './errors';
export { loadConfig, type LoadConfigInput, type LoadedConfig } from './load';
export { describeConfig, optionHelp } from './describe';
export { queueSettingsFor, type QueueConfig, type QueueOverrideRule, type QueueSettings } from './queueSettings';
export {
  CONFIG_FILE_ENV,
  CONFIG_FILE_OPTION,
  MERGE_ORDERS,
  OPTION_GROUPS,
  OPTION_NAMES,
  QUEUE_MODES,
  QUEUE_OVERRIDE_OPTIONS,
  TRAIN_WINDOWS,
  configKey,
  configSchema,
  envVarName,
  optionMeta,
  optionRegExp,
  type MergeOrder,
  type OptionKind,
  type OptionMeta,
  type OptionName,
  type OptionValues,
  type ShepherdConfig,
} from './schema';
export type { OptionSource, SourceKind } from './source';
