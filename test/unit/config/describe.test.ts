import path from 'node:path';
import { OPTION_NAMES, describeConfig, envVarName, loadConfig, optionHelp } from '../../../src/config';
import { useTempDir } from './tempDir';

const temp = useTempDir();

const TOKEN = 'glpat-VERY-secret-token-value';
const HOOK = 'webhook-secret-from-a-file';

describe('describeConfig', () => {
  function loadWithSecrets() {
    temp.write('hook', `${HOOK}\n`);
    temp.write('c.yml', 'gitlab-webhook-secret-file: hook\nbot-name: Shepherd\n');
    return loadConfig({
      argv: ['--config-file', 'c.yml', '--ci-timeout', '1h30m'],
      env: { SHEPHERD_AUTH_TOKEN: TOKEN },
      cwd: temp.dir(),
    });
  }

  it('never shows a secret value, anywhere', () => {
    const output = describeConfig(loadWithSecrets());
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(HOOK);
    // Not even a part of one.
    expect(output).not.toMatch(/VERY-secret|from-a-file/);
  });

  it('masks set secrets and marks unset ones', () => {
    const lines = describeConfig(loadWithSecrets()).split('\n');
    expect(lines.find((line) => line.startsWith('auth-token '))).toMatch(/^auth-token\s+\*\*\*\*\s+environment SHEPHERD_AUTH_TOKEN$/);
    expect(lines.find((line) => line.startsWith('gitlab-webhook-secret '))).toMatch(
      new RegExp(`^gitlab-webhook-secret\\s+\\*\\*\\*\\*\\s+file ${escape(path.join(temp.dir(), 'hook'))}$`),
    );

    const unset = describeConfig(loadConfig({ argv: [], env: {}, cwd: temp.dir() })).split('\n');
    expect(unset.find((line) => line.startsWith('auth-token '))).toMatch(/^auth-token\s+\(not set\)\s+default$/);
  });

  it('prints one line per option with value and source, after the config file', () => {
    const lines = describeConfig(loadWithSecrets()).split('\n');
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(['config-file', ...OPTION_NAMES]);
    expect(lines[0]).toMatch(new RegExp(`^config-file\\s+${escape(path.join(temp.dir(), 'c.yml'))}\\s+flag --config-file$`));
    expect(lines).toContainEqual(expect.stringMatching(/^ci-timeout\s+1h30m\s+flag --ci-timeout$/));
    expect(lines).toContainEqual(expect.stringMatching(/^git-timeout\s+2min\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^bot-name\s+Shepherd\s+config file c\.yml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^debug\s+false\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^webhook-max-body\s+1048576\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^require-merge-permission\s+false\s+default$/));
  });

  it('aligns the columns', () => {
    const lines = describeConfig(loadWithSecrets()).split('\n');
    const valueColumns = new Set(lines.map((line) => line.search(/(?<=\S\s{2,})\S/)));
    expect(valueColumns.size).toBe(1);
  });

  it('says when a given value was overridden', () => {
    temp.write('c.yml', 'auth-token-file: missing\n');
    const loaded = loadConfig({ argv: ['--config-file', 'c.yml'], env: { SHEPHERD_AUTH_TOKEN: TOKEN }, cwd: temp.dir() });
    const line = describeConfig(loaded)
      .split('\n')
      .find((l) => l.startsWith('auth-token-file'));
    expect(line).toMatch(/\(not set\)\s+config file c\.yml \(ignored: auth-token from environment SHEPHERD_AUTH_TOKEN takes precedence\)/);
  });
});

describe('optionHelp', () => {
  const help = optionHelp();

  it('lists every option with its environment variable', () => {
    for (const name of OPTION_NAMES) {
      expect(help).toContain(`--${name}`);
      expect(help).toContain(envVarName(name));
    }
    expect(help).toContain('--config-file FILE');
    expect(help).toContain('SHEPHERD_CONFIG_FILE');
  });

  it('shows defaults as a user would write them', () => {
    expect(help).toContain('[env SHEPHERD_CI_TIMEOUT] (default: 15min)');
    expect(help).toContain('[env SHEPHERD_GIT_TIMEOUT] (default: 120s)');
    expect(help).toContain('[env SHEPHERD_API_PORT] (default: 3000)');
    expect(help).toContain('--webhook-max-body SIZE');
    expect(help).toContain('[env SHEPHERD_WEBHOOK_MAX_BODY] (default: 1mb)');
    expect(help).toContain('--require-merge-permission, --no-require-merge-permission');
    expect(help).toContain('[env SHEPHERD_REQUIRE_MERGE_PERMISSION] (default: false)');
    expect(help).toContain('--debug, --no-debug');
  });

  it('marks secrets as not accepted as flags, and explains HTTPS-only git', () => {
    expect(help).toContain('--auth-token TOKEN (not as a flag)');
    expect(help).toContain('--gitlab-webhook-secret SECRET (not as a flag)');
    expect(help).toContain('Without an SSH key Shepherd uses HTTPS anyway.');
  });

  it('explains the precedence', () => {
    expect(help).toMatch(/flags override the environment, which overrides the file, which overrides defaults/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
