// The monthly evidence report's options: defaults, each from every source, the list forms of
// repositories and people, each refusal naming the key and what is valid, the secrets kept
// secret, and what the report needs once evidence-repos turns it on.

import path from 'node:path';
import {
  OPTION_GROUPS,
  configSchema,
  describeConfig,
  loadConfig,
  optionHelp,
  type LoadConfigInput,
  type OptionName,
  type ShepherdConfig,
} from '../../../src/config';
import { configError, useTempDir } from './tempDir';

const temp = useTempDir();

function load(argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  return loadConfig({ argv, env, cwd: temp.dir() });
}

function loadYaml(yaml: string, argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  temp.write('c.yml', yaml);
  return load(['--config-file', 'c.yml', ...argv], env);
}

function variable(name: string): string {
  return `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
}

const EVIDENCE_OPTIONS = [
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
] as const satisfies readonly OptionName[];

/** Each secret, its `*-file` option, its ShepherdConfig fields, and a value a careless message might show. */
const SECRETS: ReadonlyArray<readonly [OptionName, OptionName, keyof ShepherdConfig, keyof ShepherdConfig, string]> = [
  ['evidence-s3-access-key-id', 'evidence-s3-access-key-id-file', 'evidenceS3AccessKeyId', 'evidenceS3AccessKeyIdFile', 'AKIAVERYSECRETKEYID1'],
  ['evidence-s3-secret-access-key', 'evidence-s3-secret-access-key-file', 'evidenceS3SecretAccessKey', 'evidenceS3SecretAccessKeyFile', 's3-Sup3r-s3cret-key'],
  ['evidence-google-client-secret', 'evidence-google-client-secret-file', 'evidenceGoogleClientSecret', 'evidenceGoogleClientSecretFile', 'GOCSPX-client-s3cret'],
  ['evidence-google-refresh-token', 'evidence-google-refresh-token-file', 'evidenceGoogleRefreshToken', 'evidenceGoogleRefreshTokenFile', '1//refresh-t0ken-s3cret'],
  ['evidence-slack-token', 'evidence-slack-token-file', 'evidenceSlackToken', 'evidenceSlackTokenFile', 'xoxb-slack-t0ken-s3cret'],
  ['bitbucket-oauth-key', 'bitbucket-oauth-key-file', 'bitbucketOauthKey', 'bitbucketOauthKeyFile', 'bb-oauth-k3y-s3cret'],
  ['bitbucket-oauth-secret', 'bitbucket-oauth-secret-file', 'bitbucketOauthSecret', 'bitbucketOauthSecretFile', 'bb-oauth-s3cret-value'],
  ['github-token', 'github-token-file', 'githubToken', 'githubTokenFile', 'ghp_github-t0ken-s3cret'],
];

const PEOPLE = 'Ana García <ana@example.com> ana.g, ana@old.example.com; Joan Puig <joan@example.com>';
const ANA = { name: 'Ana García', email: 'ana@example.com', aliases: ['ana.g', 'ana@old.example.com'] };
const JOAN = { name: 'Joan Puig', email: 'joan@example.com', aliases: [] };

/** Everything the report needs for repositories of every forge, and an S3 bucket to put zips in. */
const READY: LoadConfigInput['env'] = {
  SHEPHERD_EVIDENCE_PEOPLE: PEOPLE,
  SHEPHERD_EVIDENCE_S3_BUCKET: 'evidence-bucket',
  SHEPHERD_BITBUCKET_OAUTH_KEY: 'bb-key',
  SHEPHERD_BITBUCKET_OAUTH_SECRET: 'bb-secret',
  SHEPHERD_GITLAB_URL: 'https://gitlab.example.com',
  SHEPHERD_AUTH_TOKEN: 'glpat-token',
  SHEPHERD_GITHUB_TOKEN: 'ghp_token',
};

const ALL_FORGES = 'bitbucket:team/api gitlab:group/sub/app github:owner/repo';

describe('defaults', () => {
  it('leave the report off, with the seed schedule and the public services', () => {
    const { config, sources, warnings } = load();
    expect(config).toMatchObject({
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
    });
    for (const field of [
      'evidenceS3Bucket',
      'evidenceS3Endpoint',
      'evidenceDriveFolder',
      'evidenceGoogleClientId',
      ...SECRETS.flatMap(([, , secret, file]) => [secret, file]),
    ] as const) {
      expect(config[field]).toBeUndefined();
    }
    for (const name of EVIDENCE_OPTIONS) expect(sources[name]).toEqual({ from: 'default' });
    expect(warnings).toEqual([]);
  });

  it('lists the options in one group, Monthly evidence report, in order', () => {
    expect(OPTION_GROUPS.find((group) => group.title === 'Monthly evidence report')?.options).toEqual(EVIDENCE_OPTIONS);
  });

  it('documents each option in --help with its variable and default', () => {
    const help = optionHelp();
    expect(help).toContain('\nMonthly evidence report:\n');
    expect(help).toContain('--evidence-repos FORGE:PATH[,..]');
    expect(help).toContain('[env SHEPHERD_EVIDENCE_REPOS] (default: none)');
    expect(help).toContain('--evidence-people PEOPLE');
    expect(help).toContain('[env SHEPHERD_EVIDENCE_CRON] (default: 0 4 1 * *)');
    expect(help).toContain('[env SHEPHERD_EVIDENCE_TIMEZONE] (default: UTC)');
    expect(help).toContain('--evidence-include-merges, --no-evidence-include-merges');
    expect(help).toContain('[env SHEPHERD_EVIDENCE_CONCURRENCY] (default: 8)');
    expect(help).toContain('[env SHEPHERD_EVIDENCE_S3_KEY] (default: evidences/{month}/{person}.zip)');
    expect(help).toContain('[env SHEPHERD_BITBUCKET_URL] (default: https://api.bitbucket.org/2.0)');
    expect(help).toContain('[env SHEPHERD_GITHUB_URL] (default: https://api.github.com)');
    for (const [secret, file] of SECRETS) {
      expect(help).toMatch(new RegExp(`--${secret} [A-Z]+ \\(not as a flag\\)`));
      expect(help).toContain(`--${file} FILE`);
    }
    // What happens without the optional credentials.
    expect(help).toContain("without both the AWS SDK's default credential chain applies");
    expect(help).toContain('without it the summary is only logged and printed');
  });
});

describe('each option from every source', () => {
  it.each<[OptionName, keyof ShepherdConfig, string, unknown]>([
    ['evidence-people', 'evidencePeople', PEOPLE, [ANA, JOAN]],
    ['evidence-cron', 'evidenceCron', '30 6 1 * *', '30 6 1 * *'],
    ['evidence-timezone', 'evidenceTimezone', 'Europe/Madrid', 'Europe/Madrid'],
    ['evidence-concurrency', 'evidenceConcurrency', '16', 16],
    ['evidence-s3-bucket', 'evidenceS3Bucket', 'my-bucket', 'my-bucket'],
    ['evidence-s3-key', 'evidenceS3Key', 'zips/{person}-{month}.zip', 'zips/{person}-{month}.zip'],
    ['evidence-s3-endpoint', 'evidenceS3Endpoint', 'http://127.0.0.1:4569', 'http://127.0.0.1:4569'],
    ['evidence-s3-region', 'evidenceS3Region', 'eu-west-1', 'eu-west-1'],
    ['evidence-drive-folder', 'evidenceDriveFolder', '1AbCdEfGhIjK', '1AbCdEfGhIjK'],
    ['evidence-google-client-id', 'evidenceGoogleClientId', '123.apps.googleusercontent.com', '123.apps.googleusercontent.com'],
    ['evidence-google-token-url', 'evidenceGoogleTokenUrl', 'http://127.0.0.1:9000/token', 'http://127.0.0.1:9000/token'],
    ['evidence-drive-url', 'evidenceDriveUrl', 'http://127.0.0.1:9000/', 'http://127.0.0.1:9000/'],
    ['evidence-slack-channel', 'evidenceSlackChannel', '#evidence', '#evidence'],
    ['evidence-slack-alert-channel', 'evidenceSlackAlertChannel', 'C0123456789', 'C0123456789'],
    ['evidence-slack-url', 'evidenceSlackUrl', 'http://127.0.0.1:9000/api/', 'http://127.0.0.1:9000/api/'],
    ['bitbucket-url', 'bitbucketUrl', 'http://127.0.0.1:9000/2.0', 'http://127.0.0.1:9000/2.0'],
    ['bitbucket-token-url', 'bitbucketTokenUrl', 'http://127.0.0.1:9000/site/oauth2/access_token', 'http://127.0.0.1:9000/site/oauth2/access_token'],
    ['github-url', 'githubUrl', 'https://github.example.com/api/v3', 'https://github.example.com/api/v3'],
  ])('%s reads %p from a flag, the environment and the config file', (name, field, text, value) => {
    const byFlag = load([`--${name}`, text]);
    expect(byFlag.config[field]).toEqual(value);
    expect(byFlag.sources[name]).toEqual({ from: 'flag', detail: `--${name}` });
    expect(load([`--${name}=${text}`]).config[field]).toEqual(value);

    const byEnv = load([], { [variable(name)]: text });
    expect(byEnv.config[field]).toEqual(value);
    expect(byEnv.sources[name]).toEqual({ from: 'env', detail: variable(name) });

    const byFile = loadYaml(`${name}: ${JSON.stringify(text)}\n`);
    expect(byFile.config[field]).toEqual(value);
    expect(byFile.sources[name]).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('reads evidence-repos from a flag, the environment and the config file', () => {
    const repos = [
      { id: 'bitbucket:team/api', forge: 'bitbucket', path: 'team/api' },
      { id: 'gitlab:group/sub/app', forge: 'gitlab', path: 'group/sub/app' },
      { id: 'github:owner/repo', forge: 'github', path: 'owner/repo' },
    ];
    const byFlag = load(['--evidence-repos', ALL_FORGES], READY);
    expect(byFlag.config.evidenceRepos).toEqual(repos);
    expect(byFlag.sources['evidence-repos']).toEqual({ from: 'flag', detail: '--evidence-repos' });

    const byEnv = load([], { ...READY, SHEPHERD_EVIDENCE_REPOS: ALL_FORGES });
    expect(byEnv.config.evidenceRepos).toEqual(repos);
    expect(byEnv.sources['evidence-repos']).toEqual({ from: 'env', detail: 'SHEPHERD_EVIDENCE_REPOS' });

    const byFile = loadYaml(`evidence-repos: ${JSON.stringify(ALL_FORGES)}\n`, [], READY);
    expect(byFile.config.evidenceRepos).toEqual(repos);
    expect(byFile.sources['evidence-repos']).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('reads evidence-include-merges, an on/off option, from a flag, the environment and the config file', () => {
    expect(load(['--evidence-include-merges']).config.evidenceIncludeMerges).toBe(true);
    expect(load(['--no-evidence-include-merges'], { SHEPHERD_EVIDENCE_INCLUDE_MERGES: 'yes' }).config.evidenceIncludeMerges).toBe(false);
    const byEnv = load([], { SHEPHERD_EVIDENCE_INCLUDE_MERGES: 'true' });
    expect(byEnv.config.evidenceIncludeMerges).toBe(true);
    expect(byEnv.sources['evidence-include-merges']).toEqual({ from: 'env', detail: 'SHEPHERD_EVIDENCE_INCLUDE_MERGES' });
    expect(loadYaml('evidence-include-merges: true\n').config.evidenceIncludeMerges).toBe(true);
  });

  it('reads YAML numbers as people write them', () => {
    expect(loadYaml('evidence-concurrency: 4\n').config.evidenceConcurrency).toBe(4);
  });

  it('lets a higher source win, option by option', () => {
    const { config, sources } = loadYaml(
      'evidence-cron: "0 1 1 * *"\nevidence-timezone: Europe/Madrid\nevidence-concurrency: 2\n',
      ['--evidence-cron', '0 3 1 * *'],
      { SHEPHERD_EVIDENCE_CRON: '0 2 1 * *', SHEPHERD_EVIDENCE_TIMEZONE: 'America/New_York' },
    );
    expect(config).toMatchObject({ evidenceCron: '0 3 1 * *', evidenceTimezone: 'America/New_York', evidenceConcurrency: 2 });
    expect(sources['evidence-cron']).toEqual({ from: 'flag', detail: '--evidence-cron' });
    expect(sources['evidence-timezone']).toEqual({ from: 'env', detail: 'SHEPHERD_EVIDENCE_TIMEZONE' });
    expect(sources['evidence-concurrency']).toEqual({ from: 'file', detail: 'c.yml' });
  });
});

describe('the secrets', () => {
  it.each(SECRETS)('%s is refused as a flag, saying what to use instead and never echoing it', (secret, file, _field, _fileField, value) => {
    for (const argv of [[`--${secret}`, value], [`--${secret}=${value}`]]) {
      const message = configError(() => load(argv)).message;
      expect(message).toContain(`--${secret} is refused on the command line`);
      expect(message).toContain(variable(secret));
      expect(message).toContain(`--${file} FILE`);
      expect(message).not.toContain(value);
    }
  });

  it.each(SECRETS)('%s is read from the environment and the config file, trimmed', (secret, _file, field, _fileField, value) => {
    const byEnv = load([], { [variable(secret)]: ` ${value}\n` });
    expect(byEnv.config[field]).toBe(value);
    expect(byEnv.sources[secret]).toEqual({ from: 'env', detail: variable(secret) });
    expect(loadYaml(`${secret}: ${JSON.stringify(value)}\n`).config[field]).toBe(value);
  });

  it.each(SECRETS)('%s is read from %s given as a flag, in the environment or in the config file', (secret, file, field, fileField, value) => {
    const absolute = temp.write(`secrets/${secret}`, `${value}\n\n`);
    for (const loaded of [
      load([`--${file}`, `secrets/${secret}`]),
      load([], { [variable(file)]: `secrets/${secret}` }),
      loadYaml(`${file}: secrets/${secret}\n`),
    ]) {
      expect(loaded.config[field]).toBe(value);
      expect(loaded.config[fileField]).toBe(absolute);
      expect(loaded.sources[secret]).toEqual({ from: 'secret-file', detail: path.join(temp.dir(), `secrets/${secret}`) });
    }
  });

  it('refuses a secret and its file from the same source', () => {
    temp.write('token', 'ghp_x');
    expect(configError(() => load([], { SHEPHERD_GITHUB_TOKEN: 'ghp_y', SHEPHERD_GITHUB_TOKEN_FILE: 'token' })).message).toBe(
      'Both github-token (from environment SHEPHERD_GITHUB_TOKEN) and github-token-file (from environment SHEPHERD_GITHUB_TOKEN_FILE) are set; set only one of them.',
    );
  });

  it('refuses an unreadable secret file, naming the option', () => {
    expect(configError(() => load(['--bitbucket-oauth-secret-file', 'missing'])).message).toBe(
      `bitbucket-oauth-secret-file from flag --bitbucket-oauth-secret-file: cannot read ${path.join(temp.dir(), 'missing')}: no such file.`,
    );
  });

  it('refuses a YAML number as a secret without showing it', () => {
    const message = configError(() => loadYaml('github-token: 123456789\n')).message;
    expect(message).toBe('Invalid github-token from config file c.yml: (secret value not shown). Expected a non-empty text.');
  });

  it('are masked by shepherd config, from the environment or from a file, and marked when unset', () => {
    const env = Object.fromEntries(SECRETS.map(([secret, , , , value]) => [variable(secret), value]));
    const fromEnv = describeConfig(load([], env));
    temp.write('token', 'ghp_github-t0ken-s3cret\n');
    const fromFile = describeConfig(load(['--github-token-file', 'token']));
    for (const output of [fromEnv, fromFile]) {
      for (const [, , , , value] of SECRETS) expect(output).not.toContain(value);
      expect(output).not.toMatch(/s3cret|t0ken/);
    }
    const lines = fromEnv.split('\n');
    for (const [secret] of SECRETS) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${secret}\\s+\\*\\*\\*\\*\\s+environment ${variable(secret)}$`)));
    }
    expect(fromFile.split('\n')).toContainEqual(
      expect.stringMatching(new RegExp(`^github-token\\s+\\*\\*\\*\\*\\s+file ${escape(path.join(temp.dir(), 'token'))}$`)),
    );
    expect(describeConfig(load()).split('\n')).toContainEqual(expect.stringMatching(/^evidence-slack-token\s+\(not set\)\s+default$/));
  });

  it('leave the other evidence options visible in shepherd config', () => {
    const lines = describeConfig(load(['--evidence-google-client-id', 'client-123', '--evidence-s3-bucket', 'bucket'])).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^evidence-google-client-id\s+client-123\s+flag --evidence-google-client-id$/));
    expect(lines).toContainEqual(expect.stringMatching(/^evidence-cron\s+0 4 1 \* \*\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^evidence-concurrency\s+8\s+default$/));
  });
});

