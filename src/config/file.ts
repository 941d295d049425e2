// The YAML config file: a mapping whose keys are option names, as in marge-bot. Secrets are
// allowed here (a file can be protected; a command line cannot).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, closestName } from './errors';
import { CONFIG_FILE_ENV, CONFIG_FILE_OPTION, OPTION_NAMES, isOptionName, optionMeta, type OptionName, type RawValue } from './schema';
import { fromPhrase, type Candidate, type OptionSource } from './source';

/**
 * Options set in the YAML file `given` (resolved against `cwd`); `pathSource` is where the path
 * itself came from, for messages. A key with an empty value (`bot-name:`) counts as not set.
 */
export function readConfigFile(given: string, pathSource: OptionSource, cwd: string): Map<OptionName, Candidate> {
  const text = readText(path.resolve(cwd, given), `${CONFIG_FILE_OPTION} ${fromPhrase(pathSource)}`);
  const mapping = parseMapping(text, given);
  const source: OptionSource = { from: 'file', detail: given };
  const values = new Map<OptionName, Candidate>();
  const problems: string[] = [];
  for (const [key, value] of Object.entries(mapping)) {
    const problem = checkEntry(key, value, given);
    if (problem) problems.push(problem);
    else if (isOptionName(key) && (isScalar(value) || isListFor(key, value))) values.set(key, { raw: value as RawValue, source });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/** Reads a whole file for an option, or explains which option pointed at an unreadable file. */
export function readText(absolute: string, what: string): string {
  try {
    return readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(`${what}: cannot read ${absolute}: ${ioReason(error)}.`);
  }
}

export function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

function parseMapping(text: string, given: string): Record<string, unknown> {
  const document = parseDocument(text, { uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    // Only the first line: the rest quotes the offending source line, which may hold a secret.
    const summary = error.message.split('\n')[0]?.replace(/:$/, '');
    throw new ConfigError(`Config file ${given} is not valid YAML: ${summary}.`);
  }
  const data: unknown = document.toJS();
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`Config file ${given} must be a YAML mapping of option names to values, e.g. "ci-timeout: 15min".`);
  }
  return data as Record<string, unknown>;
}

function checkEntry(key: string, value: unknown, given: string): string | undefined {
  if (key === CONFIG_FILE_OPTION) {
    return `Config file ${given} sets ${CONFIG_FILE_OPTION}, which only works as --${CONFIG_FILE_OPTION} or ${CONFIG_FILE_ENV}.`;
  }
  if (!isOptionName(key)) {
    const suggestion = closestName(key, OPTION_NAMES);
    return `Unknown key ${key} in config file ${given}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`;
  }
  if (value !== null && !isScalar(value) && !isListFor(key, value)) {
    return `${key} from config file ${given} must be a single value, not a ${Array.isArray(value) ? 'list' : 'mapping'}.`;
  }
  return undefined;
}

/**
 * A list option (backport-branches, evidence-people, ...) takes a YAML list; its schema judges
 * each item (a name, a person as text or mapping), so a bad item is explained by what it should be.
 */
function isListFor(key: OptionName, value: unknown): boolean {
  return optionMeta(key).kind === 'list' && Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
