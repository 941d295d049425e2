import path from 'node:path';
import { ConfigError, loadConfig, type LoadConfigInput } from '../../../src/config';
import { configError, useTempDir } from './tempDir';

const temp = useTempDir();

function load(argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  return loadConfig({ argv, env, cwd: temp.dir() });
}

describe('defaults', () => {
  it('applies every default when nothing is given', () => {
    const { config, sources, rest } = load();
    const { warnings } = load();
    expect(config).toEqual({
      useHttps: false,
      temporalNamespace: 'default',
      taskQueue: 'shepherd',
      apiHost: '127.0.0.1',
      apiPort: 3000,
      webhookMaxBodyBytes: 1024 * 1024,
      requireMergePermission: false,
      temporalPort: 7233,
      temporalUiPort: 8233,
      dataDir: path.join(temp.dir(), '.data'),
      ciTimeoutMs: 15 * 60_000,
      ciPollIntervalMs: 30_000,
      queueCheckIntervalMs: 600_000,
      mergeRequestPollIntervalMs: 120_000,
      gitTimeoutMs: 120_000,
      debug: false,
      // marge-bot's options, with marge-bot's defaults
      embargo: '',
      useMergeStrategy: false,
      rebaseRemotely: false,
      addTested: false,
      addPartOf: false,
      addReviewers: false,
      impersonateApprovers: false,
      mergeOrder: 'created_at',
      approvalResetTimeoutMs: 0,
      projectRegexp: '.*',
      branchRegexp: '.*',
      sourceBranchRegexp: '.*',
      cli: false,
      // queue modes: serial, as marge-bot, unless asked
      queueMode: 'serial',
      maxParallelPipelines: 4,
      maxBatchSize: 8,
      batchMinWaitMs: 0,
      ciRetries: 0,
      trainWindow: 'fixed',
      trainOptimistic: true,
      queueOverrides: [],
      backportLabel: 'backport-candidate',
      backportBranches: [],
      backportLabelPattern: '^backport (\\S+)$',
      backportMrLabels: [],
      backportMerge: false,
      backportConflicts: 'comment',
      // the monthly evidence report: off
      evidenceRepos: [],
      evidencePeople: [],
      evidenceCron: '0 4 1 * *',
      evidenceTimezone: 'UTC',
      evidenceIncludeMerges: false,
      evidenceConcurrency: 8,
      evidenceS3Key: 'evidences/{month}/{person}.zip',
      evidenceS3Region: 'us-east-1',
      evidenceGoogleTokenUrl: 'https://oauth2.googleapis.com/token',
      evidenceDriveUrl: 'https://www.googleapis.com/',
      evidenceSlackChannel: '#events',
      evidenceSlackAlertChannel: '#urgent',
      evidenceSlackUrl: 'https://slack.com/api/',
      bitbucketUrl: 'https://api.bitbucket.org/2.0',
      bitbucketTokenUrl: 'https://bitbucket.org/site/oauth2/access_token',
      githubUrl: 'https://api.github.com',
      batch: false,
      useNoFfBatches: false,
      useMergeCommitBatches: false,
      skipCiBatches: false,
    });
    expect(Object.values(sources).every((source) => source.from === 'default')).toBe(true);
    expect(rest).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('leaves optional options unset', () => {
    const { config } = load();
    expect(config.gitlabUrl).toBeUndefined();
    expect(config.authToken).toBeUndefined();
    expect(config.temporalAddress).toBeUndefined();
    expect(config.botName).toBeUndefined();
    expect(config.mergeLabel).toBeUndefined();
    expect(config.gitReferenceRepo).toBeUndefined();
    expect(config.maxCiTimeInMinutes).toBeUndefined();
  });

  it('uses process.cwd() when no cwd is given', () => {
    const { config } = loadConfig({ argv: [], env: {} });
    expect(config.dataDir).toBe(path.resolve(process.cwd(), '.data'));
  });
});

describe('precedence: flags > environment > config file > defaults', () => {
  const layers = {
    flag: ['--ci-timeout', '4min'],
    env: { SHEPHERD_CI_TIMEOUT: '3min' },
    file: 'ci-timeout: 2min\n',
  };

  it.each<[string, { flag?: boolean; env?: boolean; file?: boolean }, number, string]>([
    ['only the default', {}, 15, 'default'],
    ['config file over default', { file: true }, 2, 'file'],
    ['environment over config file', { env: true, file: true }, 3, 'env'],
    ['flag over environment and file', { flag: true, env: true, file: true }, 4, 'flag'],
    ['flag over config file', { flag: true, file: true }, 4, 'flag'],
    ['flag over environment', { flag: true, env: true }, 4, 'flag'],
    ['environment over default', { env: true }, 3, 'env'],
  ])('%s', (_title, given, minutes, from) => {
    const configFile = temp.write('shepherd.yml', given.file ? layers.file : '');
    const argv = ['--config-file', configFile, ...(given.flag ? layers.flag : [])];
    const { config, sources } = load(argv, given.env ? layers.env : {});
    expect(config.ciTimeoutMs).toBe(minutes * 60_000);
    expect(sources['ci-timeout'].from).toBe(from);
  });

  it('decides each option on its own', () => {
    temp.write('shepherd.yml', 'ci-timeout: 2min\napi-port: 4001\ntask-queue: from-file\n');
    const { config, sources } = load(['--config-file', 'shepherd.yml', '--ci-timeout=4min'], {
      SHEPHERD_API_PORT: '4002',
    });
    expect(config).toMatchObject({ ciTimeoutMs: 240_000, apiPort: 4002, taskQueue: 'from-file', debug: false });
    expect(sources['ci-timeout']).toEqual({ from: 'flag', detail: '--ci-timeout' });
    expect(sources['api-port']).toEqual({ from: 'env', detail: 'SHEPHERD_API_PORT' });
    expect(sources['task-queue']).toEqual({ from: 'file', detail: 'shepherd.yml' });
    expect(sources.debug).toEqual({ from: 'default' });
  });

  it('reads the config file named by SHEPHERD_CONFIG_FILE, relative to cwd', () => {
    temp.write('conf/env.yml', 'bot-name: From Env File\n');
    const loaded = load([], { SHEPHERD_CONFIG_FILE: 'conf/env.yml' });
    expect(loaded.config.botName).toBe('From Env File');
    expect(loaded.configFile).toEqual({
      path: path.join(temp.dir(), 'conf/env.yml'),
      source: { from: 'env', detail: 'SHEPHERD_CONFIG_FILE' },
    });
  });

  it('prefers --config-file over SHEPHERD_CONFIG_FILE', () => {
    temp.write('env.yml', 'bot-name: env\n');
    temp.write('flag.yml', 'bot-name: flag\n');
    const loaded = load(['--config-file=flag.yml'], { SHEPHERD_CONFIG_FILE: 'env.yml' });
    expect(loaded.config.botName).toBe('flag');
    expect(loaded.configFile?.source).toEqual({ from: 'flag', detail: '--config-file' });
  });
});

describe('flags', () => {
  it('accepts --name value and --name=value', () => {
    const { config } = load(['--gitlab-url', 'https://gitlab.example.com/', '--bot-name=Shepherd Bot']);
    expect(config.gitlabUrl).toBe('https://gitlab.example.com');
    expect(config.botName).toBe('Shepherd Bot');
  });

  it('keeps everything after the first = as the value', () => {
    expect(load(['--bot-name=a=b']).config.botName).toBe('a=b');
  });

  it.each<[string[], boolean]>([
    [['--debug'], true],
    [['--no-debug'], false],
    [['--debug=false'], false],
    [['--debug=true'], true],
    [['--debug=yes'], true],
    [['--debug=0'], false],
    [['--use-https'], true],
  ])('reads on/off flags %p', (argv, expected) => {
    const { config } = load(argv, { SHEPHERD_DEBUG: String(!expected), SHEPHERD_USE_HTTPS: String(!expected) });
    expect(argv[0]?.includes('https') ? config.useHttps : config.debug).toBe(expected);
  });

  it('records the flag as typed, including --no-', () => {
    expect(load(['--no-debug']).sources.debug).toEqual({ from: 'flag', detail: '--no-debug' });
  });

  it('lets the last of a repeated flag win', () => {
    expect(load(['--api-port', '1', '--api-port', '2']).config.apiPort).toBe(2);
  });

  it('hands positionals, --help and everything after -- back as rest', () => {
    const { rest, config } = load(['start', '--debug', 'now', '-5', '-', '--help', '-h', '--', '--api-port', '9']);
    expect(rest).toEqual(['start', 'now', '-5', '-', '--help', '-h', '--api-port', '9']);
    expect(config.debug).toBe(true);
    expect(config.apiPort).toBe(3000);
  });

  it('does not let an on/off flag swallow the next argument', () => {
    expect(load(['--debug', 'false']).rest).toEqual(['false']);
  });

  it.each([['--gitlab-url'], ['--gitlab-url', '--debug'], ['--config-file']])('needs a value after %p', (...argv) => {
    const error = configError(() => load(argv));
    expect(error.message).toContain(`${argv[0]} needs a value`);
  });

  it('suggests the closest option for an unknown flag', () => {
    expect(configError(() => load(['--ci-timout', '1m'])).message).toBe(
      'Unknown option --ci-timout. Did you mean --ci-timeout?',
    );
    expect(configError(() => load(['--gitlab_url=x'])).message).toContain('Did you mean --gitlab-url?');
    expect(configError(() => load(['--no-debgu'])).message).toContain('Did you mean --no-debug?');
  });

  it('names an unknown flag without a far-fetched suggestion', () => {
    const message = configError(() => load(['--frobnicate'])).message;
    expect(message).toContain('Unknown option --frobnicate.');
    expect(message).not.toContain('Did you mean');
  });

  it('treats unknown short options as errors', () => {
    expect(configError(() => load(['-x'])).message).toContain('Unknown option -x');
  });

  it('refuses --no- for options that take a value', () => {
    expect(configError(() => load(['--no-ci-timeout'])).message).toContain('--ci-timeout takes a value');
  });
});

describe('environment', () => {
  it.each<[string, boolean]>([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['no', false],
    ['YES', true],
    ['False', false],
  ])('reads SHEPHERD_DEBUG=%p', (value, expected) => {
    expect(load([], { SHEPHERD_DEBUG: value }).config.debug).toBe(expected);
  });

  it('maps every kind of value', () => {
    const { config } = load([], {
      SHEPHERD_GITLAB_URL: 'http://gitlab.local:8080',
      SHEPHERD_TEMPORAL_ADDRESS: 'temporal.example.com:7233',
      SHEPHERD_TEMPORAL_NAMESPACE: 'prod',
      SHEPHERD_TASK_QUEUE: 'q',
      SHEPHERD_API_HOST: '0.0.0.0',
      SHEPHERD_API_PORT: '0',
      SHEPHERD_TEMPORAL_PORT: '65535',
      SHEPHERD_TEMPORAL_UI_PORT: '8234',
      SHEPHERD_DATA_DIR: '/var/lib/shepherd',
      SHEPHERD_CI_POLL_INTERVAL: '10s',
      SHEPHERD_GIT_TIMEOUT: '5m',
      SHEPHERD_BOT_NAME: 'Shepherd',
    });
    expect(config).toMatchObject({
      gitlabUrl: 'http://gitlab.local:8080',
      temporalAddress: 'temporal.example.com:7233',
      temporalNamespace: 'prod',
      taskQueue: 'q',
      apiHost: '0.0.0.0',
      apiPort: 0,
      temporalPort: 65535,
      temporalUiPort: 8234,
      dataDir: '/var/lib/shepherd',
      ciPollIntervalMs: 10_000,
      gitTimeoutMs: 300_000,
      botName: 'Shepherd',
    });
  });

  it('treats empty variables as unset', () => {
    const { config, sources } = load([], { SHEPHERD_API_PORT: '', SHEPHERD_CONFIG_FILE: '' });
    expect(config.apiPort).toBe(3000);
    expect(sources['api-port'].from).toBe('default');
  });

  it('ignores variables that are not Shepherd options', () => {
    expect(() => load([], { SHEPHERD_SOMETHING_ELSE: 'x', PATH: '/bin' })).not.toThrow();
  });
});

describe('durations from every source', () => {
  it.each<[string, number]>([
    ['15min', 900_000],
    ['15m', 900_000],
    ['.25h', 900_000],
    ['0.5h', 1_800_000],
    ['900s', 900_000],
    ['150 s', 150_000],
    ['2d', 172_800_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['900', 900_000],
    ['15MIN', 900_000],
  ])('reads %p as %p ms from a flag, the environment and the config file', (text, ms) => {
    expect(load(['--ci-timeout', text]).config.ciTimeoutMs).toBe(ms);
    expect(load([], { SHEPHERD_CI_TIMEOUT: text }).config.ciTimeoutMs).toBe(ms);
    temp.write('d.yml', `ci-timeout: "${text}"\n`);
    expect(load(['--config-file', 'd.yml']).config.ciTimeoutMs).toBe(ms);
  });

  it('reads a YAML number as seconds', () => {
    temp.write('d.yml', 'git-timeout: 90\nci-poll-interval: 0.5\n');
    const { config } = load(['--config-file', 'd.yml']);
    expect(config.gitTimeoutMs).toBe(90_000);
    expect(config.ciPollIntervalMs).toBe(500);
  });

  it('refuses a zero duration', () => {
    const message = configError(() => load(['--ci-poll-interval', '0s'])).message;
    expect(message).toContain('Invalid ci-poll-interval from flag --ci-poll-interval: "0s" (it is zero)');
    expect(message).toContain('greater than zero');
  });
});

describe('bad values', () => {
  it('names the key, the environment variable, the value, and valid forms', () => {
    const error = configError(() => load([], { SHEPHERD_CI_TIMEOUT: '15 minutes later' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('ci-timeout');
    expect(error.message).toContain('from environment SHEPHERD_CI_TIMEOUT');
    expect(error.message).toContain('"15 minutes later"');
    expect(error.message).toContain('cannot read "later"');
    for (const form of ['15min', '900s', '.25h', '1h30m', '500ms']) expect(error.message).toContain(form);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('names the flag for a value given as a flag', () => {
    expect(configError(() => load(['--api-port', '70000'])).message).toBe(
      'Invalid api-port from flag --api-port: "70000". Expected a whole number from 0 to 65535.',
    );
  });

  it('names the config file as given', () => {
    temp.write('x.yml', 'use-https: maybe\n');
    expect(configError(() => load(['--config-file', './x.yml'])).message).toBe(
      'Invalid use-https from config file ./x.yml: "maybe". Expected one of true, false, yes, no, 1, 0.',
    );
  });

  it.each<[Record<string, string>, string]>([
    [{ SHEPHERD_API_PORT: '3000abc' }, 'whole number from 0 to 65535'],
    [{ SHEPHERD_API_PORT: '1e3' }, 'whole number from 0 to 65535'],
    [{ SHEPHERD_API_PORT: '-1' }, 'whole number from 0 to 65535'],
    [{ SHEPHERD_TEMPORAL_PORT: '3.5' }, 'whole number from 0 to 65535'],
    [{ SHEPHERD_GITLAB_URL: 'ftp://gitlab.example.com' }, 'http:// or https:// URL'],
    [{ SHEPHERD_GITLAB_URL: 'gitlab.example.com' }, 'http:// or https:// URL'],
    [{ SHEPHERD_TEMPORAL_ADDRESS: 'localhost' }, 'host:port'],
    [{ SHEPHERD_TEMPORAL_ADDRESS: 'http://localhost:7233' }, 'host:port'],
    [{ SHEPHERD_TEMPORAL_ADDRESS: 'localhost:99999' }, 'host:port'],
    [{ SHEPHERD_DEBUG: 'maybe' }, 'one of true, false, yes, no, 1, 0'],
    [{ SHEPHERD_GIT_TIMEOUT: '-5s' }, 'cannot be negative'],
  ])('rejects %p saying what is valid', (env, expected) => {
    const [variable] = Object.keys(env);
    const message = configError(() => load([], env)).message;
    expect(message).toContain(`from environment ${variable}`);
    expect(message).toContain(expected);
  });

  it('accepts IPv6 and IPv4 Temporal addresses', () => {
    expect(load([], { SHEPHERD_TEMPORAL_ADDRESS: '[::1]:7233' }).config.temporalAddress).toBe('[::1]:7233');
    expect(load([], { SHEPHERD_TEMPORAL_ADDRESS: '10.0.0.5:7233' }).config.temporalAddress).toBe('10.0.0.5:7233');
  });

  it('reports every bad value at once, one per line', () => {
    const error = configError(() => load(['--api-port=x'], { SHEPHERD_CI_TIMEOUT: 'soon' }));
    expect(error.problems).toHaveLength(2);
    // In the order --help lists the options.
    expect(error.message.split('\n')).toEqual([
      expect.stringContaining('Invalid ci-timeout from environment SHEPHERD_CI_TIMEOUT'),
      expect.stringContaining('Invalid api-port from flag --api-port'),
    ]);
  });

  it('refuses credentials in gitlab-url without repeating them', () => {
    const message = configError(() => load([], { SHEPHERD_GITLAB_URL: 'https://bot:glpat-hidden@gitlab.example.com' })).message;
    expect(message).toContain('without user name or password');
    expect(message).not.toContain('glpat-hidden');
  });

  it('shortens very long values', () => {
    const message = configError(() => load(['--temporal-address', 'x'.repeat(500)])).message;
    expect(message.length).toBeLessThan(400);
  });
});

describe('secrets', () => {
  it.each([
    ['--auth-token', 'glpat-flag-value'],
    ['--auth-token=glpat-flag-value'],
    ['--gitlab-webhook-secret', 'glpat-flag-value'],
  ])('refuses %p as a flag, says why and what to use, never echoes it', (...argv) => {
    const message = configError(() => load(argv)).message;
    const name = argv[0]?.replace(/=.*/, '').slice(2) ?? '';
    expect(message).toContain(`--${name} is refused on the command line`);
    expect(message).toContain('`ps`');
    expect(message).toContain(`SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`);
    expect(message).toContain(`--${name}-file FILE`);
    expect(message).toContain('config file');
    expect(message).not.toContain('glpat-flag-value');
  });

  it('accepts secrets from the environment', () => {
    const { config, sources } = load([], { SHEPHERD_AUTH_TOKEN: ' glpat-env \n', SHEPHERD_GITLAB_WEBHOOK_SECRET: 'hook' });
    expect(config.authToken).toBe('glpat-env');
    expect(config.gitlabWebhookSecret).toBe('hook');
    expect(sources['auth-token']).toEqual({ from: 'env', detail: 'SHEPHERD_AUTH_TOKEN' });
  });

  it('accepts secrets from the config file', () => {
    temp.write('s.yml', 'auth-token: glpat-yaml\ngitlab-webhook-secret: hook-yaml\n');
    const { config } = load(['--config-file', 's.yml']);
    expect(config.authToken).toBe('glpat-yaml');
    expect(config.gitlabWebhookSecret).toBe('hook-yaml');
  });

  it('reads *-file options relative to cwd, trimmed', () => {
    temp.write('secrets/token', '  glpat-from-file\n\n');
    temp.write('secrets/hook', 'hook-from-file\n');
    const { config, sources } = load(['--auth-token-file', 'secrets/token'], {
      SHEPHERD_GITLAB_WEBHOOK_SECRET_FILE: 'secrets/hook',
    });
    const tokenPath = path.join(temp.dir(), 'secrets/token');
    expect(config.authToken).toBe('glpat-from-file');
    expect(config.authTokenFile).toBe(tokenPath);
    expect(config.gitlabWebhookSecret).toBe('hook-from-file');
    expect(sources['auth-token']).toEqual({ from: 'secret-file', detail: tokenPath });
    expect(sources['auth-token-file']).toEqual({ from: 'flag', detail: '--auth-token-file' });
  });

  it('reads a *-file option given in the config file', () => {
    temp.write('token', 'glpat-x\n');
    temp.write('c.yml', 'auth-token-file: token\n');
    expect(load(['--config-file', 'c.yml']).config.authToken).toBe('glpat-x');
  });

  it('names the key and source of a missing secret file', () => {
    const message = configError(() => load([], { SHEPHERD_AUTH_TOKEN_FILE: 'nope/token' })).message;
    expect(message).toBe(
      `auth-token-file from environment SHEPHERD_AUTH_TOKEN_FILE: cannot read ${path.join(temp.dir(), 'nope/token')}: no such file.`,
    );
  });

  it('refuses an empty secret file', () => {
    temp.write('empty', '\n  \n');
    expect(configError(() => load(['--gitlab-webhook-secret-file', 'empty'])).message).toContain('is empty');
  });

  it('refuses a directory as a secret file', () => {
    expect(configError(() => load(['--auth-token-file', '.'])).message).toContain('auth-token-file from flag');
  });

  it('refuses a secret and its -file option from the same source', () => {
    temp.write('token', 't');
    expect(configError(() => load([], { SHEPHERD_AUTH_TOKEN: 'a', SHEPHERD_AUTH_TOKEN_FILE: 'token' })).message).toBe(
      'Both auth-token (from environment SHEPHERD_AUTH_TOKEN) and auth-token-file (from environment SHEPHERD_AUTH_TOKEN_FILE) are set; set only one of them.',
    );
    temp.write('both.yml', 'gitlab-webhook-secret: a\ngitlab-webhook-secret-file: token\n');
    expect(configError(() => load(['--config-file', 'both.yml'])).message).toContain(
      'Both gitlab-webhook-secret (from config file both.yml) and gitlab-webhook-secret-file (from config file both.yml)',
    );
  });

  it('lets a secret from a higher source beat a -file option from a lower one, without reading the file', () => {
    temp.write('c.yml', 'auth-token-file: does-not-exist\n');
    const { config, sources } = load(['--config-file', 'c.yml'], { SHEPHERD_AUTH_TOKEN: 'glpat-env' });
    expect(config.authToken).toBe('glpat-env');
    expect(config.authTokenFile).toBeUndefined();
    expect(sources['auth-token-file']).toEqual({
      from: 'file',
      detail: 'c.yml',
      ignored: 'auth-token from environment SHEPHERD_AUTH_TOKEN takes precedence',
    });
  });

  it('lets a -file option from a higher source beat a secret from a lower one', () => {
    temp.write('token', 'glpat-file');
    const { config, sources } = load(['--auth-token-file', 'token'], { SHEPHERD_AUTH_TOKEN: 'glpat-env' });
    expect(config.authToken).toBe('glpat-file');
    expect(sources['auth-token'].from).toBe('secret-file');
  });

  it('never shows a bad secret value', () => {
    temp.write('s.yml', 'auth-token: 123456789\n');
    const message = configError(() => load(['--config-file', 's.yml'])).message;
    expect(message).toContain('Invalid auth-token from config file s.yml');
    expect(message).toContain('secret value not shown');
    expect(message).not.toContain('123456789');
  });
});

describe('ssh-key-file', () => {
  it('is resolved against cwd and checked, not read', () => {
    temp.write('keys/id_ed25519', 'PRIVATE KEY');
    const { config } = load(['--ssh-key-file', 'keys/id_ed25519']);
    expect(config.sshKeyFile).toBe(path.join(temp.dir(), 'keys/id_ed25519'));
  });

  it('names the key when the file is missing', () => {
    const message = configError(() => load([], { SHEPHERD_SSH_KEY_FILE: 'missing' })).message;
    expect(message).toBe(
      `ssh-key-file from environment SHEPHERD_SSH_KEY_FILE: cannot read ${path.join(temp.dir(), 'missing')}: no such file.`,
    );
  });

  it('refuses a directory', () => {
    expect(configError(() => load(['--ssh-key-file', '.'])).message).toContain('it is a directory');
  });
});

describe('config file', () => {
  it('accepts YAML booleans, numbers and strings', () => {
    temp.write('c.yml', 'use-https: true\napi-port: 4000\nbot-name: 42\ngitlab-url: "https://gitlab.example.com"\n');
    const { config } = load(['--config-file', 'c.yml']);
    expect(config).toMatchObject({ useHttps: true, apiPort: 4000, botName: '42', gitlabUrl: 'https://gitlab.example.com' });
  });

  it('treats an empty value as unset and an empty file as no options', () => {
    temp.write('c.yml', 'bot-name:\n');
    temp.write('empty.yml', '');
    expect(load(['--config-file', 'c.yml']).config.botName).toBeUndefined();
    expect(load(['--config-file', 'empty.yml']).config.apiPort).toBe(3000);
  });

  it('names unknown keys and suggests the closest option', () => {
    temp.write('c.yml', 'ci_timeout: 5m\ngitlab-ur1: https://x\nfrobnicate: 1\n');
    const error = configError(() => load(['--config-file', 'c.yml']));
    expect(error.problems).toEqual([
      'Unknown key ci_timeout in config file c.yml. Did you mean ci-timeout?',
      'Unknown key gitlab-ur1 in config file c.yml. Did you mean gitlab-url?',
      'Unknown key frobnicate in config file c.yml.',
    ]);
  });

  it('refuses config-file inside a config file', () => {
    temp.write('c.yml', 'config-file: other.yml\n');
    expect(configError(() => load(['--config-file', 'c.yml'])).message).toContain('only works as --config-file');
  });

  it('refuses lists and mappings as values', () => {
    temp.write('c.yml', 'bot-name: [a, b]\ntask-queue: {a: 1}\n');
    expect(configError(() => load(['--config-file', 'c.yml'])).problems).toEqual([
      'bot-name from config file c.yml must be a single value, not a list.',
      'task-queue from config file c.yml must be a single value, not a mapping.',
    ]);
  });

  it('refuses a file that is not a mapping', () => {
    temp.write('c.yml', '- a\n- b\n');
    expect(configError(() => load(['--config-file', 'c.yml'])).message).toContain('must be a YAML mapping');
  });

  it('reports YAML syntax errors without quoting the file', () => {
    temp.write('c.yml', 'auth-token: "glpat-unterminated\nbot-name: x\n');
    const message = configError(() => load(['--config-file', 'c.yml'])).message;
    expect(message).toContain('Config file c.yml is not valid YAML');
    expect(message).toContain('line');
    expect(message).not.toContain('glpat-unterminated');
  });

  it('refuses duplicate keys', () => {
    temp.write('c.yml', 'bot-name: a\nbot-name: b\n');
    expect(configError(() => load(['--config-file', 'c.yml'])).message).toContain('not valid YAML');
  });

  it('names config-file and its source when the file is missing', () => {
    const message = configError(() => load([], { SHEPHERD_CONFIG_FILE: 'absent.yml' })).message;
    expect(message).toBe(
      `config-file from environment SHEPHERD_CONFIG_FILE: cannot read ${path.join(temp.dir(), 'absent.yml')}: no such file.`,
    );
  });

  it('resolves data-dir from the file against cwd, not the file location', () => {
    temp.write('conf/c.yml', 'data-dir: state\n');
    expect(load(['--config-file', 'conf/c.yml']).config.dataDir).toBe(path.join(temp.dir(), 'state'));
  });
});

describe('webhook-max-body', () => {
  it.each<[string, number]>([
    ['1mb', 1024 * 1024],
    ['512kb', 512 * 1024],
    ['2048', 2048],
    ['1.5mb', 1.5 * 1024 * 1024],
    ['64 KB', 64 * 1024],
    ['1MiB', 1024 * 1024],
    ['1gb', 1024 ** 3],
  ])('reads %p as %p bytes', (text, bytes) => {
    expect(load(['--webhook-max-body', text]).config.webhookMaxBodyBytes).toBe(bytes);
  });

  it('is a ShepherdConfig field in bytes, settable from every source', () => {
    expect(load([], { SHEPHERD_WEBHOOK_MAX_BODY: '256kb' }).config.webhookMaxBodyBytes).toBe(256 * 1024);
    temp.write('c.yml', 'webhook-max-body: 4096\n');
    const loaded = load(['--config-file', 'c.yml']);
    expect(loaded.config.webhookMaxBodyBytes).toBe(4096);
    expect(loaded.sources['webhook-max-body']).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it.each<[string, string]>([
    ['lots', 'Expected a size from 1kb to 1gb'],
    ['1tb', 'unknown unit "tb"'],
    ['10.5', 'bytes must be a whole number'],
    ['100', 'it is below 1kb'],
    ['2gb', 'it is above 1gb'],
    ['-1mb', 'Expected a size from 1kb to 1gb'],
  ])('refuses %p naming the key and why', (text, why) => {
    const message = configError(() => load([], { SHEPHERD_WEBHOOK_MAX_BODY: text })).message;
    expect(message).toContain(`Invalid webhook-max-body from environment SHEPHERD_WEBHOOK_MAX_BODY: ${JSON.stringify(text)}`);
    expect(message).toContain(why);
    expect(message).toContain('e.g. 1mb, 512kb');
  });
});

describe('require-merge-permission', () => {
  it('is off by default and can be turned on from every source', () => {
    expect(load().config.requireMergePermission).toBe(false);
    expect(load(['--require-merge-permission']).config.requireMergePermission).toBe(true);
    expect(load([], { SHEPHERD_REQUIRE_MERGE_PERMISSION: 'yes' }).config.requireMergePermission).toBe(true);
    temp.write('c.yml', 'require-merge-permission: true\n');
    expect(load(['--config-file', 'c.yml', '--no-require-merge-permission']).config.requireMergePermission).toBe(false);
    expect(load(['--config-file', 'c.yml']).config.requireMergePermission).toBe(true);
  });

  it('refuses a value that is not a boolean, naming the key', () => {
    expect(configError(() => load([], { SHEPHERD_REQUIRE_MERGE_PERMISSION: 'maintainers' })).message).toBe(
      'Invalid require-merge-permission from environment SHEPHERD_REQUIRE_MERGE_PERMISSION: "maintainers". Expected one of true, false, yes, no, 1, 0.',
    );
  });
});
