// marge-bot's options in Shepherd: same names, defaults and meaning, from every source; the
// combinations marge-bot refuses; and the options accepted only with a warning.

import fs from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  describeConfig,
  loadConfig,
  optionHelp,
  type LoadConfigInput,
  type OptionName,
  type ShepherdConfig,
} from '../../../src/config';
import { EMBARGO_FORMS, EmbargoError, parseEmbargo } from '../../../src/domain/embargo';
import { configError, useTempDir } from './tempDir';

const temp = useTempDir();

function load(argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  return loadConfig({ argv, env, cwd: temp.dir() });
}

function loadYaml(yaml: string, argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  temp.write('c.yml', yaml);
  return load(['--config-file', 'c.yml', ...argv], env);
}

const BOOLS: ReadonlyArray<[OptionName, keyof ShepherdConfig]> = [
  ['use-merge-strategy', 'useMergeStrategy'],
  ['rebase-remotely', 'rebaseRemotely'],
  ['add-tested', 'addTested'],
  ['add-part-of', 'addPartOf'],
  ['add-reviewers', 'addReviewers'],
  ['impersonate-approvers', 'impersonateApprovers'],
  ['batch', 'batch'],
  ['cli', 'cli'],
  ['use-no-ff-batches', 'useNoFfBatches'],
  ['use-merge-commit-batches', 'useMergeCommitBatches'],
  ['skip-ci-batches', 'skipCiBatches'],
];

