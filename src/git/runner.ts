// A thin, safe wrapper around simple-git 4 for the workspace: every call gets a fresh simple-git
// instance (so per-call env / stdin are possible), a rolling block timeout, a deterministic config
// prefix (-c ...) and errors whose text has credentials removed.
//
// simple-git 4 notes that shaped this file:
// - A git process that exits non-zero with an EMPTY stderr resolves successfully by default
//   (e.g. `rev-parse --verify --quiet`, `merge-base --is-ancestor`). We add an `errors` plugin
//   that turns every non-zero exit into an error carrying the exit code.
// - Errors that are not GitError instances are wrapped (`new GitError(task, String(err))`),
//   losing their fields, so the exit error subclasses simple-git's GitError.
// - GIT_* variables (and EDITOR, PAGER, VISUAL, PREFIX, SSH_ASKPASS) are stripped from the
//   ambient environment; passing one through `.env()` without naming it in `allowEnvironment`
//   REJECTS the task, and `.env()` replaces process.env wholesale. So we pass a sanitised copy
//   of process.env plus our own variables, and allow exactly those.
// - GIT_SSH_COMMAND additionally needs `unsafe.allowUnsafeSshCommand`, GIT_CONFIG_COUNT
//   `unsafe.allowUnsafeConfigEnvCount`.
// - GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS=true is always set: use full option names.
import { GitError, GitPluginError, simpleGit } from 'simple-git';
import { redactText } from './redact';

/** Thrown for every git failure surfaced by src/git. Its message is always credential-free. */
export class GitWorkspaceError extends Error {
  override readonly name = 'GitWorkspaceError';
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

/** Internal: a non-zero exit (carries the raw streams; never leaves this module unredacted). */
class GitExitError extends GitError {
  constructor(
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(undefined, `git exited with code ${exitCode}`);
  }
}

export interface RunnerOptions {
  timeoutMs: number;
  /** `-c key=value` entries (without the -c) put before every command. */
  config: string[];
  /** Literal strings to scrub from messages (the current remote URL's credentials). */
  secrets: readonly string[];
  /** Called periodically while a git process runs (heartbeats during long operations). */
  onTick?: () => void;
  /**
   * Environment variables for every command (e.g. GIT_SSH_COMMAND); a call's own `env` wins.
   * GIT_* names are allowed through simple-git's environment guard like a call's `env`.
   */
  env?: Record<string, string>;
}

export interface RunOptions {
  /** Extra environment variables (names are added to simple-git's allowEnvironment). */
  env?: Record<string, string>;
  /** Content written to the process's stdin. */
  input?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// Non GIT_-prefixed keys simple-git's environment guard treats as dangerous (argv-parser GitEnvKeys).
const GUARDED_PLAIN_KEYS = new Set(['editor', 'pager', 'visual', 'prefix', 'ssh_askpass']);
const TICK_MS = 2_000;

function sanitisedEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    const lower = key.toLowerCase().trim();
    if (lower.startsWith('git_') || GUARDED_PLAIN_KEYS.has(lower)) continue;
    env[key] = value;
  }
  // Never wait for a username/password on a terminal; keep git's messages untranslated.
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  return { ...env, ...extra };
}

function describe(args: readonly string[]): string {
  // Only the sub-command: arguments may contain URLs and are not needed to understand a failure.
  const sub = args.find((a) => !a.startsWith('-')) ?? 'command';
  return `git ${sub}`;
}

export class GitRunner {
  constructor(
    readonly dir: string,
    private readonly opts: RunnerOptions,
  ) {}

  withSecrets(secrets: readonly string[]): GitRunner {
    return new GitRunner(this.dir, { ...this.opts, secrets });
  }

  redact(text: string): string {
    return redactText(text, this.opts.secrets);
  }

  /** Runs git; resolves with stdout, rejects with a redacted GitWorkspaceError on any failure. */
  async run(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await this.tryRun(args, options);
    if (result.exitCode !== 0) {
      const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join('\n');
      throw new GitWorkspaceError(
        this.redact(`${describe(args)} failed (exit ${result.exitCode})${detail ? `: ${detail}` : ''}`),
        result.exitCode,
      );
    }
    return result.stdout;
  }

  /**
   * Runs git and reports its exit code instead of throwing for a non-zero exit. Still rejects
   * (redacted) when git could not run at all or hit the timeout.
   */
  async tryRun(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const extraEnv = { ...this.opts.env, ...options.env };
    const input = options.input;
    const git = simpleGit({
      baseDir: this.dir,
      config: this.opts.config,
      timeout: { block: this.opts.timeoutMs },
      allowEnvironment: ['GIT_TERMINAL_PROMPT', ...Object.keys(extraEnv)],
      unsafe: {
        // GIT_SSH_COMMAND is refused unless this is set. Ours is built from the operator's
        // configuration (sshKeyFile) with quoted paths, never from forge or user input.
        ...('GIT_SSH_COMMAND' in extraEnv ? { allowUnsafeSshCommand: true } : {}),
        // GIT_CONFIG_COUNT carries credentials as http.extraHeader (see credentials.ts); simple-git
        // still vets each GIT_CONFIG_KEY_n against its list of dangerous keys.
        ...('GIT_CONFIG_COUNT' in extraEnv ? { allowUnsafeConfigEnvCount: true } : {}),
      },
      ...(input !== undefined ? { input: () => input } : {}),
      errors: (error, result) => {
        if (error instanceof GitPluginError) return error; // timeout, abort, guards
        if (result.exitCode !== 0) {
          return new GitExitError(
            result.exitCode,
            Buffer.concat(result.stdOut).toString('utf8'),
            Buffer.concat(result.stdErr).toString('utf8'),
          );
        }
        return error;
      },
    }).env(sanitisedEnv(extraEnv));

    const onTick = this.opts.onTick;
    const ticker = onTick
      ? setInterval(() => {
          try {
            onTick();
          } catch {
            // a heartbeat failure must not crash the process; the next step's onProgress reports it
          }
        }, TICK_MS)
      : undefined;
    ticker?.unref();
    try {
      const stdout = await git.raw(args);
      return { exitCode: 0, stdout, stderr: '' };
    } catch (err) {
      if (err instanceof GitExitError) {
        return { exitCode: err.exitCode, stdout: err.stdout, stderr: err.stderr };
      }
      if (err instanceof GitPluginError && err.plugin === 'timeout') {
        throw new GitWorkspaceError(`${describe(args)} timed out (no output for ${this.opts.timeoutMs} ms)`);
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new GitWorkspaceError(this.redact(`${describe(args)} failed: ${message}`));
    } finally {
      if (ticker) clearInterval(ticker);
    }
  }
}