describe('evidence-repos', () => {
  function repos(text: string): string[] {
    return load(['--evidence-repos', text], READY).config.evidenceRepos.map((repo) => repo.id);
  }

  it.each<[string, string[]]>([
    ['github:owner/repo', ['github:owner/repo']],
    ['bitbucket:team/api,github:owner/repo', ['bitbucket:team/api', 'github:owner/repo']],
    [' bitbucket:team/api ,\ngitlab:a/b/c/d  github:o/r.js ', ['bitbucket:team/api', 'gitlab:a/b/c/d', 'github:o/r.js']],
    ['github:o/r github:o/r,github:o/r', ['github:o/r']],
  ])('reads %p as %p: separated by commas and/or whitespace, in order, without repeats', (text, expected) => {
    expect(repos(text)).toEqual(expected);
  });

  it('takes a YAML list in the config file, one repository per item', () => {
    const { config } = loadYaml('evidence-repos:\n  - bitbucket:team/api\n  - gitlab:group/app\n', [], READY);
    expect(config.evidenceRepos).toEqual([
      { id: 'bitbucket:team/api', forge: 'bitbucket', path: 'team/api' },
      { id: 'gitlab:group/app', forge: 'gitlab', path: 'group/app' },
    ]);
  });

  it('accepts an empty value: the report is off', () => {
    expect(load(['--evidence-repos=']).config.evidenceRepos).toEqual([]);
    expect(configSchema.shape['evidence-repos'].parse([])).toEqual([]);
  });

  it.each<[string, string]>([
    ['team/api', 'expected <forge>:<path>, e.g. bitbucket:team/api, gitlab:group/app or github:owner/repo'],
    ['gitea:team/api', 'the forge "gitea" is not one of bitbucket, gitlab, github'],
    ['bitbucket:team', 'a Bitbucket path is workspace/repository'],
    ['bitbucket:team/api/x', 'a Bitbucket path is workspace/repository'],
    ['github:owner', 'a GitHub path is owner/repo'],
    ['gitlab:app', 'a GitLab path is group/project (subgroups allowed)'],
    ['github:owner/../x', 'the path has an empty or invalid part (letters, digits, ".", "_" and "-" only)'],
    ['gitlab:group//app', 'the path has an empty or invalid part (letters, digits, ".", "_" and "-" only)'],
  ])('refuses %p, naming the key, the entry and why', (entry, reason) => {
    const error = configError(() => load([], { ...READY, SHEPHERD_EVIDENCE_REPOS: `github:o/r,${entry}` }));
    expect(error.problems).toEqual([
      `Invalid evidence-repos from environment SHEPHERD_EVIDENCE_REPOS: repository ${JSON.stringify(entry)} (${reason}). ` +
        'Expected repositories separated by commas or spaces, each bitbucket:workspace/repo, gitlab:group/project (subgroups allowed) or github:owner/repo.',
    ]);
  });

  it('reports each bad entry once, on its own line', () => {
    const error = configError(() => load(['--evidence-repos', 'x github:o/r github:o gitea:a/b x'], READY));
    expect(error.problems.map((problem) => /repository (".*?")/.exec(problem)?.[1])).toEqual(['"x"', '"github:o"', '"gitea:a/b"']);
  });

  it('refuses a YAML item that is not text', () => {
    expect(configError(() => loadYaml('evidence-repos:\n  - 42\n')).message).toMatch(
      /^Invalid evidence-repos from config file c\.yml: repository 42 \(YAML read it as the number 42; quote it to keep it as written\)\./,
    );
  });

  it('shows the repositories in shepherd config', () => {
    const lines = describeConfig(load(['--evidence-repos', 'bitbucket:team/api github:o/r'], READY)).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^evidence-repos\s+bitbucket:team\/api, github:o\/r\s+flag --evidence-repos$/));
    expect(describeConfig(load()).split('\n')).toContainEqual(expect.stringMatching(/^evidence-repos\s+\(none\)\s+default$/));
  });
});

