// The queue-mode options (issue 7): each from every source, their checks, queue-overrides per
// project and target branch, marge-bot's batch as queue-mode batch, and the resolver.

import {
  OPTION_GROUPS,
  QUEUE_OVERRIDE_OPTIONS,
  describeConfig,
  loadConfig,
  optionHelp,
  queueSettingsFor,
  type LoadConfigInput,
  type OptionName,
  type QueueConfig,
  type QueueOverrideRule,
  type ShepherdConfig,
} from '../../../src/config';
import { DEFAULT_TRAIN_SETTINGS } from '../../../src/domain/mergeTrain';
import { configError, useTempDir } from './tempDir';

const temp = useTempDir();

function load(argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  return loadConfig({ argv, env, cwd: temp.dir() });
}

function loadYaml(yaml: string, argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  temp.write('c.yml', yaml);
  return load(['--config-file', 'c.yml', ...argv], env);
}

function overrides(text: string): QueueOverrideRule[] {
  return load(['--queue-overrides', text]).config.queueOverrides;
}

/** The settings of `project`'s `branch` under the given queue-overrides (and other flags). */
function settingsFor(text: string, project: string, branch: string, argv: string[] = []) {
  return queueSettingsFor(load(['--queue-overrides', text, ...argv]).config, project, branch);
}

const QUEUE_OPTIONS = [
  'queue-mode',
  'max-parallel-pipelines',
  'max-batch-size',
  'batch-min-wait',
  'ci-retries',
  'train-window',
  'train-optimistic',
  'queue-overrides',
] as const satisfies readonly OptionName[];

describe('defaults', () => {
  it('are serial, as marge-bot, with the settings of DEFAULT_TRAIN_SETTINGS', () => {
    const { config, sources, warnings } = load();
    expect(config).toMatchObject({
      queueMode: 'serial',
      maxParallelPipelines: 4,
      maxBatchSize: 8,
      batchMinWaitMs: 0,
      ciRetries: 0,
      trainWindow: 'fixed',
      trainOptimistic: true,
      queueOverrides: [],
    });
    for (const name of QUEUE_OPTIONS) expect(sources[name]).toEqual({ from: 'default' });
    expect(queueSettingsFor(config, 'group/app', 'main')).toEqual(DEFAULT_TRAIN_SETTINGS);
    expect(warnings).toEqual([]);
  });

  it('lists the queue options, then marge-bot’s batch options, in one group', () => {
    const group = OPTION_GROUPS.find((g) => g.title === "Queue modes (serial, batch, train) and marge-bot's batch options");
    expect(group?.options).toEqual([...QUEUE_OPTIONS, 'batch', 'use-no-ff-batches', 'use-merge-commit-batches', 'skip-ci-batches']);
    expect(QUEUE_OVERRIDE_OPTIONS).toEqual(QUEUE_OPTIONS.filter((name) => name !== 'queue-overrides'));
  });
});

