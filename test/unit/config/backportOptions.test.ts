// The backport options: defaults, each from every source, the list forms, each refusal naming
// the key and what is valid, the SMTP URL kept secret, and admin-email needing smtp-url.

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
import { compileBackportLabelPattern } from '../../../src/domain/backportLabels';
import { configError, useTempDir } from './tempDir';

const temp = useTempDir();

function load(argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  return loadConfig({ argv, env, cwd: temp.dir() });
}

function loadYaml(yaml: string, argv: string[] = [], env: LoadConfigInput['env'] = {}) {
  temp.write('c.yml', yaml);
  return load(['--config-file', 'c.yml', ...argv], env);
}

/** What a list option says about a value the YAML file would hand it: its first issue's message and params. */
function refusal(name: 'backport-branches' | 'backport-mr-labels', value: unknown): { message: string; params: unknown } | undefined {
  const issue = configSchema.shape[name].safeParse(value).error?.issues[0];
  return issue?.code === 'custom' ? { message: issue.message, params: issue.params } : undefined;
}

function variable(name: string): string {
  return `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
}

const BACKPORT_OPTIONS = [
  'backport-label',
  'backport-branches',
  'backport-label-pattern',
  'backport-mr-labels',
  'backport-merge',
  'backport-conflicts',
  'admin-email',
  'smtp-url',
  'smtp-url-file',
] as const satisfies readonly OptionName[];

// A password with characters a careless message might show in part.
const PASSWORD = 'Sup3r-s3cret-p4ss';
const SMTP_URL = `smtps://shepherd%40example.com:${PASSWORD}@mail.example.com:465`;
/** With smtp-url set, so admin-email may be given. */
const WITH_SMTP = { SHEPHERD_SMTP_URL: SMTP_URL };

describe('defaults', () => {
  it('send nothing anywhere and mail nobody', () => {
    const { config, sources, warnings } = load();
    expect(config).toMatchObject({
      backportLabel: 'backport-candidate',
      backportBranches: [],
      backportLabelPattern: '^backport (\\S+)$',
      backportMrLabels: [],
      backportMerge: false,
      backportConflicts: 'comment',
    });
    expect(config.adminEmail).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
    expect(config.smtpUrlFile).toBeUndefined();
    for (const name of BACKPORT_OPTIONS) expect(sources[name]).toEqual({ from: 'default' });
    expect(warnings).toEqual([]);
  });

  it('has a default label pattern that finds the destination of "backport release-1.2"', () => {
    const pattern = new RegExp(load().config.backportLabelPattern);
    expect(pattern.exec('backport release-1.2')?.[1]).toBe('release-1.2');
    expect(pattern.exec('backport-candidate')).toBeNull();
  });

  it('lists the options in one group, Backports, in order', () => {
    expect(OPTION_GROUPS.find((group) => group.title === 'Backports')?.options).toEqual(BACKPORT_OPTIONS);
  });

  it('documents each option in --help with its variable and default', () => {
    const help = optionHelp();
    expect(help).toContain('\nBackports:\n');
    expect(help).toContain('--backport-label LABEL');
    expect(help).toContain('[env SHEPHERD_BACKPORT_LABEL] (default: backport-candidate)');
    expect(help).toContain('--backport-branches BRANCH[,..]');
    expect(help).toContain('[env SHEPHERD_BACKPORT_BRANCHES] (default: none)');
    expect(help).toContain('[env SHEPHERD_BACKPORT_LABEL_PATTERN] (default: ^backport (\\S+)$)');
    expect(help).toContain('--backport-mr-labels LABEL[,..]');
    expect(help).toContain('--backport-merge, --no-backport-merge');
    expect(help).toContain('--backport-conflicts {comment,draft}');
    expect(help).toContain('[env SHEPHERD_BACKPORT_CONFLICTS] (default: comment)');
    expect(help).toContain('--admin-email EMAIL');
    expect(help).toContain('--smtp-url URL (not as a flag)');
    expect(help).toContain('--smtp-url-file FILE');
  });
});

describe('each option from every source', () => {
  it.each<[OptionName, keyof ShepherdConfig, string, unknown]>([
    ['backport-label', 'backportLabel', 'needs backport', 'needs backport'],
    ['backport-branches', 'backportBranches', 'release-1.2', ['release-1.2']],
    ['backport-branches', 'backportBranches', 'release-1.2,release/1.x', ['release-1.2', 'release/1.x']],
    ['backport-label-pattern', 'backportLabelPattern', '^cherry-pick to (?<branch>.+)$', '^cherry-pick to (?<branch>.+)$'],
    ['backport-mr-labels', 'backportMrLabels', 'backport', ['backport']],
    ['backport-mr-labels', 'backportMrLabels', 'backport,needs review', ['backport', 'needs review']],
    ['backport-conflicts', 'backportConflicts', 'draft', 'draft'],
    ['backport-conflicts', 'backportConflicts', 'comment', 'comment'],
    ['admin-email', 'adminEmail', 'shepherd-admin@example.com', 'shepherd-admin@example.com'],
  ])('%s reads %p from a flag, the environment and the config file', (name, field, text, value) => {
    const byFlag = load([`--${name}`, text], WITH_SMTP);
    expect(byFlag.config[field]).toEqual(value);
    expect(byFlag.sources[name]).toEqual({ from: 'flag', detail: `--${name}` });
    expect(load([`--${name}=${text}`], WITH_SMTP).config[field]).toEqual(value);

    const byEnv = load([], { ...WITH_SMTP, [variable(name)]: text });
    expect(byEnv.config[field]).toEqual(value);
    expect(byEnv.sources[name]).toEqual({ from: 'env', detail: variable(name) });

    const byFile = loadYaml(`${name}: ${JSON.stringify(text)}\n`, [], WITH_SMTP);
    expect(byFile.config[field]).toEqual(value);
    expect(byFile.sources[name]).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('reads backport-merge, an on/off option, from a flag, the environment and the config file', () => {
    const byFlag = load(['--backport-merge']);
    expect(byFlag.config.backportMerge).toBe(true);
    expect(byFlag.sources['backport-merge']).toEqual({ from: 'flag', detail: '--backport-merge' });
    expect(load(['--backport-merge=yes']).config.backportMerge).toBe(true);
    expect(load(['--no-backport-merge'], { SHEPHERD_BACKPORT_MERGE: 'true' }).config.backportMerge).toBe(false);

    const byEnv = load([], { SHEPHERD_BACKPORT_MERGE: '1' });
    expect(byEnv.config.backportMerge).toBe(true);
    expect(byEnv.sources['backport-merge']).toEqual({ from: 'env', detail: 'SHEPHERD_BACKPORT_MERGE' });

    const byFile = loadYaml('backport-merge: true\n');
    expect(byFile.config.backportMerge).toBe(true);
    expect(byFile.sources['backport-merge']).toEqual({ from: 'file', detail: 'c.yml' });
  });

  it('reads words as people write them in YAML', () => {
    const { config } = loadYaml('backport-conflicts: Draft\nbackport-merge: yes\nbackport-label: backport me\n');
    expect(config).toMatchObject({ backportConflicts: 'draft', backportMerge: true, backportLabel: 'backport me' });
  });

  it('lets a higher source win, option by option', () => {
    const { config, sources } = loadYaml(
      'backport-branches: release-1\nbackport-mr-labels: from-file\nbackport-conflicts: draft\n',
      ['--backport-branches', 'release-3'],
      { SHEPHERD_BACKPORT_BRANCHES: 'release-2', SHEPHERD_BACKPORT_MR_LABELS: 'from-env' },
    );
    expect(config).toMatchObject({ backportBranches: ['release-3'], backportMrLabels: ['from-env'], backportConflicts: 'draft' });
    expect(sources['backport-branches']).toEqual({ from: 'flag', detail: '--backport-branches' });
    expect(sources['backport-mr-labels']).toEqual({ from: 'env', detail: 'SHEPHERD_BACKPORT_MR_LABELS' });
    expect(sources['backport-conflicts']).toEqual({ from: 'file', detail: 'c.yml' });
  });
});

describe('smtp-url, a secret', () => {
  it('is read from the environment', () => {
    const { config, sources } = load([], { SHEPHERD_SMTP_URL: ` ${SMTP_URL}\n` });
    expect(config.smtpUrl).toBe(SMTP_URL);
    expect(sources['smtp-url']).toEqual({ from: 'env', detail: 'SHEPHERD_SMTP_URL' });
  });

  it('is read from smtp-url-file given as a flag, in the environment or in the config file, trimmed', () => {
    const file = temp.write('secrets/smtp', `${SMTP_URL}\n\n`);
    for (const loaded of [
      load(['--smtp-url-file', 'secrets/smtp']),
      load([], { SHEPHERD_SMTP_URL_FILE: 'secrets/smtp' }),
      loadYaml('smtp-url-file: secrets/smtp\n'),
    ]) {
      expect(loaded.config.smtpUrl).toBe(SMTP_URL);
      expect(loaded.config.smtpUrlFile).toBe(file);
      expect(loaded.sources['smtp-url']).toEqual({ from: 'secret-file', detail: path.join(temp.dir(), 'secrets/smtp') });
    }
  });

  it('is read from the config file, like the other secrets', () => {
    expect(loadYaml(`smtp-url: ${JSON.stringify(SMTP_URL)}\n`).config.smtpUrl).toBe(SMTP_URL);
  });

  it('accepts smtp:// and smtps://, with or without user, password and port', () => {
    for (const url of ['smtp://mail.example.com', 'smtp://mail.example.com:587', 'smtps://u:p%23w@[::1]:465', 'smtp://relay/']) {
      expect(load([], { SHEPHERD_SMTP_URL: url }).config.smtpUrl).toBe(url);
    }
  });

  it.each([
    ['--smtp-url', SMTP_URL],
    [`--smtp-url=${SMTP_URL}`],
  ])('is refused as the flag %p, saying what to use instead and never echoing it', (...argv) => {
    const message = configError(() => load(argv)).message;
    expect(message).toContain('--smtp-url is refused on the command line');
    expect(message).toContain('SHEPHERD_SMTP_URL');
    expect(message).toContain('--smtp-url-file FILE');
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain('mail.example.com');
  });

  it.each<[string, string, string]>([
    ['not a URL', `${PASSWORD}@mail.example.com`, 'it is not a URL'],
    ['another scheme', `https://shepherd:${PASSWORD}@mail.example.com`, 'it is not an smtp:// or smtps:// URL'],
    ['no host', `smtp:shepherd:${PASSWORD}`, 'it has no host'],
    ['a query string', `smtp://shepherd:${PASSWORD}@mail.example.com?tls.rejectUnauthorized=false`, 'it has a query string'],
    ['an unencoded # in the password', `smtp://shepherd:${PASSWORD}@mail.example.com#x`, 'it has a "#" part'],
    ['a path', `smtps://shepherd:${PASSWORD}@mail.example.com/${PASSWORD}`, 'it has a path'],
  ])('refuses %s without showing any of the value', (_, url, reason) => {
    for (const error of [
      configError(() => load([], { SHEPHERD_SMTP_URL: url })),
      configError(() => loadYaml(`smtp-url: ${JSON.stringify(url)}\n`)),
      (() => {
        temp.write('smtp', url);
        return configError(() => load(['--smtp-url-file', 'smtp']));
      })(),
    ]) {
      expect(error.problems).toHaveLength(1);
      expect(error.message).toMatch(/^Invalid smtp-url from (environment SHEPHERD_SMTP_URL|config file c\.yml|file .*smtp): \(secret value not shown\) \(/);
      expect(error.message).toContain(`(${reason}). Expected smtp://[user:password@]host[:port]`);
      expect(error.message).toContain('smtps://');
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain('shepherd:');
      expect(error.message).not.toContain('mail.example.com');
    }
  });

  it('refuses a number from YAML without showing it', () => {
    const message = configError(() => loadYaml('smtp-url: 123456789\n')).message;
    expect(message).toContain('Invalid smtp-url from config file c.yml: (secret value not shown)');
    expect(message).not.toContain('123456789');
  });

  it('refuses smtp-url and smtp-url-file from the same source', () => {
    temp.write('smtp', SMTP_URL);
    expect(configError(() => load([], { SHEPHERD_SMTP_URL: SMTP_URL, SHEPHERD_SMTP_URL_FILE: 'smtp' })).message).toBe(
      'Both smtp-url (from environment SHEPHERD_SMTP_URL) and smtp-url-file (from environment SHEPHERD_SMTP_URL_FILE) are set; set only one of them.',
    );
  });

  it('is masked by shepherd config, from the environment or from a file', () => {
    const fromEnv = describeConfig(load([], { SHEPHERD_SMTP_URL: SMTP_URL, SHEPHERD_ADMIN_EMAIL: 'admin@example.com' }));
    temp.write('smtp', `${SMTP_URL}\n`);
    const fromFile = describeConfig(load(['--smtp-url-file', 'smtp']));
    for (const output of [fromEnv, fromFile]) {
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toMatch(/s3cret|mail\.example\.com|shepherd%40/);
    }
    expect(fromEnv.split('\n')).toContainEqual(expect.stringMatching(/^smtp-url\s+\*\*\*\*\s+environment SHEPHERD_SMTP_URL$/));
    expect(fromEnv.split('\n')).toContainEqual(expect.stringMatching(/^admin-email\s+admin@example\.com\s+environment SHEPHERD_ADMIN_EMAIL$/));
    expect(fromFile.split('\n')).toContainEqual(
      expect.stringMatching(new RegExp(`^smtp-url\\s+\\*\\*\\*\\*\\s+file ${escape(path.join(temp.dir(), 'smtp'))}$`)),
    );
    const unset = describeConfig(load()).split('\n');
    expect(unset).toContainEqual(expect.stringMatching(/^smtp-url\s+\(not set\)\s+default$/));
  });
});

describe('admin-email', () => {
  it('needs smtp-url: alone it stops start-up naming both keys', () => {
    const error = configError(() => load(['--admin-email', 'admin@example.com']));
    expect(error.problems).toEqual([
      'admin-email (from flag --admin-email) is set but smtp-url is not: the admin mail goes out through smtp-url. ' +
        'Set SHEPHERD_SMTP_URL or smtp-url-file, or remove admin-email.',
    ]);
    expect(configError(() => loadYaml('admin-email: admin@example.com\n')).message).toContain('admin-email (from config file c.yml)');
  });

  it('starts with smtp-url from the environment or a file', () => {
    temp.write('smtp', SMTP_URL);
    expect(load([], { SHEPHERD_ADMIN_EMAIL: 'admin@example.com', ...WITH_SMTP }).config.adminEmail).toBe('admin@example.com');
    expect(load(['--admin-email', 'admin@example.com', '--smtp-url-file', 'smtp']).config.smtpUrl).toBe(SMTP_URL);
  });

  it('is not needed by smtp-url', () => {
    expect(load([], WITH_SMTP).config.adminEmail).toBeUndefined();
  });

  it.each(['admin', 'admin@', '@example.com', 'a b@example.com', 'Admin <admin@example.com>', 'a@b@example.com', 'admin@exa_mple.com', 'a@example.com,b@example.com'])(
    'refuses %p, saying what is valid',
    (text) => {
      expect(configError(() => load(['--admin-email', text], WITH_SMTP)).message).toBe(
        `Invalid admin-email from flag --admin-email: ${JSON.stringify(text)}. Expected one email address, e.g. shepherd-admin@example.com.`,
      );
    },
  );

  it.each(['admin@example.com', 'first.last+shepherd@mail.example.co.uk', 'root@localhost'])('accepts %p', (text) => {
    expect(load(['--admin-email', text], WITH_SMTP).config.adminEmail).toBe(text);
  });
});

describe('backport-branches', () => {
  function branches(text: string): string[] {
    return load(['--backport-branches', text]).config.backportBranches;
  }

  it.each<[string, string[]]>([
    ['release-1.2', ['release-1.2']],
    ['release-1.2,release-1.3', ['release-1.2', 'release-1.3']],
    ['release-1.2 release-1.3', ['release-1.2', 'release-1.3']],
    ['release-1.2, release-1.3 ,  stable/2.x', ['release-1.2', 'release-1.3', 'stable/2.x']],
    ['\trelease-1.2\nrelease-1.3\n', ['release-1.2', 'release-1.3']],
    [',release-1.2,,release-1.3,', ['release-1.2', 'release-1.3']],
    ['release-1.2 release-1.2 release-1.3 release-1.2', ['release-1.2', 'release-1.3']],
    ['user@host ünïcode a+b', ['user@host', 'ünïcode', 'a+b']],
  ])('reads %p as %p: separated by commas and/or whitespace, in order, without repeats', (text, expected) => {
    expect(branches(text)).toEqual(expected);
  });

  it('reads the same forms from the environment and from a YAML string', () => {
    expect(load([], { SHEPHERD_BACKPORT_BRANCHES: 'release-1.2 release-1.3' }).config.backportBranches).toEqual(['release-1.2', 'release-1.3']);
    expect(loadYaml('backport-branches: "release-1.2, release-1.3"\n').config.backportBranches).toEqual(['release-1.2', 'release-1.3']);
    expect(loadYaml('backport-branches: >\n  release-1.2\n  release-1.3\n').config.backportBranches).toEqual(['release-1.2', 'release-1.3']);
  });

  it('takes a list, one name per item, each item checked as written', () => {
    const schema = configSchema.shape['backport-branches'];
    expect(schema.parse(['release-1.2', ' stable/2.x ', null, 'release-1.2'])).toEqual(['release-1.2', 'stable/2.x']);
    expect(schema.parse([])).toEqual([]);
    // An item is one name: a space inside it is a mistake, not a separator.
    expect(refusal('backport-branches', ['release 1.2'])?.params).toEqual({ part: 'branch "release 1.2"', reason: 'it contains a space' });
  });

  it('reads a YAML list from the config file, and still refuses a list for an option that takes one value', () => {
    expect(loadYaml('backport-branches:\n  - release-1.2\n  - stable/2.x\n').config.backportBranches).toEqual(['release-1.2', 'stable/2.x']);
    expect(loadYaml('backport-mr-labels:\n  - backport\n  - needs review\n').config.backportMrLabels).toEqual(['backport', 'needs review']);
    expect(() => loadYaml('backport-label:\n  - a\n  - b\n')).toThrow(/backport-label from config file .* must be a single value, not a list/);
  });

  // A name with a space only comes from a YAML list (above): flags and variables split there.
  it.each<[string, string]>([
    ['a..b', 'it contains ".."'],
    ['a~1', 'it contains "~"'],
    ['a^b', 'it contains "^"'],
    ['a:b', 'it contains ":"'],
    ['a?b', 'it contains "?"'],
    ['a*', 'it contains "*"'],
    ['a[b', 'it contains "["'],
    ['a\\b', 'it contains "\\\\"'],
    ['a\u0001b', 'it contains a control character'],
    ['a\u007fb', 'it contains a control character'],
    ['-release', 'it starts with "-"'],
    ['/release', 'it starts with "/"'],
    ['.release', 'it starts with "."'],
    ['release/', 'it ends with "/"'],
    ['release.lock', 'it ends with ".lock"'],
    ['release.', 'it ends with "."'],
    ['a@{1}', 'it contains "@{"'],
    ['a//b', 'it contains "//"'],
    ['a/.b', 'a part between slashes starts with "."'],
    ['a.lock/b', 'a part between slashes ends with ".lock"'],
    ['HEAD', 'git reserves "HEAD"'],
    ['@', 'git reserves "@"'],
  ])('refuses %p, naming the key, the name and why', (name, reason) => {
    const error = configError(() => load([], { SHEPHERD_BACKPORT_BRANCHES: `main,${name}` }));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(
      new RegExp(
        `^Invalid backport-branches from environment SHEPHERD_BACKPORT_BRANCHES: branch ${escape(JSON.stringify(name))} ` +
          `\\(${escape(reason)}\\)\\. Expected branch names separated by commas or spaces`,
      ),
    );
    expect(error.message).toContain('each one git accepts: no space, control character or any of ~ ^ : ? * [ \\;');
  });

  it('reports each bad name once, on its own line, and only the bad ones', () => {
    const error = configError(() => load(['--backport-branches', 'release-1.2,a..b, release-1.3 -x a..b']));
    expect(error.problems).toEqual([
      expect.stringMatching(/^Invalid backport-branches from flag --backport-branches: branch "a\.\.b" \(it contains "\.\."\)\./),
      expect.stringMatching(/^Invalid backport-branches from flag --backport-branches: branch "-x" \(it starts with "-"\)\./),
    ]);
  });

  it('refuses a YAML number, which would not be the name as written, asking for quotes', () => {
    expect(configError(() => loadYaml('backport-branches: 1.10\n')).message).toMatch(
      /^Invalid backport-branches from config file c\.yml: 1\.1 \(YAML read it as the number 1\.1; quote it to keep it as written\)\. Expected branch names/,
    );
    expect(refusal('backport-branches', ['release-1', 2.0])?.params).toEqual({
      part: 'branch 2',
      reason: 'YAML read it as the number 2; quote it to keep it as written',
    });
    expect(refusal('backport-branches', [true])?.params).toMatchObject({ part: 'branch true' });
    expect(refusal('backport-branches', [{ a: 1 }])?.params).toEqual({
      part: 'a branch that is a YAML mapping',
      reason: 'each item must be one name',
    });
  });

  it('shows the branches in shepherd config', () => {
    const lines = describeConfig(load(['--backport-branches', 'release-1.2 release-1.3'])).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^backport-branches\s+release-1\.2, release-1\.3\s+flag --backport-branches$/));
    expect(describeConfig(load()).split('\n')).toContainEqual(expect.stringMatching(/^backport-branches\s+\(none\)\s+default$/));
  });
});

describe('backport-mr-labels', () => {
  it.each<[string, string[]]>([
    ['backport', ['backport']],
    ['backport,needs review', ['backport', 'needs review']],
    [' backport , needs review ,', ['backport', 'needs review']],
    ['backport,backport,type::backport', ['backport', 'type::backport']],
    ['', []],
  ])('reads %p as %p: separated by commas only, since labels may contain spaces', (text, expected) => {
    expect(load([`--backport-mr-labels=${text}`]).config.backportMrLabels).toEqual(expected);
  });

  it('takes a list, refusing an item with a comma', () => {
    const schema = configSchema.shape['backport-mr-labels'];
    expect(schema.parse(['backport', 'needs review'])).toEqual(['backport', 'needs review']);
    expect(refusal('backport-mr-labels', ['a, b'])).toEqual({
      message: 'expected label names separated by commas, e.g. "backport,needs review"',
      params: { part: 'label "a, b"', reason: 'a label name cannot contain a comma' },
    });
  });

  it('refuses a YAML number, naming the key and what is valid', () => {
    expect(configError(() => loadYaml('backport-mr-labels: 42\n')).message).toBe(
      'Invalid backport-mr-labels from config file c.yml: 42 (YAML read it as the number 42; quote it to keep it as written). ' +
        'Expected label names separated by commas, e.g. "backport,needs review".',
    );
  });

  it('shows the labels in shepherd config', () => {
    const lines = describeConfig(load([], { SHEPHERD_BACKPORT_MR_LABELS: 'backport,needs review' })).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^backport-mr-labels\s+backport, needs review\s+environment SHEPHERD_BACKPORT_MR_LABELS$/));
  });
});