describe('evidence-people', () => {
  const EXPECTED =
    'Expected people separated by ";" or newlines, each "Name <email>" optionally followed by aliases (other emails or forge usernames) ' +
    'separated by commas or spaces, e.g. "Ana García <ana@example.com> ana.g, ana@old.example.com; Joan Puig <joan@example.com>"; ' +
    'in the config file also a list of such texts or of mappings with name, email and optionally aliases.';

  function people(text: string) {
    return load(['--evidence-people', text]).config.evidencePeople;
  }

  it.each<[string, unknown]>([
    [PEOPLE, [ANA, JOAN]],
    ['Ana García <ana@example.com>', [{ ...ANA, aliases: [] }]],
    ['Ana García<ana@example.com>ana.g', [{ ...ANA, aliases: ['ana.g'] }]],
    ['Ana García <ana@example.com>\nJoan Puig <joan@example.com>\n', [{ ...ANA, aliases: [] }, JOAN]],
    ['  Ana García <ana@example.com>  ana.g  ana@old.example.com ;; ', [ANA]],
    // Aliases repeating the email or each other are dropped.
    ['Ana García <ana@example.com> ana.g ANA.G ana@example.com', [{ ...ANA, aliases: ['ana.g'] }]],
    ['', []],
  ])('reads %p', (text, expected) => {
    expect(people(text)).toEqual(expected);
  });

  it('reads the same text from the environment and from a YAML string', () => {
    expect(load([], { SHEPHERD_EVIDENCE_PEOPLE: PEOPLE }).config.evidencePeople).toEqual([ANA, JOAN]);
    expect(loadYaml(`evidence-people: |\n  Ana García <ana@example.com> ana.g, ana@old.example.com\n  Joan Puig <joan@example.com>\n`).config.evidencePeople).toEqual([
      ANA,
      JOAN,
    ]);
  });

  it('takes a YAML list whose items are texts or mappings', () => {
    const { config } = loadYaml(
      [
        'evidence-people:',
        '  - Ana García <ana@example.com> ana.g, ana@old.example.com',
        '  - name: Joan Puig',
        '    email: joan@example.com',
        '  - name: Pere Vila',
        '    email: pere@example.com',
        '    aliases: [pvila, pere@old.example.com]',
        '  - { name: Marta, email: marta@example.com, aliases: "mrt, marta.r" }',
        '',
      ].join('\n'),
    );
    expect(config.evidencePeople).toEqual([
      ANA,
      JOAN,
      { name: 'Pere Vila', email: 'pere@example.com', aliases: ['pvila', 'pere@old.example.com'] },
      { name: 'Marta', email: 'marta@example.com', aliases: ['mrt', 'marta.r'] },
    ]);
  });

  it('still refuses mappings in the list of an option that takes names only, saying what an item should be', () => {
    expect(configError(() => loadYaml('backport-branches:\n  - name: main\n')).message).toMatch(
      /^Invalid backport-branches from config file c\.yml: a branch that is a YAML mapping \(each item must be one name\)\. Expected branch names/,
    );
    expect(() => loadYaml('evidence-cron:\n  - "0 4 1 * *"\n')).toThrow(/evidence-cron from config file c\.yml must be a single value, not a list/);
  });

  it.each<[string, string, string]>([
    ['no email', 'Ana García', 'person 1 "Ana García" (it has no <email>; write Name <email>)'],
    ['a bare email', 'ana@example.com', 'person 1 "ana@example.com" (it has no <email>; write Name <email>)'],
    ['no name', '<ana@example.com>', 'person 1 "<ana@example.com>" (it has no name before the <email>)'],
    ['a bad email', 'Ana <ana.example.com>', 'person 1 "Ana <ana.example.com>" ("ana.example.com" is not one email address, e.g. ana@example.com)'],
    ['an email with spaces', 'Ana <ana @example.com>', 'person 1 "Ana <ana @example.com>" ("ana @example.com" is not one email address, e.g. ana@example.com)'],
    [
      'two <emails>',
      'Ana <ana@example.com> <ana@old.example.com>',
      'person 1 "Ana <ana@example.com> <ana@old.example.com>" (expected exactly one <email>, after the name; other emails are aliases, written without <>)',
    ],
    ['an unclosed <', 'Ana <ana@example.com', 'person 1 "Ana <ana@example.com" (expected exactly one <email>, after the name; other emails are aliases, written without <>)'],
    ['a bad alias email', 'Ana <ana@example.com> ana@', 'person 1 "Ana <ana@example.com> ana@" (alias "ana@" is not one email address)'],
  ])('refuses %s, naming the key, the person and why', (_, text, shown) => {
    const error = configError(() => load([], { SHEPHERD_EVIDENCE_PEOPLE: text }));
    expect(error.problems).toEqual([`Invalid evidence-people from environment SHEPHERD_EVIDENCE_PEOPLE: ${shown}. ${EXPECTED}`]);
  });

  it('refuses an email or alias of two people, naming both', () => {
    const error = configError(() =>
      load(['--evidence-people', 'Ana García <ana@example.com> ana.g; Joan Puig <joan@example.com> ANA@example.com; Pere <pere@example.com> ana.g']),
    );
    expect(error.problems).toEqual([
      `Invalid evidence-people from flag --evidence-people: person 2 "Joan Puig <joan@example.com> ANA@example.com" ("ANA@example.com" is also an email or alias of person 1 "Ana García"). ${EXPECTED}`,
      `Invalid evidence-people from flag --evidence-people: person 3 "Pere <pere@example.com> ana.g" ("ana.g" is also an email or alias of person 1 "Ana García"). ${EXPECTED}`,
    ]);
  });

  it('refuses the same email twice, and the same name twice (the report files evidence by name)', () => {
    expect(configError(() => load(['--evidence-people', 'Ana <ana@example.com>; Anna <ana@example.com>'])).problems).toEqual([
      expect.stringContaining('person 2 "Anna <ana@example.com>" ("ana@example.com" is also an email or alias of person 1 "Ana")'),
    ]);
    expect(configError(() => load(['--evidence-people', 'Ana <ana@example.com>; ana <ana2@example.com>'])).problems).toEqual([
      expect.stringContaining(`person 2 "ana <ana2@example.com>" (person 1 "Ana" has the same name; the report files each person's evidence by name)`),
    ]);
  });

  it.each<[string, string, string]>([
    ['an unknown key', '  - { name: Ana, mail: ana@example.com }', 'person 1 "Ana" (it has the unknown key "mail"; a person has name, email and aliases)'],
    ['no name', '  - { email: ana@example.com }', 'person 1 (a mapping) (it has no name (a text))'],
    ['no email', '  - { name: Ana }', 'person 1 "Ana" (it has no email (a text))'],
    ['a bad email', '  - { name: Ana, email: ana }', 'person 1 "Ana" ("ana" is not one email address, e.g. ana@example.com)'],
    ['aliases as a mapping', '  - { name: Ana, email: ana@example.com, aliases: { a: 1 } }', 'person 1 "Ana" (its aliases must be a list, or a text separated by commas or spaces)'],
    ['an alias with a space', '  - { name: Ana, email: ana@example.com, aliases: ["ana g"] }', 'person 1 "Ana" (alias "ana g" contains " "; a username is one word)'],
    ['a numeric alias', '  - { name: Ana, email: ana@example.com, aliases: [1234] }', 'person 1 "Ana" (alias 1234: YAML read it as the number 1234; quote it to keep it as written)'],
    ['a name with <', '  - { name: "Ana <x>", email: ana@example.com }', 'person 1 "Ana <x>" (the name contains "<")'],
    ['two people in one item', '  - "Ana <ana@example.com>; Joan <joan@example.com>"', 'person 1 "Ana <ana@example.com>; Joan <joan@example.com>" (a list item is one person; give each person an item of its own)'],
    ['a number', '  - 42', 'person 1 (YAML read it as the number 42; quote it to keep it as written)'],
    ['a nested list', '  - [Ana, ana@example.com]', 'person 1 (each item must be one person: a text or a mapping with name, email and aliases)'],
  ])('refuses a YAML item with %s, naming the person and why', (_, item, shown) => {
    expect(configError(() => loadYaml(`evidence-people:\n${item}\n`)).problems).toEqual([`Invalid evidence-people from config file c.yml: ${shown}. ${EXPECTED}`]);
  });

  it('refuses a YAML number or boolean for the whole option', () => {
    expect(configError(() => loadYaml('evidence-people: 42\n')).message).toBe(
      `Invalid evidence-people from config file c.yml: 42 (it is neither text nor a list). ${EXPECTED}`,
    );
  });

  it('shows the people in shepherd config as they are written', () => {
    const lines = describeConfig(load(['--evidence-people', PEOPLE])).split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^evidence-people\s+Ana García <ana@example\.com> ana\.g, ana@old\.example\.com; Joan Puig <joan@example\.com>\s+flag --evidence-people$/),
    );
    expect(describeConfig(load()).split('\n')).toContainEqual(expect.stringMatching(/^evidence-people\s+\(none\)\s+default$/));
  });
});

