// Loads Shepherd's configuration from its four sources, highest precedence first:
// flags > SHEPHERD_* environment > YAML file (--config-file / SHEPHERD_CONFIG_FILE) > defaults,
// the order marge-bot users know. Each option takes its value from the highest source that
// sets it; the schema then validates all chosen values at once, so one run reports every bad
// value, each naming its key and source.

import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { formatDuration } from '../domain/duration';
import type { EvidenceForge } from '../domain/evidence/types';
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
  secretFileOption,
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
  /**
   * Settings Shepherd accepts but that do not do what they say, or no longer should be used
   * (use-no-ff-batches, use-merge-commit-batches, skip-ci-batches, max-ci-time-in-minutes): one
   * line each, naming the option and its source, for the CLI to print at start-up. Refused
   * settings throw `ConfigError` instead.
   */
  warnings: string[];
}

type Layer = ReadonlyMap<OptionName, Candidate>;

/** Higher wins. Only the three places a user can write a value are ranked. */
const RANK: Readonly<Record<SourceKind, number>> = { flag: 3, env: 2, file: 1, 'secret-file': 0, default: 0 };

/**
 * Throws `ConfigError` on any bad option, unknown flag or key, refused secret, refused combination
 * of options, or unreadable file. Settings that start anyway but deserve attention are `warnings`.
 */
