// Loads Shepherd's configuration from its four sources, highest precedence first:
// flags > SHEPHERD_* environment > YAML file (--config-file / SHEPHERD_CONFIG_FILE) > defaults,
// the order marge-bot users know. Each option takes its value from the highest source that
// sets it; the schema then validates all chosen values at once, so one run reports every bad
// value, each naming its key and source.

import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './errors';
import { ioReason, readConfigFile, readText } from './file';
import { readFlags } from './flags';
import {
  CONFIG_FILE_ENV,
  OPTION_NAMES,
  SECRET_FILE_OPTIONS,
  configSchema,
  envVarName,
  isOptionName,
  optionMeta,
  toShepherdConfig,
  type OptionName,
  type OptionValues,
  type RawValue,
  type SecretOption,
  type ShepherdConfig,
} from './schema';
import { fromPhrase, type Candidate, type OptionSource, type SourceKind } from './source';

export interface LoadConfigInput {
  /** Arguments after the CLI's subcommand. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (config file, `*-file` options, data-dir) are resolved against this; default process.cwd(). */
  cwd?: string;
}

export interface LoadedConfig {
  config: ShepherdConfig;
  /** Where each option's effective value came from (`default` also for optional options left unset). */
  sources: Record<OptionName, OptionSource>;
  /** Arguments that are not options, in order. */
  rest: string[];
  /** The YAML file that was read: absolute path, and where that path came from. */
  configFile?: { path: string; source: OptionSource };
}

type Layer = ReadonlyMap<OptionName, Candidate>;

/** Higher wins. Only the three places a user can write a value are ranked. */
const RANK: Readonly<Record<SourceKind, number>> = { flag: 3, env: 2, file: 1, 'secret-file': 0, default: 0 };

/** Throws `ConfigError` on any bad option, unknown flag or key, refused secret, or unreadable file. */
export function loadConfig(input: LoadConfigInput): LoadedConfig {
  const cwd = input.cwd ?? process.cwd();
  const flags = readFlags(input.argv);
  const configFile = flags.configFile ?? configFileFromEnv(input.env);
  const fileLayer: Layer = configFile ? readConfigFile(configFile.path, configFile.source, cwd) : new Map();
  const chosen = pickHighest([flags.values, readEnv(input.env), fileLayer]);
  const ignored = resolveSecretFiles(chosen, cwd);
  const values = validate(chosen);
  checkPlainFiles(values, chosen, cwd);
  return {
    config: toShepherdConfig(values, cwd),
    sources: sourcesOf(chosen, ignored),
    rest: flags.rest,
    ...(configFile && { configFile: { path: path.resolve(cwd, configFile.path), source: configFile.source } }),
  };
}

/** Empty variables count as unset, so `SHEPHERD_X=${X:-}` in compose files does not break start-up. */
function readEnv(env: LoadConfigInput['env']): Layer {
  const values = new Map<OptionName, Candidate>();
  for (const name of OPTION_NAMES) {
    const variable = envVarName(name);
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') values.set(name, { raw: value, source: { from: 'env', detail: variable } });
  }
  return values;
}

function configFileFromEnv(env: LoadConfigInput['env']): LoadedConfig['configFile'] {
  const value = env[CONFIG_FILE_ENV];
  return value?.trim() ? { path: value.trim(), source: { from: 'env', detail: CONFIG_FILE_ENV } } : undefined;
}

function pickHighest(layers: readonly Layer[]): Map<OptionName, Candidate> {
  const chosen = new Map<OptionName, Candidate>();
  for (const layer of layers) {
    for (const [name, candidate] of layer) if (!chosen.has(name)) chosen.set(name, candidate);
  }
  return chosen;
}

/**
 * A secret and its `*-file` option compete like one option: the higher source wins, and the
 * same source setting both is a mistake we refuse to guess about. A winning file is read now,
 * its trimmed content becoming the secret's value. Returns the sources given but not used.
 */
function resolveSecretFiles(chosen: Map<OptionName, Candidate>, cwd: string): Map<OptionName, OptionSource> {
  const ignored = new Map<OptionName, OptionSource>();
  for (const [secret, fileOption] of Object.entries(SECRET_FILE_OPTIONS) as Array<[SecretOption, OptionName]>) {
    const byValue = chosen.get(secret);
    const byFile = chosen.get(fileOption);
    if (!byFile) continue;
    if (byValue) {
      const difference = RANK[byValue.source.from] - RANK[byFile.source.from];
      if (difference === 0) {
        throw new ConfigError(
          `Both ${secret} (${fromPhrase(byValue.source)}) and ${fileOption} (${fromPhrase(byFile.source)}) are set; set only one of them.`,
        );
      }
      if (difference > 0) {
        chosen.delete(fileOption);
        ignored.set(fileOption, { ...byFile.source, ignored: `${secret} ${fromPhrase(byValue.source)} takes precedence` });
        continue;
      }
    }
    chosen.set(secret, readSecretFile(fileOption, byFile, cwd));
  }
  return ignored;
}