describe('evidence-cron', () => {
  const EXPECTED =
    'Expected a cron expression of 5 fields separated by spaces, minute hour day-of-month month day-of-week, ' +
    'e.g. "0 4 1 * *" (04:00 on the 1st of every month); each field is *, a number, a range a-b or a list a,b,c, ' +
    'each optionally with a step /n; months may be named (jan-dec) and weekdays too (sun-sat; 0 and 7 are Sunday).';

  it.each<[string, string]>([
    ['0 4 1 * *', '0 4 1 * *'],
    ['  0   4\t1 * *  ', '0 4 1 * *'],
    ['*/15 0-6,22,23 1-7 */3 *', '*/15 0-6,22,23 1-7 */3 *'],
    ['59 23 31 12 7', '59 23 31 12 7'],
    ['0 0 1 JAN-mar,Dec mon-fri', '0 0 1 JAN-mar,Dec mon-fri'],
    ['0 0 * january sunday', '0 0 * january sunday'],
    ['0 0 * * mo,tu,we', '0 0 * * mo,tu,we'],
    ['5/10 0 1 * *', '5/10 0 1 * *'],
    ['0-30/5 0 1 * *', '0-30/5 0 1 * *'],
  ])('accepts %p', (text, value) => {
    expect(load(['--evidence-cron', text]).config.evidenceCron).toBe(value);
  });

  it.each<[string, string]>([
    ['0 4 1 *', 'it has 4 fields, not 5'],
    ['0 0 4 1 * *', 'it has 6 fields, not 5'],
    ['0', 'it has 1 field, not 5'],
    ['60 4 1 * *', 'minute 60 is out of range 0-59'],
    ['0 24 1 * *', 'hour 24 is out of range 0-23'],
    ['0 4 0 * *', 'day-of-month 0 is out of range 1-31'],
    ['0 4 32 * *', 'day-of-month 32 is out of range 1-31'],
    ['0 4 1 13 *', 'month 13 is out of range 1-12'],
    ['0 4 1 * 8', 'day-of-week 8 is out of range 0-7'],
    ['0 4 1 foo *', 'month "foo" is not a number from 1 to 12 or a month name such as jan'],
    ['0 4 1 ja *', 'month "ja" is not a number from 1 to 12 or a month name such as jan'],
    ['0 4 1 * m', 'day-of-week "m" is not a number from 0 to 7 or a weekday name such as mon'],
    ['0 4 L * *', 'day-of-month "L" is not a number from 1 to 31'],
    ['0 4 1 * ?', 'day-of-week "?": Temporal does not take "?"; write *'],
    ['0 4 1 * mon#1', 'day-of-week "mon#1" is not a number from 0 to 7 or a weekday name such as mon'],
    ['*/0 4 1 * *', 'minute "*/0": the step after "/" must be a whole number of 1 or more'],
    ['*/x 4 1 * *', 'minute "*/x": the step after "/" must be a whole number of 1 or more'],
    ['1/2/3 4 1 * *', 'minute "1/2/3" has more than one "/"'],
    ['1-2-3 4 1 * *', 'minute "1-2-3" has more than one "-"'],
    ['30-10 4 1 * *', 'minute range "30-10" runs backwards'],
    ['1,,2 4 1 * *', 'minute "1,,2" has an empty list item'],
    ['1- 4 1 * *', 'minute "1-" has an empty value'],
    ['@monthly', 'write @monthly as its 5 fields'],
    ['CRON_TZ=Europe/Madrid 0 4 1 * *', 'set the time zone with evidence-timezone, not in the expression'],
  ])('refuses %p, saying why and what is valid', (text, reason) => {
    expect(configError(() => load([], { SHEPHERD_EVIDENCE_CRON: text })).message).toBe(
      `Invalid evidence-cron from environment SHEPHERD_EVIDENCE_CRON: ${JSON.stringify(text)} (${reason}). ${EXPECTED}`,
    );
  });

  it('refuses an empty one, and a YAML number', () => {
    expect(configError(() => load(['--evidence-cron='])).message).toBe(`Invalid evidence-cron from flag --evidence-cron: "" (it is empty). ${EXPECTED}`);
    expect(configError(() => loadYaml('evidence-cron: 5\n')).message).toBe(`Invalid evidence-cron from config file c.yml: 5. ${EXPECTED}`);
  });
});