describe('each option from every source', () => {
  it.each<[OptionName, keyof ShepherdConfig, string, unknown]>([
    ['queue-mode', 'queueMode', 'train', 'train'],
    ['queue-mode', 'queueMode', 'batch', 'batch'],
    ['queue-mode', 'queueMode', 'serial', 'serial'],
    ['max-parallel-pipelines', 'maxParallelPipelines', '8', 8],
    ['max-parallel-pipelines', 'maxParallelPipelines', '64', 64],
    ['max-batch-size', 'maxBatchSize', '1', 1],
    ['max-batch-size', 'maxBatchSize', '100', 100],
    ['batch-min-wait', 'batchMinWaitMs', '2min', 120_000],
    ['batch-min-wait', 'batchMinWaitMs', '0s', 0],
    ['ci-retries', 'ciRetries', '2', 2],
    ['ci-retries', 'ciRetries', '0', 0],
    ['train-window', 'trainWindow', 'adaptive', 'adaptive'],
    ['train-window', 'trainWindow', 'fixed', 'fixed'],
  ])('%s reads %p from a flag, the environment and the config file', (name, field, text, value) => {
    const variable = `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;

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

  it('reads YAML numbers, booleans and words as people write them', () => {
    const { config } = loadYaml(
      'queue-mode: Train\nmax-parallel-pipelines: 6\nmax-batch-size: 3\nbatch-min-wait: 30\nci-retries: 1\n' +
        'train-window: ADAPTIVE\ntrain-optimistic: no\n',
    );
    expect(config).toMatchObject({
      queueMode: 'train',
      maxParallelPipelines: 6,
      maxBatchSize: 3,
      batchMinWaitMs: 30_000,
      ciRetries: 1,
      trainWindow: 'adaptive',
      trainOptimistic: false,
    });
  });

  it('reads train-optimistic, an on/off option, from a flag, the environment and the config file', () => {
    const byFlag = load(['--no-train-optimistic']);
    expect(byFlag.config.trainOptimistic).toBe(false);
    expect(byFlag.sources['train-optimistic']).toEqual({ from: 'flag', detail: '--no-train-optimistic' });
    expect(load(['--train-optimistic=false']).config.trainOptimistic).toBe(false);
    expect(load(['--train-optimistic'], { SHEPHERD_TRAIN_OPTIMISTIC: 'false' }).config.trainOptimistic).toBe(true);

    const byEnv = load([], { SHEPHERD_TRAIN_OPTIMISTIC: '0' });
    expect(byEnv.config.trainOptimistic).toBe(false);
    expect(byEnv.sources['train-optimistic']).toEqual({ from: 'env', detail: 'SHEPHERD_TRAIN_OPTIMISTIC' });

    const byFile = loadYaml('train-optimistic: false\n');
    expect(byFile.config.trainOptimistic).toBe(false);
    expect(byFile.sources['train-optimistic']).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('lets a higher source win, option by option', () => {
    const { config, sources } = loadYaml('queue-mode: batch\nmax-batch-size: 5\n', ['--queue-mode', 'train'], {
      SHEPHERD_MAX_BATCH_SIZE: '6',
    });
    expect(config).toMatchObject({ queueMode: 'train', maxBatchSize: 6 });
    expect(sources['queue-mode']).toEqual({ from: 'flag', detail: '--queue-mode' });
    expect(sources['max-batch-size']).toEqual({ from: 'env', detail: 'SHEPHERD_MAX_BATCH_SIZE' });
  });
});

describe('bad values', () => {
  it.each<[OptionName, string, string]>([
    ['queue-mode', 'parallel', 'Expected one of serial, batch, train.'],
    ['max-parallel-pipelines', '0', 'Expected a whole number from 1 to 64.'],
    ['max-parallel-pipelines', '65', 'Expected a whole number from 1 to 64.'],
    ['max-batch-size', '0', 'Expected a whole number from 1 to 100.'],
    ['max-batch-size', '101', 'Expected a whole number from 1 to 100.'],
    ['max-batch-size', '2.5', 'Expected a whole number from 1 to 100.'],
    ['ci-retries', '11', 'Expected a whole number from 0 to 10.'],
    ['ci-retries', '-1', 'Expected a whole number from 0 to 10.'],
    ['train-window', 'sliding', 'Expected one of fixed, adaptive.'],
    ['train-optimistic', 'maybe', 'Expected one of true, false, yes, no, 1, 0.'],
  ])('refuses %s %p, naming the key and what is valid', (name, text, expected) => {
    const variable = `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
    expect(configError(() => load([], { [variable]: text })).message).toBe(
      `Invalid ${name} from environment ${variable}: ${JSON.stringify(text)}. ${expected}`,
    );
  });

  it('refuses an unreadable or negative batch-min-wait, saying 0s means none', () => {
    const unreadable = configError(() => load(['--batch-min-wait', 'a while'])).message;
    expect(unreadable).toContain('Invalid batch-min-wait from flag --batch-min-wait: "a while" (');
    expect(unreadable).toContain('Expected a duration (0s for none)');
    expect(configError(() => loadYaml('batch-min-wait: -5s\n')).message).toContain('cannot be negative');
  });

  it('reports every bad queue option at once', () => {
    const error = configError(() => load(['--queue-mode', 'x', '--ci-retries', 'y']));
    expect(error.problems).toEqual([
      expect.stringMatching(/^Invalid queue-mode from flag --queue-mode: "x"/),
      expect.stringMatching(/^Invalid ci-retries from flag --ci-retries: "y"/),
    ]);
  });
});

