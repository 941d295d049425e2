// Rebase (or merge) a merge request's source branch onto its target in a cached clone and push it
// with a lease. Plain TypeScript: the Temporal activity that calls it may run on any worker, the
// clones are a per-worker cache and never state.
//
// Idempotency rests on determinism: the same source commits on the same target head give the same
// SHAs on every try and on every worker (fixed committer identity, committer date = author date,
// fixed date and message for merge commits, no rerere, no autosquash). A retry after a successful
// push therefore recognises the SHA it already pushed, even when the target has moved on since:
// it finds the target commit the remote head was built on and recomputes from that.
//
// Credentials never reach the disk: the clone's remotes are stored without userinfo and each
// command that talks to a remote gets the credentials in its environment (see credentials.ts).
//
// Fork merge requests: the target branch comes from `remoteUrl` (remote `origin`), the source
// branch from `sourceRemoteUrl` (remote `source`), and the result is pushed to the latter.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BackportJob, validateBackportRequest, type BackportClone, type BackportOutcome, type BackportRequest } from './backport';
import { formatCommit, parseCommit } from './commitObject';
import { configHoldsCredentials, remoteAccess, type RemoteAccess } from './credentials';
import { KeyedMutex } from './mutex';
import { redactText, redactUrl, urlSecrets } from './redact';
import { GitRunner, GitWorkspaceError } from './runner';

export { redactUrl } from './redact';
export { GitWorkspaceError } from './runner';
export type { BackportOutcome, BackportPick, BackportRequest, PickedCommit, SkippedCommit } from './backport';

export interface GitWorkspaceOptions {
  /** One cached clone per project key below this. */
  cacheDir: string;
  /** Per git operation: the process is killed after this long without output. */
  gitTimeoutMs: number;
  committer: { name: string; email: string };
  /** Passed as --reference-if-able on clone. */
  referenceRepo?: string;
  /**
   * Private key for git over SSH (marge-bot's ssh-key-file). When set, git runs with
   * GIT_SSH_COMMAND = ssh -i <key> -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new
   * -o UserKnownHostsFile=<cacheDir>/known_hosts -o BatchMode=yes, so `remoteUrl` may be an SSH
   * URL (ssh://git@host:port/group/app.git or git@host:group/app.git). OpenSSH refuses keys that
   * others can read: the file must be mode 0600 (or 0400) and owned by the worker's user. The
   * first connection to a host records its key in known_hosts; a changed host key then fails.
   */
  sshKeyFile?: string;
  /** Called often during long work (the activity heartbeats with it). */
  onProgress?: () => void;
  /**
   * Test seam: awaited right before the push, after the result has been computed. Lets a test
   * push a foreign commit between our fetch and our push.
   * @internal
   */
  beforePush?: () => void | Promise<void>;
}

export interface RebaseRequest {
  /** e.g. 'gitlab/group/app'; names the cache folder (sanitised). */
  projectKey: string;
  /**
   * The target project's repository; the target branch is fetched from here. May contain
   * credentials (http://oauth2:TOKEN@host/g/a.git): they are sent to git per command and are
   * never written to the clone or shown in errors.
   */
  remoteUrl: string;
  /**
   * The source project's repository when it is not the target's (a merge request from a fork):
   * the source branch is fetched from and pushed to here. Absent or equal to `remoteUrl`: the
   * source branch lives in `remoteUrl` too. Credentials as for `remoteUrl`.
   */
  sourceRemoteUrl?: string;
  sourceBranch: string;
  targetBranch: string;
  /** The head the forge reported; the push is leased on it. */
  expectedSourceSha: string;
  /** 'merge' = merge target into source (marge's --use-merge-strategy). */
  strategy?: 'rebase' | 'merge';
  /**
   * Optional trailers hook, applied to each commit of the MR after the rebase (with the merge
   * strategy: to the merge commit's message, index 0 of 1). Must be deterministic, and should be
   * idempotent (a retry on a worker that no longer has the original commits re-applies it).
   */
  rewriteMessage?: (message: string, index: number, total: number) => string;
}

/**
 * `targetSha` is the target commit the answer is built on. For 'pushed' that is an earlier target
 * commit when a retry recognises its own earlier push after the target moved on since.
 */
export type RebaseOutcome =
  | { kind: 'pushed'; sha: string; targetSha: string }
  | { kind: 'up-to-date'; sha: string; targetSha: string }
  | { kind: 'conflict'; files: string[]; targetSha: string }
  | { kind: 'source-moved'; actualSha: string }
  | { kind: 'missing-branch'; branch: string };

type Computed = { kind: 'result'; sha: string } | { kind: 'conflict'; files: string[] };

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

// One lock per clone directory, shared by every GitWorkspace in the process.
const cloneLocks = new KeyedMutex();

/** The cache folder name for a project key: readable, collision-free, never '.' or '..'. */
export function cacheFolderName(projectKey: string): string {
  const readable = projectKey
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 80);
  const hash = crypto.createHash('sha256').update(projectKey).digest('hex').slice(0, 12);
  return `${readable || 'project'}-${hash}`;
}