describe('evidence-timezone', () => {
  const EXPECTED = 'Expected an IANA time zone name, e.g. UTC, Europe/Madrid or America/New_York.';

  it.each<[string, string]>([
    ['UTC', 'UTC'],
    ['Europe/Madrid', 'Europe/Madrid'],
    ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    ['Etc/GMT-1', 'Etc/GMT-1'],
    // The case Intl knows, as Temporal's server looks zones up case-sensitively.
    ['utc', 'UTC'],
    ['europe/madrid', 'Europe/Madrid'],
    // A link stays as written: Intl would turn US/Pacific into America/Los_Angeles.
    ['US/Pacific', 'US/Pacific'],
  ])('accepts %p as %p', (text, value) => {
    expect(load(['--evidence-timezone', text]).config.evidenceTimezone).toBe(value);
  });

  it.each<[string, string]>([
    ['Mars/Olympus_Mons', 'no such time zone'],
    ['Europe/Madird', 'no such time zone'],
    ['Local', 'no such time zone'],
    ['+01:00', 'it is an offset; name a zone instead, e.g. Etc/GMT-1 for +01:00 all year'],
    ['-0500', 'it is an offset; name a zone instead, e.g. Etc/GMT-1 for +01:00 all year'],
  ])('refuses %p', (text, reason) => {
    expect(configError(() => load(['--evidence-timezone', text])).message).toBe(
      `Invalid evidence-timezone from flag --evidence-timezone: ${JSON.stringify(text)} (${reason}). ${EXPECTED}`,
    );
  });

  it('refuses an empty one', () => {
    expect(configError(() => load(['--evidence-timezone='])).message).toBe(`Invalid evidence-timezone from flag --evidence-timezone: "" (it is empty). ${EXPECTED}`);
  });
});