describe('backport-label-pattern', () => {
  const EXPECTED =
    'Expected a JavaScript regular expression with exactly one capture group, the destination branch, e.g. ^backport (\\S+)$ (write other groups as (?:...)).';

  it.each([
    '^backport (\\S+)$',
    '^backport[ :-](?<destination>.+)$',
    '^(?:backport|cherry-pick) (\\S+)$',
    '^(?=backport)backport (\\S+)(?<!\\.lock)$',
    '^backport \\((\\S+)\\)$',
    '^backport [(](\\S+)[)]$',
  ])('accepts %p, which has exactly one capture group', (source) => {
    expect(load(['--backport-label-pattern', source]).config.backportLabelPattern).toBe(source);
    expect(compileBackportLabelPattern(source).ok).toBe(true);
  });

  it.each<[string, string]>([
    ['^backport \\S+$', 'it has no capture group'],
    ['^(?:backport) \\S+$', 'it has no capture group'],
    ['^(backport) (\\S+)$', 'it has 2 capture groups'],
    ['^(backport|cherry-pick) (?<to>\\S+)$', 'it has 2 capture groups'],
    ['^((a)(b))$', 'it has 3 capture groups'],
  ])('refuses %p, saying it needs exactly one capture group', (source, reason) => {
    expect(configError(() => load([], { SHEPHERD_BACKPORT_LABEL_PATTERN: source })).message).toBe(
      `Invalid backport-label-pattern from environment SHEPHERD_BACKPORT_LABEL_PATTERN: ${JSON.stringify(source)} (${reason}). ${EXPECTED}`,
    );
    // The backport code that compiles the pattern agrees.
    expect(compileBackportLabelPattern(source).ok).toBe(false);
  });

  it('refuses an invalid regular expression, naming the key and saying what is valid', () => {
    const message = configError(() => loadYaml('backport-label-pattern: "^backport ((\\\\S+)$"\n')).message;
    expect(message).toMatch(/^Invalid backport-label-pattern from config file c\.yml: "\^backport \(\(\\\\S\+\)\$" \(Invalid regular expression: .+\)\. /);
    expect(message).toContain(EXPECTED);
  });

  it('refuses an empty one', () => {
    expect(configError(() => load(['--backport-label-pattern='])).message).toContain('(it is empty). Expected a JavaScript regular expression with exactly one capture group');
  });
});

describe('other bad values name the key and what is valid', () => {
  it.each<[OptionName, string, string]>([
    ['backport-conflicts', 'abort', 'Expected one of comment, draft.'],
    ['backport-merge', 'maybe', 'Expected one of true, false, yes, no, 1, 0.'],
  ])('refuses %s %p', (name, text, expected) => {
    expect(configError(() => load([], { [variable(name)]: text })).message).toBe(
      `Invalid ${name} from environment ${variable(name)}: ${JSON.stringify(text)}. ${expected}`,
    );
  });

  it('refuses an empty backport-label', () => {
    expect(configError(() => load(['--backport-label='])).message).toBe(
      'Invalid backport-label from flag --backport-label: "". Expected a non-empty text.',
    );
  });

  it('reports every bad backport option at once', () => {
    const error = configError(() =>
      load(['--backport-conflicts', 'x', '--backport-branches', 'a..b', '--backport-label-pattern', 'x'], { SHEPHERD_SMTP_URL: 'nope' }),
    );
    expect(error.problems.map((problem) => problem.split(' ')[1])).toEqual([
      'backport-branches',
      'backport-label-pattern',
      'backport-conflicts',
      'smtp-url',
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