function assertBranchName(name: string, what: string): void {
  const bad =
    name.length === 0 ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('@{') ||
    name.includes('//') ||
    // git check-ref-format forbids control characters and spaces, which is what this matches.
    // eslint-disable-next-line no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(name);
  if (bad) throw new GitWorkspaceError(`invalid ${what} branch name: ${JSON.stringify(redactUrl(name))}`);
}

/** Quotes one word for the POSIX shell git runs GIT_SSH_COMMAND with. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The ssh command line for `sshKeyFile` (exported for tests). */
export function sshCommand(keyFile: string, knownHostsFile: string): string {
  // ssh splits option values on whitespace itself (UserKnownHostsFile takes a list), so a path
  // with spaces is double-quoted for ssh too; ssh has no escape for a double quote inside.
  const sshPath = (p: string): string => {
    if (p.includes('"')) throw new GitWorkspaceError(`path for ssh must not contain a double quote: ${p}`);
    return /\s/.test(p) ? `"${p}"` : p;
  };
  return [
    'ssh',
    '-i',
    shellQuote(keyFile),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    shellQuote(`UserKnownHostsFile=${sshPath(knownHostsFile)}`),
    '-o',
    'BatchMode=yes',
  ].join(' ');
}

function exists(p: string): boolean {
  return fs.existsSync(p);
}

/** One of the clone's remotes: `origin` is the target project, `source` a fork's project. */
interface Remote {
  name: 'origin' | 'source';
  access: RemoteAccess;
}

/** Everything in a request that must never appear in a message. */
function requestSecrets(req: RebaseRequest): string[] {
  return secretsOf(req.sourceRemoteUrl === undefined ? [req.remoteUrl] : [req.remoteUrl, req.sourceRemoteUrl]);
}

function secretsOf(urls: string[]): string[] {
  const all = new Set(urls.flatMap((url) => [...urlSecrets(url), ...remoteAccess(url).secrets]));
  return [...all].sort((a, b) => b.length - a.length);
}

function assertSha(sha: string, what: string): void {
  if (!SHA.test(sha)) throw new GitWorkspaceError(`${what} is not a full hex SHA: ${JSON.stringify(sha)}`);
}

export class GitWorkspace {
  constructor(private readonly opts: GitWorkspaceOptions) {}

  /**
   * Builds target + the merge requests (each rebased onto the one before) as one commit chain and
   * force-pushes it to the queue's state branch, where its pipeline runs. Deterministic: a retry,
   * on any worker, builds and pushes the same SHA.
   */
  buildQueueState(req: QueueStateRequest, onProgress?: () => void): Promise<QueueStateOutcome> {
    assertBranchName(req.targetBranch, 'target');
    assertBranchName(req.stateBranch, 'state');
    for (const mr of req.mergeRequests) assertSha(mr.expectedSourceSha, `expectedSourceSha of !${mr.iid}`);
    if (req.baseSha !== undefined) assertSha(req.baseSha, 'baseSha');
    return this.inLockedClone(req, onProgress, (progress) => new QueueStateJob(this.opts, progress, req));
  }

  /**
   * Points each merge request's source branch at its rebased head in a tested state (leased, all
   * or none), so the forge sees the MRs' heads land with the state. Idempotent.
   */
  updateSourceBranches(
    req: { projectKey: string; remoteUrl: string; updates: SourceUpdate[] },
    onProgress?: () => void,
  ): Promise<SourceUpdateOutcome> {
    for (const u of req.updates) {
      assertBranchName(u.branch, 'source');
      assertSha(u.expectedSha, `expected head of ${u.branch}`);
      assertSha(u.sha, `new head of ${u.branch}`);
    }
    return this.inLockedClone(req, onProgress, (progress) => new SourceUpdateJob(this.opts, progress, req));
  }

  /** Fast-forwards the target to a tested state, only from the commit it was built on. Idempotent. */
  fastForwardTarget(req: LandRequest, onProgress?: () => void): Promise<LandOutcome> {
    assertBranchName(req.targetBranch, 'target');
    assertSha(req.sha, 'sha');
    assertSha(req.baseSha, 'baseSha');
    return this.inLockedClone(req, onProgress, (progress) => new LandJob(this.opts, progress, req));
  }

  /**
   * Cherry-picks `picks` (with -x, in order) onto the destination on the backport branch and
   * pushes it with a lease. Re-run or retried, it continues its own earlier work on the branch and
   * never pushes over anyone else's (see backport.ts).
   */
  async backportAndPush(req: BackportRequest, onProgress?: () => void): Promise<BackportOutcome> {
    assertBranchName(req.destinationBranch, 'destination');
    assertBranchName(req.backportBranch, 'backport');
    for (const pick of req.picks) assertSha(pick.sha, 'pick');
    validateBackportRequest(req);
    return this.inLockedClone(req, onProgress, (progress) => new BackportWork(this.opts, progress, req));
  }