describe('evidence-s3-key', () => {
  const EXPECTED =
    'Expected an S3 key with {person} (each person gets a zip of their own) and optionally {month} (YYYY-MM), ' +
    'e.g. evidences/{month}/{person}.zip; no other {placeholder}.';

  it.each(['{person}.zip', 'evidences/{month}/{person}.zip', 'zips/{person}/{month}/{person}.zip', 'a b/{person}'])('accepts %p', (text) => {
    expect(load(['--evidence-s3-key', text]).config.evidenceS3Key).toBe(text);
  });

  it.each<[string, string]>([
    ['evidences/{month}.zip', "it has no {person}, so everyone's zip would get the same key"],
    ['evidences/{date}/{person}.zip', 'it has the unknown placeholder {date}'],
    ['evidences/{Person}.zip', 'it has the unknown placeholder {Person}'],
    ['evidences/{}/{person}.zip', 'it has the unknown placeholder {}'],
    ['evidences/{person.zip', 'it has a "{" or "}" outside a placeholder'],
    ['evidences/{{person}}.zip', 'it has a "{" or "}" outside a placeholder'],
    ['/evidences/{person}.zip', 'it starts with "/", which an S3 key does not'],
    ['evidences/{person}/', 'it ends with "/", which names a folder, not a file'],
  ])('refuses %p', (text, reason) => {
    expect(configError(() => load([], { SHEPHERD_EVIDENCE_S3_KEY: text })).message).toBe(
      `Invalid evidence-s3-key from environment SHEPHERD_EVIDENCE_S3_KEY: ${JSON.stringify(text)} (${reason}). ${EXPECTED}`,
    );
  });
});

describe('the URLs', () => {
  const URL_OPTIONS: ReadonlyArray<readonly [OptionName, keyof ShepherdConfig, string]> = [
    ['evidence-s3-endpoint', 'evidenceS3Endpoint', 'http://minio.example.com:9000'],
    ['evidence-google-token-url', 'evidenceGoogleTokenUrl', 'https://oauth2.googleapis.com/token'],
    ['evidence-drive-url', 'evidenceDriveUrl', 'https://www.googleapis.com/'],
    ['evidence-slack-url', 'evidenceSlackUrl', 'https://slack.com/api/'],
    ['bitbucket-url', 'bitbucketUrl', 'https://api.bitbucket.org/2.0'],
    ['bitbucket-token-url', 'bitbucketTokenUrl', 'https://bitbucket.org/site/oauth2/access_token'],
    ['github-url', 'githubUrl', 'https://api.github.com'],
  ];

  it('drop one trailing slash from the API bases of Bitbucket and GitHub, which get paths appended', () => {
    expect(load(['--bitbucket-url', 'https://bb.example.com/2.0/']).config.bitbucketUrl).toBe('https://bb.example.com/2.0');
    expect(load(['--github-url', 'https://github.example.com/api/v3/']).config.githubUrl).toBe('https://github.example.com/api/v3');
    expect(load(['--github-url', 'https://api.github.com']).config.githubUrl).toBe('https://api.github.com');
  });

  it('keep the others as given, a trailing slash included', () => {
    const { config } = load([
      '--evidence-drive-url=http://127.0.0.1:1/',
      '--evidence-slack-url=http://127.0.0.1:2/api',
      '--evidence-google-token-url=http://127.0.0.1:3/token/',
      '--bitbucket-token-url=http://127.0.0.1:4/token',
      '--evidence-s3-endpoint=http://127.0.0.1:5/',
    ]);
    expect(config).toMatchObject({
      evidenceDriveUrl: 'http://127.0.0.1:1/',
      evidenceSlackUrl: 'http://127.0.0.1:2/api',
      evidenceGoogleTokenUrl: 'http://127.0.0.1:3/token/',
      bitbucketTokenUrl: 'http://127.0.0.1:4/token',
      evidenceS3Endpoint: 'http://127.0.0.1:5/',
    });
  });

  it.each(URL_OPTIONS)('%s refuses what is not a plain http(s) URL, saying why', (name, _field, example) => {
    const expected = `Expected an http:// or https:// URL without user name, password, query or "#" part, e.g. ${example}.`;
    const refusal = (text: string) => configError(() => load([`--${name}`, text])).message;
    expect(refusal('api.example.com')).toBe(`Invalid ${name} from flag --${name}: "api.example.com" (it is not a URL). ${expected}`);
    expect(refusal('ftp://api.example.com')).toBe(`Invalid ${name} from flag --${name}: "ftp://api.example.com" (it is not an http:// or https:// URL). ${expected}`);
    expect(refusal('https://api.example.com/?x=1')).toBe(`Invalid ${name} from flag --${name}: "https://api.example.com/?x=1" (it has a query string). ${expected}`);
    expect(refusal('https://api.example.com/#x')).toBe(`Invalid ${name} from flag --${name}: "https://api.example.com/#x" (it has a "#" part). ${expected}`);
  });

  it.each(URL_OPTIONS)('%s refuses credentials without repeating them', (name) => {
    const message = configError(() => load([], { [variable(name)]: 'https://user:Sup3r-s3cret@api.example.com/x' })).message;
    expect(message).toContain(`Invalid ${name} from environment ${variable(name)}: "https://****@api.example.com/x" (it has a user name or password; credentials have their own options).`);
    expect(message).not.toContain('Sup3r-s3cret');
    expect(message).not.toContain('user:');
  });
});