describe('on/off options', () => {
  it.each(BOOLS)('%s defaults to false and is read from every source', (name, field) => {
    const variable = `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
    expect(load().config[field]).toBe(false);
    expect(load().sources[name]).toEqual({ from: 'default' });

    const byFlag = load([`--${name}`]);
    expect(byFlag.config[field]).toBe(true);
    expect(byFlag.sources[name]).toEqual({ from: 'flag', detail: `--${name}` });

    const byEnv = load([], { [variable]: 'true' });
    expect(byEnv.config[field]).toBe(true);
    expect(byEnv.sources[name]).toEqual({ from: 'env', detail: variable });

    const byFile = loadYaml(`${name}: yes\n`);
    expect(byFile.config[field]).toBe(true);
    expect(byFile.sources[name]).toEqual({ from: 'file', detail: 'c.yml' });

    // And switched off again from a higher source.
    expect(load([`--no-${name}`], { [variable]: 'true' }).config[field]).toBe(false);
    expect(loadYaml(`${name}: true\n`, [], { [variable]: '0' }).config[field]).toBe(false);
  });
});

describe('valued options', () => {
  const referenceRepo = () => {
    fs.mkdirSync(path.join(temp.dir(), 'reference.git'), { recursive: true });
    return 'reference.git';
  };

  it.each<[OptionName, keyof ShepherdConfig, unknown, string, unknown]>([
    ['embargo', 'embargo', '', 'Friday 1pm - Monday 9am', 'Friday 1pm - Monday 9am'],
    ['embargo', 'embargo', '', 'Friday 6pm - Monday 9am, Wed 12:00 - Wed 14:00', 'Friday 6pm - Monday 9am, Wed 12:00 - Wed 14:00'],
    ['merge-order', 'mergeOrder', 'created_at', 'updated_at', 'updated_at'],
    ['merge-order', 'mergeOrder', 'created_at', 'assigned_at', 'assigned_at'],
    ['merge-order', 'mergeOrder', 'created_at', 'created_at', 'created_at'],
    ['approval-reset-timeout', 'approvalResetTimeoutMs', 0, '30s', 30_000],
    ['project-regexp', 'projectRegexp', '.*', 'some_group/.*', 'some_group/.*'],
    ['project-regexp', 'projectRegexp', '.*', '(?!exclude/me)', '(?!exclude/me)'],
    ['branch-regexp', 'branchRegexp', '.*', 'main|release/.*', 'main|release/.*'],
    ['source-branch-regexp', 'sourceBranchRegexp', '.*', 'feature/', 'feature/'],
    ['merge-label', 'mergeLabel', undefined, 'ready to merge', 'ready to merge'],
    ['max-ci-time-in-minutes', 'maxCiTimeInMinutes', undefined, '20', 20],
  ])('%s defaults to %#, and reads %p from a flag, the environment and the config file', (name, field, fallback, text, value) => {
    const variable = `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
    expect(load().config[field]).toEqual(fallback);

    const byFlag = load([`--${name}`, text]);
    expect(byFlag.config[field]).toEqual(value);
    expect(byFlag.sources[name]).toEqual({ from: 'flag', detail: `--${name}` });
    expect(load([`--${name}=${text}`]).config[field]).toEqual(value);

    const byEnv = load([], { [variable]: text });
    expect(byEnv.config[field]).toEqual(value);
    expect(byEnv.sources[name]).toEqual({ from: 'env', detail: variable });

    const byFile = loadYaml(`${name}: ${JSON.stringify(text)}\n`);
    expect(byFile.config[field]).toEqual(value);
    expect(byFile.sources[name]).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('git-reference-repo is unset by default, resolved against cwd from every source', () => {
    expect(load().config.gitReferenceRepo).toBeUndefined();
    const absolute = path.join(temp.dir(), referenceRepo());
    expect(load(['--git-reference-repo', 'reference.git']).config.gitReferenceRepo).toBe(absolute);
    expect(load([], { SHEPHERD_GIT_REFERENCE_REPO: 'reference.git' }).config.gitReferenceRepo).toBe(absolute);
    expect(loadYaml('git-reference-repo: reference.git\n').config.gitReferenceRepo).toBe(absolute);
  });

  it('git-reference-repo must be an existing directory, named in the message', () => {
    expect(configError(() => load([], { SHEPHERD_GIT_REFERENCE_REPO: 'missing' })).message).toBe(
      `git-reference-repo from environment SHEPHERD_GIT_REFERENCE_REPO: cannot read ${path.join(temp.dir(), 'missing')}: no such file.`,
    );
    temp.write('plain', 'x');
    expect(configError(() => load(['--git-reference-repo', 'plain'])).message).toBe(
      `git-reference-repo from flag --git-reference-repo: ${path.join(temp.dir(), 'plain')} is not a directory.`,
    );
  });

  it('reads YAML numbers for max-ci-time-in-minutes and approval-reset-timeout', () => {
    const { config } = loadYaml('max-ci-time-in-minutes: 45\napproval-reset-timeout: 10\n');
    expect(config.maxCiTimeInMinutes).toBe(45);
    expect(config.ciTimeoutMs).toBe(45 * 60_000);
    expect(config.approvalResetTimeoutMs).toBe(10_000);
  });

  it('reads merge-order case-insensitively', () => {
    expect(load([], { SHEPHERD_MERGE_ORDER: 'UPDATED_AT' }).config.mergeOrder).toBe('updated_at');
  });

  it('treats an explicitly empty embargo as no embargo', () => {
    expect(load(['--embargo', '']).config.embargo).toBe('');
    expect(loadYaml('embargo: ""\n').config.embargo).toBe('');
  });
});

describe('merge-order', () => {
  it('refuses other values and lists the valid ones', () => {
    expect(configError(() => load(['--merge-order', 'random'])).message).toBe(
      'Invalid merge-order from flag --merge-order: "random". Expected one of created_at, updated_at, assigned_at.',
    );
    expect(configError(() => loadYaml('merge-order: 3\n')).message).toContain('Expected one of created_at, updated_at, assigned_at.');
  });
});

describe('regexp options', () => {
  it.each<[OptionName]>([['project-regexp'], ['branch-regexp'], ['source-branch-regexp']])(
    'refuses an invalid %s, naming the key and what is wrong',
    (name) => {
      const error = configError(() => load([`--${name}`, 'group/(unclosed']));
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain(`Invalid ${name} from flag --${name}: "group/(unclosed"`);
      expect(error.message).toContain('Invalid regular expression');
      expect(error.message).toContain('Expected a JavaScript regular expression');
    },
  );

  it('names the environment variable and refuses Python-only syntax and empty values', () => {
    const python = configError(() => load([], { SHEPHERD_BRANCH_REGEXP: '(?P<name>main)' })).message;
    expect(python).toContain('Invalid branch-regexp from environment SHEPHERD_BRANCH_REGEXP');
    const empty = configError(() => loadYaml('source-branch-regexp: ""\n')).message;
    expect(empty).toContain('Invalid source-branch-regexp from config file c.yml');
    expect(empty).toContain('.* matches everything');
  });

  it('reports every bad regexp at once', () => {
    const error = configError(() => load(['--project-regexp', '[', '--branch-regexp', '*']));
    expect(error.problems).toEqual([
      expect.stringContaining('Invalid project-regexp from flag --project-regexp: "["'),
      expect.stringContaining('Invalid branch-regexp from flag --branch-regexp: "*"'),
    ]);
  });
});

describe('approval-reset-timeout', () => {
  it.each([['0'], ['0s'], ['0min']])('accepts zero written as %p', (text) => {
    expect(load(['--approval-reset-timeout', text]).config.approvalResetTimeoutMs).toBe(0);
  });

  it('accepts zero as a YAML number', () => {
    expect(loadYaml('approval-reset-timeout: 0\n').config.approvalResetTimeoutMs).toBe(0);
  });

  it('still refuses negative and unreadable durations', () => {
    expect(configError(() => load(['--approval-reset-timeout', '-1s'])).message).toContain('cannot be negative');
    const message = configError(() => load([], { SHEPHERD_APPROVAL_RESET_TIMEOUT: 'a bit' })).message;
    expect(message).toContain('Invalid approval-reset-timeout from environment SHEPHERD_APPROVAL_RESET_TIMEOUT');
    expect(message).toContain('0s for none');
  });

  it('leaves the other durations refusing zero', () => {
    expect(configError(() => load(['--ci-timeout', '0'])).message).toContain('(it is zero)');
  });
});

describe('embargo', () => {
  function parserError(spec: string): EmbargoError {
    try {
      parseEmbargo(spec);
    } catch (error) {
      if (error instanceof EmbargoError) return error;
      throw error;
    }
    throw new Error(`expected ${spec} to be refused by parseEmbargo`);
  }

  it.each([['Funday 1pm - Monday 9am'], ['Friday 1pm'], ['Friday 1pm - Monday 9am,'], ['Friday 25:00 - Monday 9am']])(
    'refuses %p with the parser’s explanation, naming embargo and the source',
    (spec) => {
      const parser = parserError(spec);
      const error = configError(() => load(['--embargo', spec]));
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain(`Invalid embargo from flag --embargo: ${JSON.stringify(spec)}`);
      if (parser.part !== '') expect(error.message).toContain(JSON.stringify(parser.part));
      expect(error.message).toContain(parser.reason);
      expect(error.message).toContain(EMBARGO_FORMS);
    },
  );

  it('names the environment variable and the config file', () => {
    expect(configError(() => load([], { SHEPHERD_EMBARGO: 'whenever' })).message).toContain(
      'Invalid embargo from environment SHEPHERD_EMBARGO: "whenever"',
    );
    expect(configError(() => loadYaml('embargo: 42\n')).message).toContain('Invalid embargo from config file c.yml');
  });
});

describe('refused combinations', () => {
  it.each<[OptionName, OptionName, string]>([
    ['use-merge-strategy', 'add-tested', 'merge commit'],
    ['rebase-remotely', 'use-merge-strategy', "GitLab's rebase API only rebases"],
    ['rebase-remotely', 'add-tested', "GitLab's rebase API cannot rewrite commit messages"],
    ['rebase-remotely', 'add-part-of', "GitLab's rebase API cannot rewrite commit messages"],
    ['rebase-remotely', 'add-reviewers', "GitLab's rebase API cannot rewrite commit messages"],
  ])('refuses %s with %s in one error naming both keys and why', (a, b, why) => {
    temp.write('c.yml', `${b}: true\n`);
    const error = configError(() => load(['--config-file', 'c.yml', `--${a}`]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain(`${a} (from flag --${a}) and ${b} (from config file c.yml) cannot be combined: `);
    expect(error.message).toContain(why);
    expect(error.message).toContain('marge-bot refuses this combination too');
  });

  it('lists every refused pair in one error, one per line', () => {
    const error = configError(() =>
      load([], { SHEPHERD_REBASE_REMOTELY: '1', SHEPHERD_ADD_TESTED: '1', SHEPHERD_ADD_PART_OF: '1', SHEPHERD_USE_MERGE_STRATEGY: '1' }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^use-merge-strategy .* and add-tested /),
      expect.stringMatching(/^rebase-remotely .* and use-merge-strategy /),
      expect.stringMatching(/^rebase-remotely .* and add-tested /),
      expect.stringMatching(/^rebase-remotely .* and add-part-of /),
    ]);
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('allows the combinations marge-bot allows', () => {
    expect(() => load(['--use-merge-strategy', '--add-part-of', '--add-reviewers', '--impersonate-approvers'])).not.toThrow();
    expect(() => load(['--rebase-remotely', '--impersonate-approvers', '--batch'])).not.toThrow();
    expect(() => load(['--add-tested', '--add-part-of', '--add-reviewers'])).not.toThrow();
  });

  it('judges the effective values, so a higher source can switch one side off', () => {
    temp.write('c.yml', 'rebase-remotely: true\nadd-tested: true\n');
    expect(load(['--config-file', 'c.yml', '--no-add-tested']).config).toMatchObject({ rebaseRemotely: true, addTested: false });
  });

  it('keeps refusing secrets on the command line', () => {
    expect(configError(() => load(['--auth-token', 'x', '--batch'])).message).toContain('--auth-token is refused on the command line');
  });
});

describe('warnings', () => {
  it('does not warn about batch: it asks for queue-mode batch', () => {
    const { config, warnings } = load(['--batch']);
    expect(config).toMatchObject({ batch: true, queueMode: 'batch' });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['use-no-ff-batches', 'a merge commit on top would be a state no pipeline tested'],
    ['use-merge-commit-batches', "there are no separate batch commits to keep equal to the merge requests' commits"],
    ['skip-ci-batches', "no pipeline is waited for after the batch's own, so there is no CI to skip"],
  ])('warns that %s has no effect, and why', (name, why) => {
    const { warnings } = loadYaml(`batch: true\n${name}: true\n`);
    expect(warnings).toEqual([
      `${name} from config file c.yml: accepted, but it has no effect: Shepherd lands a batch by fast-forwarding the target ` +
        "branch to the state the batch's pipeline tested, so every merge request's commits land exactly as tested; " +
        `${why}. Remove ${name}.`,
    ]);
  });

  it('warns about each of them, in --help order, whatever the queue mode', () => {
    const { warnings } = load(['--skip-ci-batches', '--use-no-ff-batches', '--queue-mode', 'train']);
    expect(warnings).toEqual([expect.stringMatching(/^use-no-ff-batches from flag --use-no-ff-batches: /), expect.stringMatching(/^skip-ci-batches from flag --skip-ci-batches: /)]);
  });

  it('does not warn about batch options that are off', () => {
    expect(loadYaml('batch: false\nskip-ci-batches: false\n').warnings).toEqual([]);
  });
});

describe('max-ci-time-in-minutes (deprecated)', () => {
  it('becomes ci-timeout when ci-timeout is not given, with a deprecation warning', () => {
    const { config, sources, warnings } = load([], { SHEPHERD_MAX_CI_TIME_IN_MINUTES: '20' });
    expect(config.ciTimeoutMs).toBe(20 * 60_000);
    expect(config.maxCiTimeInMinutes).toBe(20);
    expect(sources['ci-timeout']).toEqual({ from: 'env', detail: 'SHEPHERD_MAX_CI_TIME_IN_MINUTES', via: 'max-ci-time-in-minutes' });
    expect(warnings).toEqual([
      'max-ci-time-in-minutes from environment SHEPHERD_MAX_CI_TIME_IN_MINUTES is deprecated: using it as ci-timeout 20min. Set ci-timeout instead.',
    ]);
  });

  it('beats ci-timeout from a lower source', () => {
    const { config, warnings } = loadYaml('ci-timeout: 5min\n', ['--max-ci-time-in-minutes', '90']);
    expect(config.ciTimeoutMs).toBe(90 * 60_000);
    expect(warnings).toEqual([expect.stringContaining('using it as ci-timeout 1h30m')]);
  });

  it.each<[string, () => ReturnType<typeof load>, string]>([
    ['the same source', () => loadYaml('ci-timeout: 5min\nmax-ci-time-in-minutes: 20\n'), 'ci-timeout from config file c.yml'],
    ['a higher source', () => loadYaml('max-ci-time-in-minutes: 20\n', ['--ci-timeout', '5min']), 'ci-timeout from flag --ci-timeout'],
  ])('loses to ci-timeout from %s, still with a warning', (_title, loadIt, winner) => {
    const { config, sources, warnings } = loadIt();
    expect(config.ciTimeoutMs).toBe(5 * 60_000);
    expect(sources['ci-timeout'].via).toBeUndefined();
    expect(sources['max-ci-time-in-minutes'].ignored).toBe(`${winner} takes precedence`);
    expect(warnings).toEqual([
      `max-ci-time-in-minutes from config file c.yml is deprecated and ignored: ${winner} takes precedence. Remove max-ci-time-in-minutes.`,
    ]);
  });

  it.each([['0'], ['1.5'], ['soon']])('refuses %p', (text) => {
    expect(configError(() => load(['--max-ci-time-in-minutes', text])).message).toContain(
      `Invalid max-ci-time-in-minutes from flag --max-ci-time-in-minutes: "${text}". Expected a whole number from 1 to`,
    );
  });

  it('puts warnings of all kinds together', () => {
    const { warnings } = load(['--skip-ci-batches'], { SHEPHERD_MAX_CI_TIME_IN_MINUTES: '20' });
    expect(warnings).toEqual([expect.stringMatching(/^max-ci-time-in-minutes/), expect.stringMatching(/^skip-ci-batches/)]);
  });
});

describe('shepherd config and --help', () => {
  it('shows every new option with its value and source', () => {
    temp.write('c.yml', 'embargo: Friday 1pm - Monday 9am\nmerge-order: assigned_at\nbatch: true\n');
    const lines = describeConfig(
      load(['--config-file', 'c.yml', '--approval-reset-timeout', '90s', '--project-regexp', 'team/.*'], {
        SHEPHERD_MAX_CI_TIME_IN_MINUTES: '30',
      }),
    ).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^embargo\s+Friday 1pm - Monday 9am\s+config file c\.yml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^merge-order\s+assigned_at\s+config file c\.yml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^batch\s+true\s+config file c\.yml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^approval-reset-timeout\s+1m30s\s+flag --approval-reset-timeout$/));
    expect(lines).toContainEqual(expect.stringMatching(/^project-regexp\s+team\/\.\*\s+flag --project-regexp$/));
    expect(lines).toContainEqual(expect.stringMatching(/^branch-regexp\s+\.\*\s+default$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ci-timeout\s+30min\s+environment SHEPHERD_MAX_CI_TIME_IN_MINUTES \(as deprecated max-ci-time-in-minutes\)$/,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^max-ci-time-in-minutes\s+30\s+environment SHEPHERD_MAX_CI_TIME_IN_MINUTES$/));
    expect(lines).toContainEqual(expect.stringMatching(/^merge-label\s+\(not set\)\s+default$/));
  });

  it('shows no embargo as (none) and the zero approval wait as 0s', () => {
    const lines = describeConfig(load()).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^embargo\s+\(none\)\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^approval-reset-timeout\s+0s\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^use-merge-strategy\s+false\s+default$/));
  });

  it('lists the new options in --help with environment variables and marge-bot defaults', () => {
    const help = optionHelp();
    expect(help).toContain('--embargo INTERVAL[,..]');
    expect(help).toContain('[env SHEPHERD_EMBARGO] (default: none)');
    expect(help).toContain('--merge-order {created_at,updated_at,assigned_at}');
    expect(help).toContain('[env SHEPHERD_MERGE_ORDER] (default: created_at)');
    expect(help).toContain('[env SHEPHERD_APPROVAL_RESET_TIMEOUT] (default: 0s)');
    expect(help).toContain('[env SHEPHERD_PROJECT_REGEXP] (default: .*)');
    expect(help).toContain('--max-ci-time-in-minutes MINUTES');
    expect(help).toContain('Deprecated; use --ci-timeout.');
    expect(help).toContain('--git-reference-repo DIR');
    expect(help).toContain('--cli, --no-cli');
    expect(help).toContain('[env SHEPHERD_USE_MERGE_COMMIT_BATCHES] (default: false)');
    expect(help).toContain('[env SHEPHERD_MERGE_LABEL]');
  });

  it('groups --help under titles', () => {
    const help = optionHelp();
    const titles = [
      'GitLab:',
      'Git:',
      'Which merge requests, in which order:',
      'Merging:',
      "Queue modes (serial, batch, train) and marge-bot's batch options:",
      'Running Shepherd:',
    ];
    const positions = titles.map((title) => help.indexOf(`\n${title}\n`));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    expect(help).toMatch(/\nQueue modes \(serial, batch, train\) and marge-bot's batch options:\n {2}--queue-mode \{serial,batch,train\}\n/);
    expect(help).toMatch(/\n {2}--queue-overrides RULES\n(?:.*\n){2} {2}--batch, --no-batch\n/);
  });
});