describe('queue-overrides', () => {
  it('parses rules separated by ";" or newlines into plain data, values typed', () => {
    const rules = overrides(
      'group/app@main queue-mode=train max-parallel-pipelines=8; group/lib@release-.* queue-mode=batch\n' +
        '  other/  batch-min-wait=1min ci-retries=2 train-window=adaptive train-optimistic=no max-batch-size=3 ;\n\n',
    );
    expect(rules).toEqual([
      {
        rule: 'group/app@main queue-mode=train max-parallel-pipelines=8',
        project: 'group/app',
        branch: 'main',
        settings: { mode: 'train', maxParallelPipelines: 8 },
      },
      { rule: 'group/lib@release-.* queue-mode=batch', project: 'group/lib', branch: 'release-.*', settings: { mode: 'batch' } },
      {
        rule: 'other/  batch-min-wait=1min ci-retries=2 train-window=adaptive train-optimistic=no max-batch-size=3',
        project: 'other/',
        settings: { batchMinWaitMs: 60_000, ciRetries: 2, window: 'adaptive', optimistic: false, maxBatchSize: 3 },
      },
    ]);
    expect(JSON.parse(JSON.stringify(rules))).toEqual(rules);
  });

  it('is read from the environment and from a YAML block scalar', () => {
    const text = 'group/app@main queue-mode=train\ngroup/lib queue-mode=batch';
    const byEnv = load([], { SHEPHERD_QUEUE_OVERRIDES: text });
    expect(byEnv.config.queueOverrides.map((r) => r.settings.mode)).toEqual(['train', 'batch']);
    expect(byEnv.sources['queue-overrides']).toEqual({ from: 'env', detail: 'SHEPHERD_QUEUE_OVERRIDES' });

    const byFile = loadYaml('queue-overrides: |\n  group/app@main queue-mode=train\n  group/lib queue-mode=batch max-batch-size=4\n');
    expect(byFile.config.queueOverrides).toEqual([
      { rule: 'group/app@main queue-mode=train', project: 'group/app', branch: 'main', settings: { mode: 'train' } },
      { rule: 'group/lib queue-mode=batch max-batch-size=4', project: 'group/lib', settings: { mode: 'batch', maxBatchSize: 4 } },
    ]);
    expect(byFile.sources['queue-overrides']).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('treats empty text as no rules', () => {
    expect(overrides('')).toEqual([]);
    expect(overrides(' ; \n ')).toEqual([]);
    expect(loadYaml('queue-overrides: ""\n').config.queueOverrides).toEqual([]);
  });

  it('lets the last matching rule win, per option', () => {
    const text = 'group/ queue-mode=batch max-batch-size=4 ci-retries=1; group/app queue-mode=train; group/app ci-retries=2';
    expect(settingsFor(text, 'group/app', 'main')).toEqual({
      ...DEFAULT_TRAIN_SETTINGS,
      mode: 'train',
      maxBatchSize: 4,
      ciRetries: 2,
    });
    expect(settingsFor(text, 'group/lib', 'main')).toEqual({ ...DEFAULT_TRAIN_SETTINGS, mode: 'batch', maxBatchSize: 4, ciRetries: 1 });
    // An earlier, broader rule written last wins over the narrower one.
    expect(settingsFor('group/app queue-mode=train; group/ queue-mode=batch', 'group/app', 'main').mode).toBe('batch');
  });

  it('starts from the options, which a rule overrides only where it matches', () => {
    const argv = ['--queue-mode', 'batch', '--max-parallel-pipelines', '6', '--ci-retries', '1'];
    const text = 'group/app queue-mode=train';
    expect(settingsFor(text, 'group/app', 'main', argv)).toEqual({ ...DEFAULT_TRAIN_SETTINGS, mode: 'train', maxParallelPipelines: 6, ciRetries: 1 });
    expect(settingsFor(text, 'elsewhere/app', 'main', argv)).toEqual({ ...DEFAULT_TRAIN_SETTINGS, mode: 'batch', maxParallelPipelines: 6, ciRetries: 1 });
  });

  it('matches the target branch by its regexp, and every branch without one', () => {
    const text = 'group/app queue-mode=batch; group/app@main queue-mode=train; group/app@release-.* ci-retries=3';
    expect(settingsFor(text, 'group/app', 'main')).toMatchObject({ mode: 'train', ciRetries: 0 });
    expect(settingsFor(text, 'group/app', 'develop')).toMatchObject({ mode: 'batch', ciRetries: 0 });
    expect(settingsFor(text, 'group/app', 'release-2.0')).toMatchObject({ mode: 'batch', ciRetries: 3 });
  });

  it('anchors regexps at the start only, like project-regexp', () => {
    const mode = (text: string, project: string, branch = 'main') => settingsFor(text, project, branch).mode;
    expect(mode('app queue-mode=train', 'group/app')).toBe('serial');
    expect(mode('group/app queue-mode=train', 'group/app-legacy')).toBe('train');
    expect(mode('group/app$ queue-mode=train', 'group/app-legacy')).toBe('serial');
    expect(mode('group/app$ queue-mode=train', 'group/app')).toBe('train');
    expect(mode('(?!group/legacy) queue-mode=train', 'group/legacy')).toBe('serial');
    expect(mode('(?!group/legacy) queue-mode=train', 'group/app')).toBe('train');
    expect(mode('a|b queue-mode=train', 'xb')).toBe('serial');
    expect(mode('.*@main queue-mode=train', 'group/app', 'release/main')).toBe('serial');
    expect(mode('.*@main queue-mode=train', 'group/app', 'main-next')).toBe('train');
  });

  it('resolves from a configuration that travelled as JSON', () => {
    const { config } = load(['--queue-overrides', 'group/app@main queue-mode=train batch-min-wait=30s']);
    const travelled = JSON.parse(JSON.stringify(config)) as QueueConfig;
    expect(queueSettingsFor(travelled, 'group/app', 'main')).toEqual({ ...DEFAULT_TRAIN_SETTINGS, mode: 'train', batchMinWaitMs: 30_000 });
  });

  it('shows the rules in shepherd config and --help', () => {
    const lines = describeConfig(load(['--queue-overrides', 'group/app@main queue-mode=train;group/lib ci-retries=1'])).split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^queue-overrides\s+group\/app@main queue-mode=train; group\/lib ci-retries=1\s+flag --queue-overrides$/),
    );
    expect(describeConfig(load()).split('\n')).toContainEqual(expect.stringMatching(/^queue-overrides\s+\(none\)\s+default$/));
    expect(optionHelp()).toContain('--queue-overrides RULES');
    expect(optionHelp()).toContain('[env SHEPHERD_QUEUE_OVERRIDES] (default: none)');
  });

  describe('bad rules stop start-up, naming queue-overrides, the rule, the option and what is valid', () => {
    function problems(text: string): readonly string[] {
      return configError(() => load(['--queue-overrides', text])).problems;
    }

    it.each<[string, string]>([
      [
        'group/app@main queue-mode=fast',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app@main queue-mode=fast" (queue-mode=fast). ' +
          'Expected queue-mode to be one of serial, batch, train.',
      ],
      [
        'group/app max-parallel-pipelines=0',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app max-parallel-pipelines=0" (max-parallel-pipelines=0). ' +
          'Expected max-parallel-pipelines to be a whole number from 1 to 64.',
      ],
      [
        'group/app max-batch-size=500',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app max-batch-size=500" (max-batch-size=500). ' +
          'Expected max-batch-size to be a whole number from 1 to 100.',
      ],
      [
        'group/app ci-retries=many',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app ci-retries=many" (ci-retries=many). ' +
          'Expected ci-retries to be a whole number from 0 to 10.',
      ],
      [
        'group/app train-window=wide',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app train-window=wide" (train-window=wide). ' +
          'Expected train-window to be one of fixed, adaptive.',
      ],
      [
        'group/app train-optimistic=',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app train-optimistic=" (train-optimistic=). ' +
          'Expected train-optimistic to be one of true, false, yes, no, 1, 0.',
      ],
      [
        'group/app ci-retries',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app ci-retries" (ci-retries has no value). ' +
          'Expected ci-retries=<value>, e.g. ci-retries=1.',
      ],
      [
        'group/app queue-mod=train',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app queue-mod=train" ' +
          '(unknown option queue-mod; did you mean queue-mode?). Expected option=value with one of the options ' +
          'queue-mode, max-parallel-pipelines, max-batch-size, batch-min-wait, ci-retries, train-window, train-optimistic.',
      ],
      [
        'group/app',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app" (it sets no option). Expected ' +
          '<project-regexp>[@<branch-regexp>] <option>=<value> [<option>=<value> ...], e.g. group/app@main queue-mode=train max-parallel-pipelines=8.',
      ],
      [
        'queue-mode=train',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "queue-mode=train" (it starts with queue-mode=train, not with a ' +
          'project regexp). Expected <project-regexp>[@<branch-regexp>] <option>=<value> [<option>=<value> ...], e.g. .* queue-mode=train for every project.',
      ],
      [
        'group/app@ queue-mode=train',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "group/app@ queue-mode=train" (its branch regexp is empty; leave out "@" ' +
          'for every branch). Expected the branch regexp to be a JavaScript regular expression, matched from the start, e.g. main or ' +
          'release-.*; .* matches every branch.',
      ],
      [
        '@main queue-mode=train',
        'Invalid queue-overrides from flag --queue-overrides: rule 1 "@main queue-mode=train" (its project regexp is empty). Expected the ' +
          'project regexp to be a JavaScript regular expression, matched from the start, e.g. group/app or group/.*; .* matches every project.',
      ],
    ])('refuses %p', (text, message) => {
      expect(problems(text)).toEqual([message]);
    });

    it('explains a bad duration with the duration parser’s reason', () => {
      const [problem] = problems('group/app batch-min-wait=soon');
      expect(problem).toContain('rule 1 "group/app batch-min-wait=soon" (batch-min-wait=soon: cannot read "soon")');
      expect(problem).toContain('Expected batch-min-wait to be a duration (0s for none): ');
    });

    it.each<[string, string]>([
      ['group/(app queue-mode=train', 'project regexp "group/(app": Invalid regular expression'],
      ['group/app@(?P<x>main) queue-mode=train', 'branch regexp "(?P<x>main)": Invalid regular expression'],
    ])('refuses the invalid regexp in %p', (text, reason) => {
      const [problem, ...more] = problems(text);
      expect(more).toEqual([]);
      expect(problem).toContain(`Invalid queue-overrides from flag --queue-overrides: rule 1 ${JSON.stringify(text)} (${reason}`);
      expect(problem).toContain('regexp to be a JavaScript regular expression, matched from the start');
    });

    it('reports every problem of every rule at once, numbering the rules', () => {
      expect(problems('group/app queue-mode=train\n\ngroup/lib queue-mode=x ci-retries=20; ok/ ci-retries=1; bad frobnicate=1')).toEqual([
        expect.stringMatching(/^Invalid queue-overrides from flag --queue-overrides: rule 2 "group\/lib queue-mode=x ci-retries=20" \(queue-mode=x\)/),
        expect.stringMatching(/: rule 2 "group\/lib queue-mode=x ci-retries=20" \(ci-retries=20\)\. Expected ci-retries to be a whole number/),
        expect.stringMatching(/: rule 4 "bad frobnicate=1" \(unknown option frobnicate\)\. /),
      ]);
    });

    it('names the environment variable and the config file', () => {
      expect(configError(() => load([], { SHEPHERD_QUEUE_OVERRIDES: 'a/ queue-mode=x' })).message).toMatch(
        /^Invalid queue-overrides from environment SHEPHERD_QUEUE_OVERRIDES: rule 1 "a\/ queue-mode=x"/,
      );
      expect(configError(() => loadYaml('queue-overrides: |\n  a/ ci-retries=1\n  b/ ci-retries=x\n')).message).toMatch(
        /^Invalid queue-overrides from config file c\.yml: rule 2 "b\/ ci-retries=x"/,
      );
    });

    it('refuses a YAML value that is not text', () => {
      expect(configError(() => loadYaml('queue-overrides: 5\n')).message).toBe(
        'Invalid queue-overrides from config file c.yml: 5. Expected text: rules separated by newlines or ";", each ' +
          '<project-regexp>[@<branch-regexp>] <option>=<value> [<option>=<value> ...].',
      );
    });
  });
});

describe("marge-bot's batch", () => {
  it('means queue-mode batch when queue-mode is not given, from every source', () => {
    for (const loaded of [load(['--batch']), load([], { SHEPHERD_BATCH: 'true' }), loadYaml('batch: true\n')]) {
      expect(loaded.config).toMatchObject({ batch: true, queueMode: 'batch' });
      expect(loaded.sources['queue-mode']).toEqual({ ...loaded.sources.batch, via: 'batch' });
      expect(loaded.warnings).toEqual([]);
    }
  });

  it('says so in shepherd config', () => {
    const lines = describeConfig(loadYaml('batch: true\n')).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^queue-mode\s+batch\s+config file c\.yml \(set by batch\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^batch\s+true\s+config file c\.yml$/));
  });

  it('agrees with queue-mode batch, and leaves queue-overrides to override it', () => {
    const { config, sources } = load(['--batch', '--queue-mode', 'batch', '--queue-overrides', 'group/app queue-mode=train']);
    expect(config.queueMode).toBe('batch');
    expect(sources['queue-mode']).toEqual({ from: 'flag', detail: '--queue-mode' });
    expect(queueSettingsFor(config, 'group/app', 'main').mode).toBe('train');
    expect(queueSettingsFor(config, 'group/lib', 'main').mode).toBe('batch');
  });

  it('leaves queue-mode alone when off', () => {
    expect(load(['--no-batch', '--queue-mode', 'train']).config.queueMode).toBe('train');
    expect(loadYaml('batch: true\n', ['--no-batch']).config.queueMode).toBe('serial');
  });

  it.each<[string[], Record<string, string>, string]>([
    [
      ['--batch', '--queue-mode', 'serial'],
      {},
      'batch (from flag --batch) and queue-mode serial (from flag --queue-mode) disagree',
    ],
    [
      ['--queue-mode=train'],
      { SHEPHERD_BATCH: 'yes' },
      'batch (from environment SHEPHERD_BATCH) and queue-mode train (from flag --queue-mode) disagree',
    ],
  ])('refuses batch with a different queue-mode, naming both: %p', (argv, env, start) => {
    const error = configError(() => load(argv, env));
    expect(error.problems).toEqual([
      `${start}: batch: true is marge-bot's way to ask for queue-mode batch. Remove batch, or set queue-mode to batch.`,
    ]);
  });

  it('refuses the conflict from the config file too, along with other refused combinations', () => {
    const error = configError(() => loadYaml('batch: true\nqueue-mode: train\nrebase-remotely: true\nadd-tested: true\n'));
    expect(error.problems).toEqual([
      expect.stringMatching(/^rebase-remotely .* and add-tested /),
      'batch (from config file c.yml) and queue-mode train (from config file c.yml) disagree: ' +
        "batch: true is marge-bot's way to ask for queue-mode batch. Remove batch, or set queue-mode to batch.",
    ]);
  });
});

describe('queueSettingsFor', () => {
  const base: QueueConfig = {
    queueMode: 'serial',
    maxParallelPipelines: 4,
    maxBatchSize: 8,
    batchMinWaitMs: 0,
    ciRetries: 0,
    trainWindow: 'fixed',
    trainOptimistic: true,
    queueOverrides: [],
  };

  it('maps the options to TrainSettings, with no style (the benchmark’s peer only)', () => {
    const config: QueueConfig = { ...base, queueMode: 'train', trainWindow: 'adaptive', trainOptimistic: false, batchMinWaitMs: 5 };
    const settings = queueSettingsFor(config, 'p', 'main');
    expect(settings).toEqual({
      mode: 'train',
      maxParallelPipelines: 4,
      maxBatchSize: 8,
      batchMinWaitMs: 5,
      ciRetries: 0,
      window: 'adaptive',
      optimistic: false,
    });
    expect(settings).not.toHaveProperty('style');
  });

  it('ignores what a rule does not set, and does not change the configuration', () => {
    const rule: QueueOverrideRule = { rule: 'p ci-retries=2', project: 'p', settings: { ciRetries: 2 } };
    const config: QueueConfig = { ...base, queueOverrides: [rule] };
    expect(queueSettingsFor(config, 'p', 'main')).toEqual({ ...DEFAULT_TRAIN_SETTINGS, ciRetries: 2 });
    expect(config.queueOverrides).toEqual([{ rule: 'p ci-retries=2', project: 'p', settings: { ciRetries: 2 } }]);
    expect(config.ciRetries).toBe(0);
  });
});
