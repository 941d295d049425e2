import {
  MERGE_ORDERS,
  OPTION_GROUPS,
  OPTION_NAMES,
  configKey,
  configSchema,
  envVarName,
  loadConfig,
  optionMeta,
  optionRegExp,
} from '../../../src/config';

describe('configSchema', () => {
  it('has valid defaults, written like user input', () => {
    expect(configSchema.parse({})).toMatchObject({ 'ci-timeout': 900_000, 'git-timeout': 120_000, 'api-port': 3000 });
    for (const name of OPTION_NAMES) {
      const { default: raw } = optionMeta(name);
      if (raw !== undefined) expect(configSchema.shape[name].safeParse(raw).success).toBe(true);
    }
  });

  it('gives every option a kind and a one-line help text', () => {
    for (const name of OPTION_NAMES) {
      const meta = optionMeta(name);
      expect(['string', 'url', 'int', 'bool', 'duration', 'size', 'secret', 'file', 'dir', 'enum', 'regexp', 'list']).toContain(meta.kind);
      expect(meta.help).toMatch(/^\S.*\.$/);
      expect(meta.help).not.toContain('\n');
    }
  });

  it('marks exactly the credentials as secret', () => {
    const secrets = [
      'auth-token',
      'gitlab-webhook-secret',
      'ssh-key',
      'smtp-url',
      'evidence-s3-access-key-id',
      'evidence-s3-secret-access-key',
      'evidence-google-client-secret',
      'evidence-google-refresh-token',
      'evidence-slack-token',
      'bitbucket-oauth-key',
      'bitbucket-oauth-secret',
      'github-token',
    ];
    expect(OPTION_NAMES.filter((name) => optionMeta(name).secret)).toEqual(secrets);
    expect(OPTION_NAMES.filter((name) => optionMeta(name).kind === 'secret')).toEqual(secrets);
  });

  it('declares the options of the brief', () => {
    expect([...OPTION_NAMES].sort()).toEqual(
      [
        'gitlab-url',
        'auth-token',
        'auth-token-file',
        'gitlab-webhook-secret',
        'gitlab-webhook-secret-file',
        'use-https',
        'ssh-key',
        'ssh-key-file',
        'temporal-address',
        'temporal-namespace',
        'task-queue',
        'api-host',
        'api-port',
        'temporal-port',
        'temporal-ui-port',
        'data-dir',
        'ci-timeout',
        'ci-poll-interval',
        'git-timeout',
        'debug',
        'bot-name',
        'merge-label',
        'priority-label',
        'webhook-max-body',
        'require-merge-permission',
        // marge-bot's options
        'embargo',
        'use-merge-strategy',
        'rebase-remotely',
        'add-tested',
        'batch',
        'add-part-of',
        'add-reviewers',
        'impersonate-approvers',
        'merge-order',
        'approval-reset-timeout',
        'project-regexp',
        'queue-check-interval',
        'merge-request-poll-interval',
        'max-ci-time-in-minutes',
        'git-reference-repo',
        'branch-regexp',
        'source-branch-regexp',
        'cli',
        'use-no-ff-batches',
        'use-merge-commit-batches',
        'skip-ci-batches',
        // queue modes
        'queue-mode',
        'max-parallel-pipelines',
        'max-batch-size',
        'batch-min-wait',
        'ci-retries',
        'train-window',
        'train-optimistic',
        'queue-overrides',
        // backports
        'backport-label',
        'backport-branches',
        'backport-label-pattern',
        'backport-mr-labels',
        'backport-merge',
        'backport-conflicts',
        'admin-email',
        'smtp-url',
        'smtp-url-file',
        // the monthly evidence report
        'evidence-repos',
        'evidence-people',
        'evidence-cron',
        'evidence-timezone',
        'evidence-include-merges',
        'evidence-concurrency',
        'evidence-s3-bucket',
        'evidence-s3-key',
        'evidence-s3-endpoint',
        'evidence-s3-region',
        'evidence-s3-access-key-id',
        'evidence-s3-access-key-id-file',
        'evidence-s3-secret-access-key',
        'evidence-s3-secret-access-key-file',
        'evidence-drive-folder',
        'evidence-google-client-id',
        'evidence-google-client-secret',
        'evidence-google-client-secret-file',
        'evidence-google-refresh-token',
        'evidence-google-refresh-token-file',
        'evidence-google-token-url',
        'evidence-drive-url',
        'evidence-slack-token',
        'evidence-slack-token-file',
        'evidence-slack-channel',
        'evidence-slack-alert-channel',
        'evidence-slack-url',
        'bitbucket-url',
        'bitbucket-token-url',
        'bitbucket-oauth-key',
        'bitbucket-oauth-key-file',
        'bitbucket-oauth-secret',
        'bitbucket-oauth-secret-file',
        'github-url',
        'github-token',
        'github-token-file',
      ].sort(),
    );
  });

  it('has marge-bot defaults for marge-bot options', () => {
    expect(configSchema.parse({})).toMatchObject({
      embargo: '',
      'merge-order': 'created_at',
      'approval-reset-timeout': 0,
      'project-regexp': '.*',
      'branch-regexp': '.*',
      'source-branch-regexp': '.*',
      'ci-timeout': 900_000,
      'git-timeout': 120_000,
    });
    expect(MERGE_ORDERS).toEqual(['created_at', 'updated_at', 'assigned_at']);
  });

  it('groups every option exactly once, in schema order', () => {
    expect(OPTION_GROUPS.flatMap((group) => group.options)).toEqual(OPTION_NAMES);
  });
});

describe('optionRegExp', () => {
  it('anchors at the start only, like marge-bot', () => {
    expect(optionRegExp('some_group/').test('some_group/project')).toBe(true);
    expect(optionRegExp('project').test('some_group/project')).toBe(false);
    expect(optionRegExp('(?!exclude/me)').test('exclude/me')).toBe(false);
    expect(optionRegExp('(?!exclude/me)').test('include/me')).toBe(true);
    expect(optionRegExp('a|b').test('xb')).toBe(false);
  });
});

describe('names', () => {
  it('derives environment variables in upper snake case', () => {
    expect(envVarName('ci-poll-interval')).toBe('SHEPHERD_CI_POLL_INTERVAL');
    expect(envVarName('debug')).toBe('SHEPHERD_DEBUG');
  });

  it('maps each option to exactly one ShepherdConfig field, durations in Ms, sizes in Bytes', () => {
    expect(configKey('ci-timeout')).toBe('ciTimeoutMs');
    expect(configKey('webhook-max-body')).toBe('webhookMaxBodyBytes');
    expect(configKey('require-merge-permission')).toBe('requireMergePermission');
    expect(configKey('gitlab-webhook-secret-file')).toBe('gitlabWebhookSecretFile');
    const fields = Object.keys(loadConfig({ argv: [], env: {} }).config);
    expect(new Set(OPTION_NAMES.map(configKey))).toEqual(new Set(fields));
  });
});