  private inLockedClone<T>(
    req: { projectKey: string; remoteUrl: string },
    onProgress: (() => void) | undefined,
    make: (progress: () => void) => CloneWork<T>,
  ): Promise<T> {
    const dir = path.resolve(this.opts.cacheDir, cacheFolderName(req.projectKey));
    const secrets = secretsOf([req.remoteUrl]);
    return cloneLocks.run(dir, async () => {
      const progress = (): void => {
        this.opts.onProgress?.();
        onProgress?.();
      };
      try {
        return await make(progress).inClone(dir);
      } catch (err) {
        if (err instanceof GitWorkspaceError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        throw new GitWorkspaceError(redactText(message, secrets));
      }
    });
  }

  /**
   * @param onProgress per-call progress callback (e.g. the calling activity's heartbeat), called
   *   in addition to the constructor's `onProgress`; a shared workspace serves many activities.
   */
  async rebaseAndPush(req: RebaseRequest, onProgress?: () => void): Promise<RebaseOutcome> {
    assertBranchName(req.sourceBranch, 'source');
    assertBranchName(req.targetBranch, 'target');
    assertSha(req.expectedSourceSha, 'expectedSourceSha');
    const dir = path.resolve(this.opts.cacheDir, cacheFolderName(req.projectKey));
    return cloneLocks.run(dir, async () => {
      const progress = (): void => {
        this.opts.onProgress?.();
        onProgress?.();
      };
      try {
        return await new RebaseJob(this.opts, req, progress).inClone(dir);
      } catch (err) {
        // Belt and braces: whatever escapes is scrubbed of credentials and of its cause chain.
        if (err instanceof GitWorkspaceError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        throw new GitWorkspaceError(redactText(message, requestSecrets(req)));
      }
    });
  }
}

/** One merge request in a queue state (a batch or a train car), in the order it is stacked. */
export interface StateMergeRequest {
  iid: number;
  /** Its head as the forge reports it; fetched by SHA from the target project (forks' too, through its merge request refs). */
  expectedSourceSha: string;
  /** Trailers, as for RebaseRequest.rewriteMessage. */
  rewriteMessage?: (message: string, index: number, total: number) => string;
}

export interface QueueStateRequest {
  projectKey: string;
  remoteUrl: string;
  targetBranch: string;
  /** The queue's own branch for this state (e.g. shepherd/batch/main/12): only Shepherd writes it. */
  stateBranch: string;
  /** Build on exactly this target commit (a state the queue already knows); else on the target's head. */
  baseSha?: string;
  mergeRequests: StateMergeRequest[];
}

/** `heads`: each MR's rebased head inside the state, in order; the last one's is `sha`. */
export type QueueStateOutcome =
  | { kind: 'built'; sha: string; targetSha: string; heads: Array<{ iid: number; sha: string }> }
  | { kind: 'conflict'; iid: number; files: string[]; targetSha: string }
  | { kind: 'missing-commit'; iid: number; sha: string }
  | { kind: 'missing-branch'; branch: string };

export interface LandRequest {
  projectKey: string;
  remoteUrl: string;
  targetBranch: string;
  /** The tested state: a descendant of `baseSha`. */
  sha: string;
  /** The target commit the state was built on: the target must still be there. */
  baseSha: string;
}

/** `not-built-on-base`: the state does not descend from `baseSha` (it was built on another target commit). */
export type LandOutcome = { kind: 'landed' } | { kind: 'target-moved'; actualSha: string } | { kind: 'not-built-on-base' };

export interface SourceUpdate {
  branch: string;
  /** The head the forge reports; the push is leased on it. */
  expectedSha: string;
  /** Its rebased head in the tested state. */
  sha: string;
}

export type SourceUpdateOutcome = { kind: 'updated' } | { kind: 'source-moved'; branch: string; actualSha: string };

/**
 * Work inside one project's (locked) cached clone: opening it clean and credential-free, fetching,
 * rebasing deterministically. Subclasses say what the work is.
 */
abstract class CloneWork<T> {
  /** Where the target branch is fetched from and, for queue states, pushed to. */
  protected readonly target: Remote;

  constructor(
    protected readonly opts: GitWorkspaceOptions,
    protected readonly progress: () => void,
    remoteUrl: string,
    protected readonly secrets: readonly string[],
  ) {
    this.target = { name: 'origin', access: remoteAccess(remoteUrl) };
  }

  /** The work itself, in a clean clone. */
  protected abstract work(git: GitRunner): Promise<T>;

  /** A second remote the clone must have (a fork's project), if any. */
  protected extraRemote(): Remote | undefined {
    return undefined;
  }

  protected runner(dir: string): GitRunner {
    const { name, email } = this.opts.committer;
    const keyFile = this.opts.sshKeyFile;
    const env = keyFile
      ? {
          GIT_SSH_COMMAND: sshCommand(
            path.resolve(keyFile),
            path.join(path.resolve(this.opts.cacheDir), 'known_hosts'),
          ),
        }
      : undefined;
    return new GitRunner(dir, {
      timeoutMs: this.opts.gitTimeoutMs,
      secrets: this.secrets,
      onTick: this.progress,
      env,
      config: [
        `user.name=${name}`,
        `user.email=${email}`,
        // Settings that could make two workers compute different commits, pinned.
        'commit.gpgSign=false',
        'rebase.backend=merge',
        'rebase.autoSquash=false',
        'rebase.autoStash=false',
        'rebase.updateRefs=false',
        'rerere.enabled=false',
        'merge.log=false',
        'core.autocrlf=false',
        'core.quotePath=false',
        'advice.detachedHead=false',
      ],
    });
  }

  async inClone(dir: string): Promise<T> {
    const git = await this.openClone(dir);
    let outcome: T | undefined;
    let failure: unknown;
    try {
      outcome = await this.work(git);
    } catch (err) {
      failure = err;
    }
    try {
      await this.cleanUp(git);
    } catch (cleanupError) {
      // A clone we cannot clean is dropped; the next use clones afresh.
      fs.rmSync(dir, { recursive: true, force: true });
      if (failure === undefined) failure = cleanupError;
    }
    if (failure !== undefined) throw failure;
    return outcome!;
  }

  /** Returns a runner on a usable, clean, credential-free clone whose remotes are the request's. */
  private async openClone(dir: string): Promise<GitRunner> {
    const git = this.runner(dir);
    if (exists(path.join(dir, '.git'))) {
      try {
        await this.configureRemotes(git);
        await this.cleanUp(git);
        this.progress();
        return git;
      } catch {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } else if (exists(dir)) {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    fs.mkdirSync(this.opts.cacheDir, { recursive: true });
    // Half-made clones of this project left by a crashed process.
    const prefix = `${path.basename(dir)}.tmp-`;
    for (const entry of fs.readdirSync(path.dirname(dir))) {
      if (entry.startsWith(prefix)) fs.rmSync(path.join(path.dirname(dir), entry), { recursive: true, force: true });
    }
    const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    const reference = this.opts.referenceRepo ? ['--reference-if-able', this.opts.referenceRepo] : [];
    try {
      await this.runner(path.dirname(dir)).run(
        ['clone', '--no-checkout', '--no-tags', ...reference, '--', this.target.access.url, tmp],
        { env: this.target.access.env },
      );
      await this.configureRemotes(this.runner(tmp));
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    this.progress();
    return git;
  }

  /**
   * Points the clone's remotes at the request's credential-free URLs. That also scrubs a clone
   * made before credentials left the URLs (its origin held the token); a clone whose config still
   * holds credentials after that (another remote, a hand edit) is refused, and made afresh.
   */
  private async configureRemotes(git: GitRunner): Promise<void> {
    await git.run(['remote', 'set-url', 'origin', this.target.access.url]);
    const extra = this.extraRemote();
    if (extra) {
      const known = (await git.tryRun(['config', '--get', `remote.${extra.name}.url`])).exitCode === 0;
      const url = extra.access.url;
      await git.run(known ? ['remote', 'set-url', extra.name, url] : ['remote', 'add', extra.name, url]);
    }
    const gitDir = path.join(git.dir, '.git');
    // Only ever a record of the last fetch, which may have been made with a credential-bearing URL.
    fs.rmSync(path.join(gitDir, 'FETCH_HEAD'), { force: true });
    if (configHoldsCredentials(fs.readFileSync(path.join(gitDir, 'config'), 'utf8'))) {
      throw new GitWorkspaceError('the cached clone keeps credentials in .git/config');
    }
  }

  /** Aborts whatever a failed or crashed run left behind and empties the work tree of changes. */
  protected async cleanUp(git: GitRunner): Promise<void> {
    const gitDir = path.join(git.dir, '.git');
    // Only we work in this clone and we hold its lock: a leftover index.lock is from a crash.
    fs.rmSync(path.join(gitDir, 'index.lock'), { force: true });
    if (exists(path.join(gitDir, 'rebase-merge')) || exists(path.join(gitDir, 'rebase-apply'))) {
      await git.tryRun(['rebase', '--abort']);
      fs.rmSync(path.join(gitDir, 'rebase-merge'), { recursive: true, force: true });
      fs.rmSync(path.join(gitDir, 'rebase-apply'), { recursive: true, force: true });
    }
    if (exists(path.join(gitDir, 'MERGE_HEAD'))) {
      await git.tryRun(['merge', '--abort']);
    }
    if ((await git.tryRun(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).exitCode === 0) {
      await git.run(['reset', '--hard', '--quiet']);
    }
    await git.run(['clean', '-ffdx', '--quiet']);
  }

  protected async fetch(git: GitRunner, remote: Remote): Promise<void> {
    await git.run(['fetch', '--prune', '--no-tags', remote.name], { env: remote.access.env });
    this.progress();
  }

  protected async resolve(git: GitRunner, ref: string): Promise<string | null> {
    const r = await git.tryRun(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    const sha = r.stdout.trim();
    return r.exitCode === 0 && sha ? sha : null;
  }

  protected async hasCommit(git: GitRunner, sha: string): Promise<boolean> {
    return (await git.tryRun(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0;
  }

  /** A commit by SHA from `remote` (servers speaking protocol v2 serve any SHA they have). */
  protected async fetchCommit(git: GitRunner, remote: Remote, sha: string): Promise<boolean> {
    if (await this.hasCommit(git, sha)) return true;
    await git.tryRun(['fetch', '--no-tags', remote.name, sha], { env: remote.access.env });
    return this.hasCommit(git, sha);
  }

  protected async isAncestor(git: GitRunner, ancestor: string, descendant: string): Promise<boolean> {
    const r = await git.tryRun(['merge-base', '--is-ancestor', ancestor, descendant]);
    if (r.exitCode === 0) return true;
    if (r.exitCode === 1) return false;
    throw new GitWorkspaceError(git.redact(`git merge-base failed (exit ${r.exitCode}): ${r.stderr.trim()}`));
  }

  protected async conflictedFiles(git: GitRunner): Promise<string[]> {
    const out = await git.run(['diff', '--name-only', '--diff-filter=U', '-z']);
    return [...new Set(out.split('\0').filter(Boolean))].sort();
  }

  /**
   * `git push` to `remote`: 'pushed', or 'stale' when a lease (and only a lease) refused it; any
   * other refusal throws, with credentials redacted.
   */
  protected async pushTo(git: GitRunner, remote: Remote, options: string[], refspecs: string[]): Promise<'pushed' | 'stale'> {
    const r = await git.tryRun(['push', '--porcelain', ...options, remote.name, ...refspecs], { env: remote.access.env });
    this.progress();
    if (r.exitCode === 0) return 'pushed';
    if (/stale info/.test(`${r.stdout}\n${r.stderr}`)) return 'stale';
    throw new GitWorkspaceError(git.redact(`git push failed (exit ${r.exitCode}): ${lastLines(r)}`), r.exitCode);
  }

  /** `base`'s commits that `target` lacks, replayed onto `target` (deterministically); messages optionally rewritten. */
  protected async rebaseCommits(
    git: GitRunner,
    base: string,
    target: string,
    rewrite?: (message: string, index: number, total: number) => string,
  ): Promise<Computed> {
    await git.run(['checkout', '--force', '--detach', base]);
    await git.run(['clean', '-ffdx', '--quiet']);
    this.progress();
    const r = await git.tryRun(['rebase', '--force-rebase', '--committer-date-is-author-date', target]);
    if (r.exitCode !== 0) {
      const files = await this.conflictedFiles(git);
      await git.tryRun(['rebase', '--abort']);
      if (files.length > 0) return { kind: 'conflict', files };
      throw new GitWorkspaceError(git.redact(`git rebase failed (exit ${r.exitCode}): ${lastLines(r)}`), r.exitCode);
    }
    this.progress();
    let head = (await git.run(['rev-parse', 'HEAD'])).trim();
    if (rewrite) head = await this.rewriteMessages(git, target, head, rewrite);
    return { kind: 'result', sha: head };
  }

  /** Re-creates target..head (linear after the rebase) with rewritten messages, keeping everything else. */
  private async rewriteMessages(
    git: GitRunner,
    target: string,
    head: string,
    rewrite: (message: string, index: number, total: number) => string,
  ): Promise<string> {
    const list = (await git.run(['rev-list', '--reverse', '--topo-order', `${target}..${head}`]))
      .split('\n')
      .filter(Boolean);
    let parent = target;
    for (let i = 0; i < list.length; i++) {
      const commit = parseCommit(await git.run(['cat-file', 'commit', list[i]]));
      if (commit.parents.length !== 1) {
        throw new GitWorkspaceError(`unexpected merge commit ${list[i]} after rebase`);
      }
      const message = rewrite(commit.message, i, list.length);
      const raw = formatCommit({ ...commit, parents: [parent], message });
      parent = (await git.run(['hash-object', '-t', 'commit', '-w', '--stdin'], { input: raw })).trim();
      if (i % 20 === 19) this.progress();
    }
    return parent;
  }
}

/** One rebase request's work inside its (locked) clone. */
class RebaseJob extends CloneWork<RebaseOutcome> {
  /** Where the source branch is fetched from and pushed to: `target` unless the MR comes from a fork. */
  private readonly source: Remote;

  constructor(
    opts: GitWorkspaceOptions,
    private readonly req: RebaseRequest,
    progress: () => void,
  ) {
    super(opts, progress, req.remoteUrl, requestSecrets(req));
    const fork = req.sourceRemoteUrl === undefined ? undefined : remoteAccess(req.sourceRemoteUrl);
    this.source = fork && fork.url !== this.target.access.url ? { name: 'source', access: fork } : this.target;
  }

  private get isFork(): boolean {
    return this.source !== this.target;
  }

  protected override extraRemote(): Remote | undefined {
    return this.isFork ? this.source : undefined;
  }

  protected async work(git: GitRunner): Promise<RebaseOutcome> {
    const req = this.req;
    const expected = req.expectedSourceSha;
    const strategy = req.strategy ?? 'rebase';

    await this.fetch(git, this.target);
    if (this.isFork) await this.fetch(git, this.source);
    const heads = await this.remoteHeads(git);
    if ('kind' in heads) return heads;
    const { source, target } = heads;
    this.progress();

    // The branch is not where the forge said: an earlier try of ours pushed (the activity is
    // retried after its push went through), or someone else did.
    if (source !== expected) return this.recogniseOwnPush(git, strategy, source, target);

    if (strategy === 'merge' || !req.rewriteMessage) {
      if (await this.isAncestor(git, target, expected)) {
        return { kind: 'up-to-date', sha: expected, targetSha: target };
      }
    }

    const computed = await this.build(git, strategy, expected, target);
    this.progress();
    if (computed.kind === 'conflict') return { kind: 'conflict', files: computed.files, targetSha: target };
    const result = computed.sha;
    if (result === expected) return { kind: 'up-to-date', sha: expected, targetSha: target }; // rewriting changed nothing

    await this.opts.beforePush?.();
    this.progress();
    const pushed = await this.push(git, result);
    this.progress();
    if (pushed) return { kind: 'pushed', sha: result, targetSha: target };

    // The lease was refused: someone changed the branch since our fetch. Look again.
    await this.fetch(git, this.source);
    const now = await this.resolve(git, this.sourceRef());
    if (now === null) return { kind: 'missing-branch', branch: req.sourceBranch };
    if (now === result) return { kind: 'pushed', sha: result, targetSha: target };
    if (now === expected) {
      throw new GitWorkspaceError('push lease was refused although the source branch is still at the expected head');
    }
    return { kind: 'source-moved', actualSha: now };
  }

  private build(git: GitRunner, strategy: 'rebase' | 'merge', base: string, target: string): Promise<Computed> {
    return strategy === 'merge' ? this.merge(git, base, target) : this.rebase(git, base, target);
  }

  /**
   * The remote head `source` is not the expected head. It is our own earlier push if it is exactly
   * what building the expected commits on some commit of the target's history gives: the target
   * may have moved on since that push, and recomputing on the current target would then differ.
   * The answer names the target commit it was built on, so what gets tested and merged is what
   * was pushed (the merge step notices a moved target). Anything else is someone else's push.
   */
  private async recogniseOwnPush(
    git: GitRunner,
    strategy: 'rebase' | 'merge',
    source: string,
    target: string,
  ): Promise<RebaseOutcome> {
    const moved: RebaseOutcome = { kind: 'source-moved', actualSha: source };
    if (!(await this.obtainCommit(git, this.req.expectedSourceSha))) {
      // The original commits are gone (another worker's push, pruned by the forge). Only the rebase
      // strategy has a fixed point: rebasing our own result again onto the target it was built on
      // yields it unchanged. Without the originals only the current target can be checked.
      if (strategy === 'merge') return moved;
      const computed = await this.rebase(git, source, target);
      this.progress();
      return computed.kind === 'result' && computed.sha === source ? { kind: 'pushed', sha: source, targetSha: target } : moved;
    }
    this.progress();
    const base =
      strategy === 'merge' ? await this.mergedOnto(git, source, target) : await this.rebasedOnto(git, source, target);
    return base === null ? moved : { kind: 'pushed', sha: source, targetSha: base };
  }

  /** The target-history commit that rebasing the expected commits onto gives `source`, if any. */
  private async rebasedOnto(git: GitRunner, source: string, target: string): Promise<string | null> {
    const expected = this.req.expectedSourceSha;
    const candidates = new Set<string>();
    // A rebase result is the merge request's n commits on top of the commit it was rebased onto.
    const n = Number((await git.run(['rev-list', '--count', `${target}..${expected}`])).trim());
    if (n > 0) {
      const onto = await this.resolve(git, `${source}~${n}`);
      if (onto !== null) candidates.add(onto);
    }
    // Fewer when the rebase dropped commits (merges, changes already upstream): then the result
    // forks from the target's history exactly where it was built.
    const forkPoint = await git.tryRun(['merge-base', source, target]);
    if (forkPoint.exitCode === 0 && SHA.test(forkPoint.stdout.trim())) candidates.add(forkPoint.stdout.trim());

    for (const onto of candidates) {
      if (!(await this.isAncestor(git, onto, target))) continue;
      const computed = await this.rebase(git, expected, onto);
      this.progress();
      if (computed.kind === 'result' && computed.sha === source) return onto;
    }
    return null;
  }

  /** The target-history commit that merging into the expected head gives `source`, if any. */
  private async mergedOnto(git: GitRunner, source: string, target: string): Promise<string | null> {
    const { parents } = parseCommit(await git.run(['cat-file', 'commit', source]));
    if (parents.length !== 2 || parents[0] !== this.req.expectedSourceSha) return null;
    const merged = parents[1];
    if (!(await this.isAncestor(git, merged, target))) return null;
    const computed = await this.merge(git, this.req.expectedSourceSha, merged);
    this.progress();
    return computed.kind === 'result' && computed.sha === source ? merged : null;
  }

  private sourceRef(): string {
    return `refs/remotes/${this.source.name}/${this.req.sourceBranch}`;
  }

  private async remoteHeads(
    git: GitRunner,
  ): Promise<{ source: string; target: string } | { kind: 'missing-branch'; branch: string }> {
    const source = await this.resolve(git, this.sourceRef());
    if (source === null) return { kind: 'missing-branch', branch: this.req.sourceBranch };
    const target = await this.resolve(git, `refs/remotes/${this.target.name}/${this.req.targetBranch}`);
    if (target === null) return { kind: 'missing-branch', branch: this.req.targetBranch };
    return { source, target };
  }

  /** The merge request's own commits live in the source project (a fork's, for a fork MR). */
  private obtainCommit(git: GitRunner, sha: string): Promise<boolean> {
    return this.fetchCommit(git, this.source, sha);
  }

  private rebase(git: GitRunner, base: string, target: string): Promise<Computed> {
    return this.rebaseCommits(git, base, target, this.req.rewriteMessage);
  }

  private async merge(git: GitRunner, base: string, target: string): Promise<Computed> {
    const req = this.req;
    await git.run(['checkout', '--force', '--detach', base]);
    await git.run(['clean', '-ffdx', '--quiet']);
    this.progress();
    // A fixed date (the later of the two heads' committer dates) and a fixed message.
    const times = await Promise.all(
      [base, target].map(async (sha) => Number((await git.run(['log', '-1', '--format=%ct', sha])).trim())),
    );
    const date = `@${Math.max(...times)} +0000`;
    let message = `Merge branch '${req.targetBranch}' into ${req.sourceBranch}\n`;
    if (req.rewriteMessage) message = req.rewriteMessage(message, 0, 1);
    const r = await git.tryRun(['merge', '--no-ff', '--no-edit', '--no-gpg-sign', '--no-signoff', '-m', message, target], {
      env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    if (r.exitCode !== 0) {
      const files = await this.conflictedFiles(git);
      await git.tryRun(['merge', '--abort']);
      if (files.length > 0) return { kind: 'conflict', files };
      throw new GitWorkspaceError(git.redact(`git merge failed (exit ${r.exitCode}): ${lastLines(r)}`), r.exitCode);
    }
    return { kind: 'result', sha: (await git.run(['rev-parse', 'HEAD'])).trim() };
  }

  /** Pushes with the lease to the source project; false when the lease (and only the lease) refused it. */
  private async push(git: GitRunner, sha: string): Promise<boolean> {
    const ref = `refs/heads/${this.req.sourceBranch}`;
    return (await this.pushTo(git, this.source, [`--force-with-lease=${ref}:${this.req.expectedSourceSha}`], [`${sha}:${ref}`])) === 'pushed';
  }
}

/** Builds a queue state: the merge requests stacked on the target, pushed to the state branch. */
class QueueStateJob extends CloneWork<QueueStateOutcome> {
  constructor(
    opts: GitWorkspaceOptions,
    progress: () => void,
    private readonly req: QueueStateRequest,
  ) {
    super(opts, progress, req.remoteUrl, secretsOf([req.remoteUrl]));
  }

  protected async work(git: GitRunner): Promise<QueueStateOutcome> {
    const req = this.req;
    await this.fetch(git, this.target);
    const head = await this.resolve(git, `refs/remotes/origin/${req.targetBranch}`);
    if (head === null) return { kind: 'missing-branch', branch: req.targetBranch };
    const targetSha = req.baseSha ?? head;
    if (!(await this.fetchCommit(git, this.target, targetSha))) return { kind: 'missing-branch', branch: req.targetBranch };
    let current = targetSha;
    const heads: Array<{ iid: number; sha: string }> = [];
    for (const mr of req.mergeRequests) {
      if (!(await this.fetchCommit(git, this.target, mr.expectedSourceSha))) {
        return { kind: 'missing-commit', iid: mr.iid, sha: mr.expectedSourceSha };
      }
      const computed = await this.rebaseCommits(git, mr.expectedSourceSha, current, mr.rewriteMessage);
      if (computed.kind === 'conflict') return { kind: 'conflict', iid: mr.iid, files: computed.files, targetSha };
      current = computed.sha;
      heads.push({ iid: mr.iid, sha: current });
    }
    const ref = `refs/heads/${req.stateBranch}`;
    // The branch is the queue's alone: forced, and the same SHA again on a retry.
    await this.pushTo(git, this.target, ['--force'], [`${current}:${ref}`]);
    return { kind: 'built', sha: current, targetSha, heads };
  }
}

/** Moves source branches to their heads in a tested state, atomically and leased. */
class SourceUpdateJob extends CloneWork<SourceUpdateOutcome> {
  constructor(
    opts: GitWorkspaceOptions,
    progress: () => void,
    private readonly req: { projectKey: string; remoteUrl: string; updates: SourceUpdate[] },
  ) {
    super(opts, progress, req.remoteUrl, secretsOf([req.remoteUrl]));
  }

  protected async work(git: GitRunner): Promise<SourceUpdateOutcome> {
    await this.fetch(git, this.target);
    const pending: SourceUpdate[] = [];
    for (const u of this.req.updates) {
      const now = await this.resolve(git, `refs/remotes/origin/${u.branch}`);
      if (now === u.sha) continue; // an earlier try of ours went through
      if (now !== u.expectedSha) return { kind: 'source-moved', branch: u.branch, actualSha: now ?? '' };
      pending.push(u);
    }
    if (pending.length === 0) return { kind: 'updated' };
    for (const u of pending) {
      if (!(await this.fetchCommit(git, this.target, u.sha))) throw new GitWorkspaceError(`commit ${u.sha} of ${u.branch} is not on the remote`);
    }
    const leases = pending.map((u) => `--force-with-lease=refs/heads/${u.branch}:${u.expectedSha}`);
    const refspecs = pending.map((u) => `${u.sha}:refs/heads/${u.branch}`);
    if ((await this.pushTo(git, this.target, ['--atomic', ...leases], refspecs)) === 'pushed') return { kind: 'updated' };
    // Someone pushed meanwhile: say which branch.
    await this.fetch(git, this.target);
    for (const u of pending) {
      const now = await this.resolve(git, `refs/remotes/origin/${u.branch}`);
      if (now !== u.expectedSha && now !== u.sha) return { kind: 'source-moved', branch: u.branch, actualSha: now ?? '' };
    }
    throw new GitWorkspaceError('push lease was refused although every source branch is where it was expected');
  }
}

/** Fast-forwards the target branch to a tested state. */
class LandJob extends CloneWork<LandOutcome> {
  constructor(
    opts: GitWorkspaceOptions,
    progress: () => void,
    private readonly req: LandRequest,
  ) {
    super(opts, progress, req.remoteUrl, secretsOf([req.remoteUrl]));
  }

  protected async work(git: GitRunner): Promise<LandOutcome> {
    const { targetBranch, sha, baseSha } = this.req;
    const ref = `refs/heads/${targetBranch}`;
    const landedAlready = async (): Promise<LandOutcome | undefined> => {
      await this.fetch(git, this.target);
      const now = await this.resolve(git, `refs/remotes/origin/${targetBranch}`);
      if (now === null) return { kind: 'target-moved', actualSha: '' };
      // An earlier try of ours landed it (and maybe more landed on top since).
      if (now === sha || (await this.isAncestor(git, sha, now).catch(() => false))) return { kind: 'landed' };
      if (now !== baseSha) return { kind: 'target-moved', actualSha: now };
      return undefined;
    };
    const before = await landedAlready();
    if (before) return before;
    if (!(await this.fetchCommit(git, this.target, sha))) throw new GitWorkspaceError(`tested state ${sha} is not on the remote`);
    if (!(await this.isAncestor(git, baseSha, sha))) return { kind: 'not-built-on-base' };
    if ((await this.pushTo(git, this.target, [`--force-with-lease=${ref}:${baseSha}`], [`${sha}:${ref}`])) === 'pushed') return { kind: 'landed' };
    return (await landedAlready()) ?? { kind: 'target-moved', actualSha: baseSha };
  }
}

/** A backport in the clone: BackportJob (backport.ts) does the work through the clone's helpers. */
class BackportWork extends CloneWork<BackportOutcome> {
  constructor(
    opts: GitWorkspaceOptions,
    progress: () => void,
    private readonly req: BackportRequest,
  ) {
    super(opts, progress, req.remoteUrl, secretsOf([req.remoteUrl]));
  }

  protected work(git: GitRunner): Promise<BackportOutcome> {
    const remote = this.target;
    const clone: BackportClone = {
      git,
      progress: this.progress,
      fetch: () => this.fetch(git, remote),
      remoteBranch: (branch) => this.resolve(git, `refs/remotes/${remote.name}/${branch}`),
      fetchCommit: (sha) => this.fetchCommit(git, remote, sha),
      conflictedFiles: () => this.conflictedFiles(git),
      push: (options, refspecs) => this.pushTo(git, remote, options, refspecs),
      beforePush: async () => {
        await this.opts.beforePush?.();
      },
    };
    return new BackportJob(clone, this.req).run();
  }

  /** Also forgets a cherry-pick a crashed run left in progress (the reset below drops its changes). */
  protected override async cleanUp(git: GitRunner): Promise<void> {
    const gitDir = path.join(git.dir, '.git');
    if (exists(path.join(gitDir, 'CHERRY_PICK_HEAD')) || exists(path.join(gitDir, 'sequencer'))) {
      await git.tryRun(['cherry-pick', '--quit']);
      fs.rmSync(path.join(gitDir, 'CHERRY_PICK_HEAD'), { force: true });
      fs.rmSync(path.join(gitDir, 'sequencer'), { recursive: true, force: true });
    }
    await super.cleanUp(git);
  }
}

function lastLines(r: { stdout: string; stderr: string }): string {
  return (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
}