export function loadConfig(input: LoadConfigInput): LoadedConfig {
  const cwd = input.cwd ?? process.cwd();
  const flags = readFlags(input.argv);
  const configFile = flags.configFile ?? configFileFromEnv(input.env);
  const fileLayer: Layer = configFile ? readConfigFile(configFile.path, configFile.source, cwd) : new Map();
  const chosen = pickHighest([flags.values, readEnv(input.env), fileLayer]);
  const ignored = resolveSecretFiles(chosen, cwd);
  const sources = sourcesOf(chosen, ignored);
  const warnings: string[] = [];
  const values = applyBatch(applyMaxCiTime(validate(chosen), sources, warnings), sources);
  refuseCombinations(values, sources);
  checkPaths(values, chosen, cwd);
  warnings.push(...batchWarnings(values, sources));
  return {
    config: toShepherdConfig(values, cwd),
    sources,
    rest: flags.rest,
    ...(configFile && { configFile: { path: path.resolve(cwd, configFile.path), source: configFile.source } }),
    warnings,
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

/**
 * "Invalid ci-timeout from flag --ci-timeout: "soon" (cannot read "soon"). Expected a duration …"
 * An issue about one part of a value (`params.part`, e.g. one rule of queue-overrides) shows that
 * part instead of the whole value.
 */
function invalidValue(name: OptionName, candidate: Candidate, issue: z.core.$ZodIssue): string {
  const params = issue.code === 'custom' ? issue.params : undefined;
  const reason = typeof params?.reason === 'string' ? ` (${params.reason})` : '';
  const shown = typeof params?.part === 'string' && !optionMeta(name).secret ? params.part : showValue(name, candidate);
  const expected = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
  return `Invalid ${name} ${fromPhrase(candidate.source)}: ${shown}${reason}. ${expected}.`;
}

const MAX_SHOWN = 100;

/** The offending value for a message: never a secret, never URL credentials, never a novel. */
function showValue(name: OptionName, candidate: Candidate): string {
  if (optionMeta(name).secret) return '(secret value not shown)';
  if (Array.isArray(candidate.raw)) return shorten(JSON.stringify(candidate.raw));
  if (typeof candidate.raw !== 'string') return String(candidate.raw);
  const redacted = candidate.raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1****@');
  return JSON.stringify(shorten(redacted));
}

function shorten(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/**
 * The deprecated max-ci-time-in-minutes (marge-bot's) still sets the CI timeout, unless ci-timeout
 * is given in the same or a higher-precedence place: the usual rule, as if both were one option.
 * Either way a warning asks for ci-timeout instead. Updates `sources` to say what happened.
 */
function applyMaxCiTime(values: OptionValues, sources: Record<OptionName, OptionSource>, warnings: string[]): OptionValues {
  const minutes = values['max-ci-time-in-minutes'];
  if (minutes === undefined) return values;
  const deprecated = sources['max-ci-time-in-minutes'];
  const explicit = sources['ci-timeout'];
  const ms = minutes * 60_000;
  const said = `max-ci-time-in-minutes ${fromPhrase(deprecated)} is deprecated`;
  if (explicit.from !== 'default' && RANK[explicit.from] >= RANK[deprecated.from]) {
    const reason = `ci-timeout ${fromPhrase(explicit)} takes precedence`;
    sources['max-ci-time-in-minutes'] = { ...deprecated, ignored: reason };
    warnings.push(`${said} and ignored: ${reason}. Remove max-ci-time-in-minutes.`);
    return values;
  }
  sources['ci-timeout'] = { ...deprecated, via: 'max-ci-time-in-minutes' };
  warnings.push(`${said}: using it as ci-timeout ${formatDuration(ms)}. Set ci-timeout instead.`);
  return { ...values, 'ci-timeout': ms };
}

/**
 * marge-bot's `batch: true` asks for batches: it sets queue-mode to batch unless queue-mode is
 * given; given as something else, `refuseCombinations` refuses the pair. Updates `sources`.
 */
function applyBatch(values: OptionValues, sources: Record<OptionName, OptionSource>): OptionValues {
  if (!values.batch || sources['queue-mode'].from !== 'default') return values;
  sources['queue-mode'] = { ...sources.batch, via: 'batch' };
  return { ...values, 'queue-mode': 'batch' };
}

const NO_TRAILERS = "GitLab's rebase API cannot rewrite commit messages, so Shepherd could not add the";

/** Option pairs that cannot work together, and why; marge-bot refuses each of them too. */
const CONFLICTS: ReadonlyArray<readonly [OptionName, OptionName, string]> = [
  [
    'use-merge-strategy',
    'add-tested',
    'with the merge strategy the tested tip of the branch is a merge commit of the target branch, which a Tested-by ' +
      "trailer cannot describe faithfully, and rewriting it would defeat the strategy's point of not rewriting the branch",
  ],
  ['rebase-remotely', 'use-merge-strategy', "GitLab's rebase API only rebases; it cannot merge the target branch into the source branch"],
  ['rebase-remotely', 'add-tested', `${NO_TRAILERS} Tested-by trailer`],
  ['rebase-remotely', 'add-part-of', `${NO_TRAILERS} Part-of trailers`],
  ['rebase-remotely', 'add-reviewers', `${NO_TRAILERS} Reviewed-by trailers`],
];

/**
 * One ConfigError listing every refused pair of options that are both on, and every option that
 * needs another one that is unset, each with both keys and sources.
 */
function refuseCombinations(values: OptionValues, sources: Record<OptionName, OptionSource>): void {
  const problems = CONFLICTS.filter(([a, b]) => values[a] === true && values[b] === true).map(
    ([a, b, why]) =>
      `${a} (${fromPhrase(sources[a])}) and ${b} (${fromPhrase(sources[b])}) cannot be combined: ${why}. ` +
      `Turn one of them off (marge-bot refuses this combination too).`,
  );
  const mode = values['queue-mode'];
  if (values.batch && mode !== 'batch') {
    problems.push(
      `batch (${fromPhrase(sources.batch)}) and queue-mode ${mode} (${fromPhrase(sources['queue-mode'])}) disagree: ` +
        `batch: true is marge-bot's way to ask for queue-mode batch. Remove batch, or set queue-mode to batch.`,
    );
  }
  if (values['admin-email'] !== undefined && values['smtp-url'] === undefined) {
    problems.push(
      `admin-email (${fromPhrase(sources['admin-email'])}) is set but smtp-url is not: the admin mail goes out through smtp-url. ` +
        `Set ${envVarName('smtp-url')} or smtp-url-file, or remove admin-email.`,
    );
  }
  problems.push(...evidenceProblems(values, sources));
  if (problems.length > 0) throw new ConfigError(problems);
}

/** "a", "a and b", "a, b and c". */
function listing(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

/**
 * How to set options in a message: a secret by its variable or its `*-file` option, others by
 * name. In a list of several, the file option goes in parentheses so the "or" stays readable.
 */
function howToSet(names: readonly OptionName[]): string {
  return listing(
    names.map((name) => {
      const fileOption = secretFileOption(name);
      if (!fileOption) return name;
      return names.length === 1 ? `${envVarName(name)} or ${fileOption}` : `${envVarName(name)} (or ${fileOption})`;
    }),
  );
}

const FORGE_NEEDS: ReadonlyArray<{ forge: EvidenceForge; title: string; needs: readonly OptionName[]; why: string }> = [
  { forge: 'bitbucket', title: 'Bitbucket', needs: ['bitbucket-oauth-key', 'bitbucket-oauth-secret'], why: 'Bitbucket is read as an OAuth consumer' },
  { forge: 'gitlab', title: 'GitLab', needs: ['gitlab-url', 'auth-token'], why: "GitLab is read at gitlab-url with the bot's auth-token" },
  { forge: 'github', title: 'GitHub', needs: ['github-token'], why: 'GitHub is read with github-token' },
];

const GOOGLE_CREDENTIALS: readonly OptionName[] = ['evidence-google-client-id', 'evidence-google-client-secret', 'evidence-google-refresh-token'];

/**
 * What the monthly evidence report needs once evidence-repos turns it on: people to report on,
 * credentials for each forge it reads, Google credentials for a Drive folder, both halves of an
 * S3 access key, and somewhere to put the zips. Off, it needs nothing.
 */
function evidenceProblems(values: OptionValues, sources: Record<OptionName, OptionSource>): string[] {
  const repos = values['evidence-repos'];
  if (repos.length === 0) return [];
  const problems: string[] = [];
  const given = (name: OptionName) => `${name} (${fromPhrase(sources[name])})`;
  const unset = (names: readonly OptionName[]) => names.filter((name) => values[name] === undefined);
  const isOrAre = (names: readonly string[]) => (names.length === 1 ? 'is' : 'are');

  if (values['evidence-people'].length === 0) {
    problems.push(
      `${given('evidence-repos')} is set but evidence-people is not: the report is for evidence-people and credits nobody else. ` +
        'Set evidence-people, or remove evidence-repos to turn the report off.',
    );
  }
  for (const { forge, title, needs, why } of FORGE_NEEDS) {
    const ids = repos.filter((repo) => repo.forge === forge).map((repo) => repo.id);
    const missing = unset(needs);
    if (ids.length === 0 || missing.length === 0) continue;
    problems.push(
      `${given('evidence-repos')} lists ${title} repositories (${ids.join(', ')}) but ${listing(missing)} ${isOrAre(missing)} not set: ${why}. ` +
        `Set ${howToSet(missing)}, or remove those repositories.`,
    );
  }
  const google = unset(GOOGLE_CREDENTIALS);
  if (values['evidence-drive-folder'] !== undefined && google.length > 0) {
    problems.push(
      `${given('evidence-drive-folder')} is set but ${listing(google)} ${isOrAre(google)} not: the zips are uploaded to Google Drive ` +
        `with an OAuth client's refresh token. Set ${howToSet(google)}, or remove evidence-drive-folder.`,
    );
  }
  const pair: ReadonlyArray<readonly [OptionName, OptionName]> = [
    ['evidence-s3-access-key-id', 'evidence-s3-secret-access-key'],
    ['evidence-s3-secret-access-key', 'evidence-s3-access-key-id'],
  ];
  for (const [set, missing] of pair) {
    if (values[set] === undefined || values[missing] !== undefined) continue;
    problems.push(
      `${given(set)} is set but ${missing} is not: an S3 access key is the two together. ` +
        `Set ${howToSet([missing])}, or remove ${set} to use the AWS default credential chain.`,
    );
  }
  if (values['evidence-s3-bucket'] === undefined && values['evidence-drive-folder'] === undefined) {
    problems.push(
      `${given('evidence-repos')} is set but neither evidence-s3-bucket nor evidence-drive-folder is: the zips would go nowhere. ` +
        'Set evidence-s3-bucket, evidence-drive-folder or both.',
    );
  }
  return problems;
}

const LANDS_AS_TESTED =
  "Shepherd lands a batch by fast-forwarding the target branch to the state the batch's pipeline tested, " +
  "so every merge request's commits land exactly as tested";

/** marge-bot's batch options that Shepherd accepts, so marge-bot configurations start, but has no use for. */
const WITHOUT_EFFECT: ReadonlyArray<readonly [OptionName, string]> = [
  ['use-no-ff-batches', 'a merge commit on top would be a state no pipeline tested'],
  ['use-merge-commit-batches', "there are no separate batch commits to keep equal to the merge requests' commits"],
  ['skip-ci-batches', "no pipeline is waited for after the batch's own, so there is no CI to skip"],
];

/** One warning for each of marge-bot's batch options that is on, saying why it does nothing. */
function batchWarnings(values: OptionValues, sources: Record<OptionName, OptionSource>): string[] {
  return WITHOUT_EFFECT.filter(([name]) => values[name] === true).map(
    ([name, why]) => `${name} ${fromPhrase(sources[name])}: accepted, but it has no effect: ${LANDS_AS_TESTED}; ${why}. Remove ${name}.`,
  );
}

/**
 * `*-file` options that are not secrets (ssh-key-file) and directory options (git-reference-repo)
 * stay paths for other tools, so they are only checked, not read: failing now beats a git push
 * failing an hour into a merge.
 */
function checkPaths(values: OptionValues, chosen: ReadonlyMap<OptionName, Candidate>, cwd: string): void {
  const secretFiles = new Set<OptionName>(Object.values(SECRET_FILE_OPTIONS));
  for (const name of OPTION_NAMES) {
    const value = values[name];
    const candidate = chosen.get(name);
    const { kind } = optionMeta(name);
    if (typeof value !== 'string' || !candidate || secretFiles.has(name)) continue;
    const what = `${name} ${fromPhrase(candidate.source)}`;
    if (kind === 'file') assertReadableFile(path.resolve(cwd, value), what);
    if (kind === 'dir') assertReadableDir(path.resolve(cwd, value), what);
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

function assertReadableDir(absolute: string, what: string): void {
  try {
    if (!statSync(absolute).isDirectory()) throw new ConfigError(`${what}: ${absolute} is not a directory.`);
    accessSync(absolute, constants.R_OK | constants.X_OK);
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