function readSecretFile(fileOption: OptionName, candidate: Candidate, cwd: string): Candidate {
  const parsed = configSchema.shape[fileOption].safeParse(candidate.raw);
  if (!parsed.success || typeof parsed.data !== 'string') {
    throw new ConfigError(parsed.success ? [] : parsed.error.issues.map((issue) => invalidValue(fileOption, candidate, issue)));
  }
  const absolute = path.resolve(cwd, parsed.data);
  const what = `${fileOption} ${fromPhrase(candidate.source)}`;
  const content = readText(absolute, what).trim();
  if (content === '') throw new ConfigError(`${what}: ${absolute} is empty.`);
  return { raw: content, source: { from: 'secret-file', detail: absolute } };
}

function validate(chosen: ReadonlyMap<OptionName, Candidate>): OptionValues {
  const input: Partial<Record<OptionName, RawValue>> = {};
  for (const [name, candidate] of chosen) input[name] = candidate.raw;
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, chosen)));
}

function describeIssue(issue: z.core.$ZodIssue, chosen: ReadonlyMap<OptionName, Candidate>): string {
  const name = String(issue.path[0]);
  const candidate = isOptionName(name) ? chosen.get(name) : undefined;
  // No candidate means a default failed its own schema: a bug here, not the user's doing.
  if (!candidate) return `Invalid default for ${name}: ${issue.message}.`;
  return invalidValue(name as OptionName, candidate, issue);
}

/** "Invalid ci-timeout from flag --ci-timeout: "soon" (cannot read "soon"). Expected a duration …" */
function invalidValue(name: OptionName, candidate: Candidate, issue: z.core.$ZodIssue): string {
  const reason = issue.code === 'custom' && typeof issue.params?.reason === 'string' ? ` (${issue.params.reason})` : '';
  const expected = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
  return `Invalid ${name} ${fromPhrase(candidate.source)}: ${showValue(name, candidate)}${reason}. ${expected}.`;
}

const MAX_SHOWN = 100;

/** The offending value for a message: never a secret, never URL credentials, never a novel. */
function showValue(name: OptionName, candidate: Candidate): string {
  if (optionMeta(name).secret) return '(secret value not shown)';
  if (typeof candidate.raw !== 'string') return String(candidate.raw);
  const redacted = candidate.raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1****@');
  const shortened = redacted.length > MAX_SHOWN ? `${redacted.slice(0, MAX_SHOWN)}…` : redacted;
  return JSON.stringify(shortened);
}

/**
 * `*-file` options that are not secrets (ssh-key-file) stay paths for other tools, so they are
 * only checked, not read: failing now beats a git push failing an hour into a merge.
 */
function checkPlainFiles(values: OptionValues, chosen: ReadonlyMap<OptionName, Candidate>, cwd: string): void {
  const secretFiles = new Set<OptionName>(Object.values(SECRET_FILE_OPTIONS));
  for (const name of OPTION_NAMES) {
    const value = values[name];
    const candidate = chosen.get(name);
    if (optionMeta(name).kind !== 'file' || secretFiles.has(name) || typeof value !== 'string' || !candidate) continue;
    assertReadableFile(path.resolve(cwd, value), `${name} ${fromPhrase(candidate.source)}`);
  }
}

function assertReadableFile(absolute: string, what: string): void {
  try {
    if (!statSync(absolute).isFile()) throw new ConfigError(`${what}: ${absolute} is not a regular file.`);
    accessSync(absolute, constants.R_OK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${what}: cannot read ${absolute}: ${ioReason(error)}.`);
  }
}

function sourcesOf(
  chosen: ReadonlyMap<OptionName, Candidate>,
  ignored: ReadonlyMap<OptionName, OptionSource>,
): Record<OptionName, OptionSource> {
  const entries = OPTION_NAMES.map((name) => [name, ignored.get(name) ?? chosen.get(name)?.source ?? { from: 'default' }]);
  return Object.fromEntries(entries) as Record<OptionName, OptionSource>;
}
