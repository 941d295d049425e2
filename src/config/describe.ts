// Human-readable views of the configuration: the effective settings for `shepherd config`, and
// the option reference for `--help`. Secrets are only ever shown as set or not set.

import { formatDuration } from '../domain/duration';
import type { EvidencePerson, EvidenceRepo } from '../domain/evidence/types';
import type { LoadedConfig } from './load';
import type { QueueOverrideRule } from './queueSettings';
import {
  CONFIG_FILE_ENV,
  CONFIG_FILE_OPTION,
  OPTION_GROUPS,
  OPTION_NAMES,
  configKey,
  envVarName,
  formatEvidencePerson,
  optionMeta,
  type OptionName,
  type ShepherdConfig,
} from './schema';
import { sourceLabel, type OptionSource } from './source';

const NOT_SET = '(not set)';
const NONE = '(none)';
const MASK = '****';

/** One line per option: name, effective value, and where it came from. */
export function describeConfig(loaded: LoadedConfig): string {
  const rows: Array<[string, string, string]> = [
    [
      CONFIG_FILE_OPTION,
      loaded.configFile?.path ?? NOT_SET,
      loaded.configFile ? sourceLabel(loaded.configFile.source) : 'default',
    ],
    ...OPTION_NAMES.map((name): [string, string, string] => [
      name,
      displayValue(name, loaded.config),
      displaySource(loaded.sources[name]),
    ]),
  ];
  return alignColumns(rows).join('\n');
}

function displayValue(name: OptionName, config: ShepherdConfig): string {
  const value = config[configKey(name)];
  if (value === undefined) return NOT_SET;
  const meta = optionMeta(name);
  if (meta.secret) return MASK;
  // Lists of names (backport branches, labels, evidence repositories) and of rules and people, each as written.
  if (Array.isArray(value)) {
    if (value.length === 0) return NONE;
    const items: readonly ListItem[] = value;
    const separator = items.some((item) => typeof item === 'object' && !('id' in item)) ? '; ' : ', ';
    return items.map(itemText).join(separator);
  }
  if (meta.kind === 'duration' && typeof value === 'number') return formatDuration(value);
  if (value === '') return NONE;
  return String(value);
}

type ListItem = string | QueueOverrideRule | EvidenceRepo | EvidencePerson;

/** A list item as a user would write it: names as they are, a rule as written, a repository by its id, a person as `Name <email> aliases`. */
function itemText(item: ListItem): string {
  if (typeof item === 'string') return item;
  if ('rule' in item) return item.rule;
  if ('id' in item) return item.id;
  return formatEvidencePerson(item);
}

/** Options that still set another one under their old name. */
const DEPRECATED: ReadonlySet<string> = new Set<OptionName>(['max-ci-time-in-minutes']);

function displaySource(source: OptionSource): string {
  const via = source.via && (DEPRECATED.has(source.via) ? `as deprecated ${source.via}` : `set by ${source.via}`);
  const label = via ? `${sourceLabel(source)} (${via})` : sourceLabel(source);
  return source.ignored ? `${label} (ignored: ${source.ignored})` : label;
}

function alignColumns(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The option reference for `--help`, in titled groups: flag, help text, environment variable, default. */
export function optionHelp(): string {
  const header =
    'Options can be given as flags, as SHEPHERD_* environment variables, or as keys of a YAML\n' +
    'config file; flags override the environment, which overrides the file, which overrides defaults.\n';
  const configFile = entry(
    `--${CONFIG_FILE_OPTION} FILE`,
    'YAML file of options, keys named like the flags (e.g. "ci-timeout: 15min").',
    `[env ${CONFIG_FILE_ENV}]`,
  );
  const groups = OPTION_GROUPS.map(({ title, options }) => [`\n${title}:`, ...options.map(optionEntry)].join('\n'));
  return [header, configFile, ...groups].join('\n');
}

function optionEntry(name: OptionName): string {
  const meta = optionMeta(name);
  const flag =
    meta.kind === 'bool' ? `--${name}, --no-${name}` : `--${name} ${meta.placeholder}${meta.secret ? ' (not as a flag)' : ''}`;
  const defaultText = meta.default === undefined ? '' : ` (default: ${meta.default === '' ? 'none' : String(meta.default)})`;
  return entry(flag, meta.help, `[env ${envVarName(name)}]${defaultText}`);
}

function entry(flag: string, help: string, details: string): string {
  return `  ${flag}\n      ${help}\n      ${details}`;
}
