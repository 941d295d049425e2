// Command-line flags: `--name value`, `--name=value`; on/off options as `--debug`, `--no-debug`,
// `--debug=false`. Whatever is not an option (positionals, everything after `--`, and
// `--help`/`-h`, which belong to the CLI) is handed back as `rest`.

import { ConfigError, closestName } from './errors';
import {
  CONFIG_FILE_ENV,
  CONFIG_FILE_OPTION,
  OPTION_NAMES,
  envVarName,
  isOptionName,
  optionMeta,
  secretFileOption,
  type OptionName,
} from './schema';
import type { Candidate, OptionSource } from './source';

export interface FlagValues {
  values: Map<OptionName, Candidate>;
  /** `--config-file PATH`, as given. */
  configFile?: { path: string; source: OptionSource };
  rest: string[];
}

const PASSED_THROUGH = new Set(['--help', '-h']);

export function readFlags(argv: readonly string[]): FlagValues {
  const result: FlagValues = { values: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      result.rest.push(...argv.slice(i + 1));
      break;
    }
    if (!looksLikeOption(token) || PASSED_THROUGH.has(token)) {
      result.rest.push(token);
      continue;
    }
    i += readFlag(token, argv[i + 1], result);
  }
  return result;
}

/** `-5` and `-` are values (a negative number, stdin), not options. */
function looksLikeOption(token: string): boolean {
  return /^--?[a-z]/i.test(token);
}

/** Records one flag; returns how many following tokens it consumed as its value (0 or 1). */
function readFlag(token: string, next: string | undefined, into: FlagValues): number {
  const equals = token.indexOf('=');
  const typed = equals === -1 ? token : token.slice(0, equals);
  const inline = equals === -1 ? undefined : token.slice(equals + 1);
  const name = typed.startsWith('--') ? typed.slice(2) : '';
  const source: OptionSource = { from: 'flag', detail: typed };

  if (name === CONFIG_FILE_OPTION) {
    const { value, consumed } = takeValue(typed, 'FILE', inline, next);
    into.configFile = { path: value, source };
    return consumed;
  }
  if (isOptionName(name)) {
    const meta = optionMeta(name);
    if (meta.secret) throw new ConfigError(secretFlagRefusal(name));
    if (meta.kind === 'bool') {
      into.values.set(name, { raw: inline ?? true, source });
      return 0;
    }
    const { value, consumed } = takeValue(typed, meta.placeholder, inline, next);
    into.values.set(name, { raw: value, source });
    return consumed;
  }
  const negated = name.startsWith('no-') ? name.slice(3) : '';
  if (isOptionName(negated)) {
    into.values.set(negated, { raw: negatedBool(typed, negated, inline), source });
    return 0;
  }
  throw new ConfigError(unknownFlag(typed));
}

function takeValue(
  typed: string,
  placeholder: string,
  inline: string | undefined,
  next: string | undefined,
): { value: string; consumed: number } {
  if (inline !== undefined) return { value: inline, consumed: 0 };
  // A following `--x` is far more likely a forgotten value than a value that starts with dashes.
  if (next === undefined || next.startsWith('--')) {
    throw new ConfigError(`${typed} needs a value: ${typed} ${placeholder} or ${typed}=${placeholder}.`);
  }
  return { value: next, consumed: 1 };
}

function negatedBool(typed: string, name: OptionName, inline: string | undefined): false {
  if (optionMeta(name).kind !== 'bool') {
    throw new ConfigError(`${typed} is not an option: only on/off options have a --no- form, and --${name} takes a value.`);
  }
  if (inline !== undefined) throw new ConfigError(`${typed} takes no value; write ${typed} or --${name}=true|false.`);
  return false;
}

/** Why a secret is refused as a flag, and what to do instead. Never mentions the value. */
export function secretFlagRefusal(name: OptionName): string {
  const fileOption = secretFileOption(name);
  return (
    `--${name} is refused on the command line because other users of this machine can read command lines ` +
    `(for example with \`ps\`). Set ${envVarName(name)} in the environment, put "${name}:" in the config file` +
    (fileOption ? `, or use --${fileOption} FILE.` : '.')
  );
}

function unknownFlag(typed: string): string {
  const bools = OPTION_NAMES.filter((name) => optionMeta(name).kind === 'bool').map((name) => `no-${name}`);
  const suggestion = closestName(typed.replace(/^-+/, ''), [...OPTION_NAMES, CONFIG_FILE_OPTION, ...bools]);
  const hint = suggestion ? `Did you mean --${suggestion}?` : `See --help for the options (config file via --config-file or ${CONFIG_FILE_ENV}).`;
  return `Unknown option ${typed}. ${hint}`;
}