describe('other bad values name the key and what is valid', () => {
  it.each<[OptionName, string, string]>([
    ['evidence-concurrency', '0', 'Expected a whole number from 1 to 64.'],
    ['evidence-concurrency', '65', 'Expected a whole number from 1 to 64.'],
    ['evidence-concurrency', 'many', 'Expected a whole number from 1 to 64.'],
    ['evidence-include-merges', 'maybe', 'Expected one of true, false, yes, no, 1, 0.'],
    ['evidence-slack-channel', '#my events', 'Expected a Slack channel, #name or an ID such as C0123456789, without spaces.'],
    ['evidence-slack-alert-channel', 'urgent now', 'Expected a Slack channel, #name or an ID such as C0123456789, without spaces.'],
  ])('refuses %s %p', (name, text, expected) => {
    expect(configError(() => load([], { [variable(name)]: text })).message).toBe(
      `Invalid ${name} from environment ${variable(name)}: ${JSON.stringify(text)}. ${expected}`,
    );
  });

  it('accepts evidence-concurrency from 1 to 64', () => {
    expect(load(['--evidence-concurrency', '1']).config.evidenceConcurrency).toBe(1);
    expect(load(['--evidence-concurrency', '64']).config.evidenceConcurrency).toBe(64);
  });

  it('refuses empty texts', () => {
    for (const name of ['evidence-s3-bucket', 'evidence-s3-region', 'evidence-drive-folder', 'evidence-google-client-id'] as const) {
      expect(configError(() => load([`--${name}=`])).message).toBe(`Invalid ${name} from flag --${name}: "". Expected a non-empty text.`);
    }
  });

  it('reports every bad evidence option at once', () => {
    const error = configError(() =>
      load(['--evidence-repos', 'x', '--evidence-cron', 'soon', '--evidence-timezone', 'Nowhere', '--evidence-concurrency', '0'], {
        SHEPHERD_GITHUB_URL: 'nope',
      }),
    );
    expect(error.problems.map((problem) => problem.split(' ')[1])).toEqual([
      'evidence-repos',
      'evidence-cron',
      'evidence-timezone',
      'evidence-concurrency',
      'github-url',
    ]);
  });
});

describe('what the report needs once evidence-repos turns it on', () => {
  const ON = (repos: string, env: LoadConfigInput['env']) => load(['--evidence-repos', repos], env);

  it('starts with everything set, and asks for nothing while the report is off', () => {
    expect(ON(ALL_FORGES, READY).config.evidenceRepos).toHaveLength(3);
    // Off: no people, no credentials, no destination, and a lone S3 key half or Drive folder are all fine.
    const off = load(['--evidence-drive-folder', 'F'], { SHEPHERD_EVIDENCE_S3_ACCESS_KEY_ID: 'AKIA' });
    expect(off.config.evidenceRepos).toEqual([]);
  });

  it('needs evidence-people', () => {
    const { SHEPHERD_EVIDENCE_PEOPLE: _, ...env } = READY;
    expect(configError(() => ON('github:o/r', env)).problems).toEqual([
      'evidence-repos (from flag --evidence-repos) is set but evidence-people is not: the report is for evidence-people and credits nobody else. ' +
        'Set evidence-people, or remove evidence-repos to turn the report off.',
    ]);
  });

  it('needs the Bitbucket OAuth consumer for bitbucket: repositories, naming what is missing', () => {
    const { SHEPHERD_BITBUCKET_OAUTH_KEY: _, SHEPHERD_BITBUCKET_OAUTH_SECRET: __, ...env } = READY;
    expect(configError(() => ON('bitbucket:team/api bitbucket:team/web github:o/r', env)).problems).toEqual([
      'evidence-repos (from flag --evidence-repos) lists Bitbucket repositories (bitbucket:team/api, bitbucket:team/web) but ' +
        'bitbucket-oauth-key and bitbucket-oauth-secret are not set: Bitbucket is read as an OAuth consumer. ' +
        'Set SHEPHERD_BITBUCKET_OAUTH_KEY (or bitbucket-oauth-key-file) and SHEPHERD_BITBUCKET_OAUTH_SECRET (or bitbucket-oauth-secret-file), or remove those repositories.',
    ]);
    expect(configError(() => ON('bitbucket:team/api', { ...env, SHEPHERD_BITBUCKET_OAUTH_KEY: 'k' })).problems).toEqual([
      'evidence-repos (from flag --evidence-repos) lists Bitbucket repositories (bitbucket:team/api) but bitbucket-oauth-secret is not set: ' +
        'Bitbucket is read as an OAuth consumer. Set SHEPHERD_BITBUCKET_OAUTH_SECRET or bitbucket-oauth-secret-file, or remove those repositories.',
    ]);
  });

  it('needs gitlab-url and auth-token for gitlab: repositories (they are not needed to start otherwise)', () => {
    const { SHEPHERD_GITLAB_URL: _, SHEPHERD_AUTH_TOKEN: __, ...env } = READY;
    expect(configError(() => ON('gitlab:group/app', env)).problems).toEqual([
      'evidence-repos (from flag --evidence-repos) lists GitLab repositories (gitlab:group/app) but gitlab-url and auth-token are not set: ' +
        "GitLab is read at gitlab-url with the bot's auth-token. Set gitlab-url and SHEPHERD_AUTH_TOKEN (or auth-token-file), or remove those repositories.",
    ]);
    expect(configError(() => ON('gitlab:group/app', { ...env, SHEPHERD_GITLAB_URL: 'https://gitlab.example.com' })).problems).toEqual([
      expect.stringContaining('but auth-token is not set'),
    ]);
    expect(ON('github:o/r', env).config.gitlabUrl).toBeUndefined();
  });

  it('needs github-token for github: repositories, which may come from a file', () => {
    const { SHEPHERD_GITHUB_TOKEN: _, ...env } = READY;
    expect(configError(() => ON('github:o/r', env)).problems).toEqual([
      'evidence-repos (from flag --evidence-repos) lists GitHub repositories (github:o/r) but github-token is not set: ' +
        'GitHub is read with github-token. Set SHEPHERD_GITHUB_TOKEN or github-token-file, or remove those repositories.',
    ]);
    temp.write('token', 'ghp_file');
    expect(ON('github:o/r', { ...env, SHEPHERD_GITHUB_TOKEN_FILE: 'token' }).config.githubToken).toBe('ghp_file');
  });

  it('needs the Google credentials for evidence-drive-folder', () => {
    expect(configError(() => load(['--evidence-repos', 'github:o/r', '--evidence-drive-folder', 'F'], READY)).problems).toEqual([
      'evidence-drive-folder (from flag --evidence-drive-folder) is set but evidence-google-client-id, evidence-google-client-secret and evidence-google-refresh-token are not: ' +
        "the zips are uploaded to Google Drive with an OAuth client's refresh token. Set evidence-google-client-id, " +
        'SHEPHERD_EVIDENCE_GOOGLE_CLIENT_SECRET (or evidence-google-client-secret-file) and SHEPHERD_EVIDENCE_GOOGLE_REFRESH_TOKEN (or evidence-google-refresh-token-file), ' +
        'or remove evidence-drive-folder.',
    ]);
    const google = {
      SHEPHERD_EVIDENCE_GOOGLE_CLIENT_ID: 'id',
      SHEPHERD_EVIDENCE_GOOGLE_CLIENT_SECRET: 'secret',
      SHEPHERD_EVIDENCE_GOOGLE_REFRESH_TOKEN: 'refresh',
    };
    const { SHEPHERD_EVIDENCE_S3_BUCKET: _, ...noBucket } = READY;
    expect(ON('github:o/r', { ...noBucket, ...google, SHEPHERD_EVIDENCE_DRIVE_FOLDER: 'F' }).config.evidenceDriveFolder).toBe('F');
    const { SHEPHERD_EVIDENCE_GOOGLE_REFRESH_TOKEN: __, ...twoOfThree } = google;
    expect(configError(() => ON('github:o/r', { ...READY, ...twoOfThree, SHEPHERD_EVIDENCE_DRIVE_FOLDER: 'F' })).problems).toEqual([
      expect.stringMatching(
        /^evidence-drive-folder \(from environment SHEPHERD_EVIDENCE_DRIVE_FOLDER\) is set but evidence-google-refresh-token is not: .* Set SHEPHERD_EVIDENCE_GOOGLE_REFRESH_TOKEN or evidence-google-refresh-token-file, or remove/,
      ),
    ]);
  });

  it('needs both halves of an S3 access key, or neither (the AWS default credential chain)', () => {
    expect(configError(() => ON('github:o/r', { ...READY, SHEPHERD_EVIDENCE_S3_ACCESS_KEY_ID: 'AKIA' })).problems).toEqual([
      'evidence-s3-access-key-id (from environment SHEPHERD_EVIDENCE_S3_ACCESS_KEY_ID) is set but evidence-s3-secret-access-key is not: an S3 access key is the two together. ' +
        'Set SHEPHERD_EVIDENCE_S3_SECRET_ACCESS_KEY or evidence-s3-secret-access-key-file, or remove evidence-s3-access-key-id to use the AWS default credential chain.',
    ]);
    expect(configError(() => ON('github:o/r', { ...READY, SHEPHERD_EVIDENCE_S3_SECRET_ACCESS_KEY: 'x' })).problems).toEqual([
      expect.stringMatching(/^evidence-s3-secret-access-key \(from environment SHEPHERD_EVIDENCE_S3_SECRET_ACCESS_KEY\) is set but evidence-s3-access-key-id is not: /),
    ]);
    const both = ON('github:o/r', { ...READY, SHEPHERD_EVIDENCE_S3_ACCESS_KEY_ID: 'AKIA', SHEPHERD_EVIDENCE_S3_SECRET_ACCESS_KEY: 'x' }).config;
    expect([both.evidenceS3AccessKeyId, both.evidenceS3SecretAccessKey]).toEqual(['AKIA', 'x']);
    expect(ON('github:o/r', READY).config.evidenceS3AccessKeyId).toBeUndefined();
  });

  it('needs somewhere to put the zips: evidence-s3-bucket or evidence-drive-folder', () => {
    const { SHEPHERD_EVIDENCE_S3_BUCKET: _, ...env } = READY;
    expect(configError(() => ON('github:o/r', env)).problems).toEqual([
      'evidence-repos (from flag --evidence-repos) is set but neither evidence-s3-bucket nor evidence-drive-folder is: the zips would go nowhere. ' +
        'Set evidence-s3-bucket, evidence-drive-folder or both.',
    ]);
  });

  it('does not need Slack: without a token the summary is only logged', () => {
    expect(ON('github:o/r', READY).config.evidenceSlackToken).toBeUndefined();
  });

  it('reports every missing piece at once, each naming its keys', () => {
    const error = configError(() => loadYaml(`evidence-repos: [${JSON.stringify('bitbucket:t/a')}, gitlab:g/p, github:o/r]\n`));
    expect(error.problems).toEqual([
      expect.stringMatching(/^evidence-repos \(from config file c\.yml\) is set but evidence-people is not: /),
      expect.stringMatching(/^evidence-repos \(from config file c\.yml\) lists Bitbucket repositories \(bitbucket:t\/a\) but /),
      expect.stringMatching(/^evidence-repos \(from config file c\.yml\) lists GitLab repositories \(gitlab:g\/p\) but /),
      expect.stringMatching(/^evidence-repos \(from config file c\.yml\) lists GitHub repositories \(github:o\/r\) but /),
      expect.stringMatching(/^evidence-repos \(from config file c\.yml\) is set but neither evidence-s3-bucket nor evidence-drive-folder is: /),
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
