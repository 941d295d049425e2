// Git plumbing on the fake's bare repositories. Setup helpers (addProject, createMergeRequest)
// are synchronous so tests can call them without awaiting; everything on a request path is async.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommitInfo } from './store';

/**
 * The fake's own git commands ignore the developer's ~/.gitconfig and /etc/gitconfig: a global
 * `commit.gpgsign` or hook path there must not change what the fake writes.
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LANG: 'C',
    ...extra,
  };
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
    this.name = 'GitError';
  }
}

interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 for merge-base --is-ancestor). */
  okCodes?: number[];
}

export interface RunResult {
  code: number;
  stdout: string;
}

export function gitSync(repo: string, args: string[], opts: RunOptions = {}): RunResult {
  const full = ['--git-dir', repo, ...args];
  try {
    const stdout = execFileSync('git', full, {
      input: opts.input,
      env: gitEnv(opts.env),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string };
    const code = err.status ?? null;
    if (code !== null && opts.okCodes?.includes(code)) return { code, stdout: err.stdout ?? '' };
    throw new GitError(full, code, err.stderr ?? String(e));
  }
}

export function git(repo: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return spawnGit(['--git-dir', repo, ...args], opts);
}

/** Runs git with exactly these arguments (e.g. in a worktree via `cwd`). */
function spawnGit(full: string[], opts: RunOptions & { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', full, { cwd: opts.cwd, env: gitEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 || (code !== null && opts.okCodes?.includes(code))) resolve({ code: code ?? 0, stdout });
      else reject(new GitError(full, code, stderr));
    });
    child.stdin.on('error', () => undefined); // git may exit before reading all input
    child.stdin.end(opts.input ?? '');
  });
}

// --- repository setup -------------------------------------------------------------------------

/**
 * Runs the fake's push checks (see PUSH_CHECKS_SCRIPT) with node; the fake's own writes
 * (commit(), merges, API rebases) bypass hooks.
 */
const PRE_RECEIVE = `#!/bin/sh
# Installed by the fake GitLab: the HTTP and SSH bridges pass what this pusher may do.
[ -n "$FAKE_GITLAB_PUSH_POLICY" ] || exit 0
exec "$FAKE_GITLAB_NODE" "$(dirname "$0")/fake-gitlab-push-checks.js"
`;

/**
 * What GitLab's /internal/allowed check does for a push, from a policy the fake computed for
 * this pusher (PushPolicy in smartHttp.ts): who may push which branch, protected branches
 * (deletion, force-push) and the push rule on every commit the push brings in. Prints GitLab's
 * own refusal messages.
 */
const PUSH_CHECKS_SCRIPT = String.raw`// Installed by the fake GitLab (see pre-receive).
'use strict';
const { execFileSync } = require('node:child_process');
const input = require('node:fs').readFileSync(0, 'utf8');
const policy = JSON.parse(process.env.FAKE_GITLAB_PUSH_POLICY);
const zero = '0'.repeat(40);
const git = (args) => execFileSync('git', args, { encoding: 'utf8' });
const refuse = (message) => {
  process.stdout.write('GitLab: ' + message + '\n');
  process.exit(1);
};
const matches = (pattern, branch) => {
  if (!pattern.includes('*')) return pattern === branch;
  const source = pattern.split('*').map((p) => p.replace(/[.*+?^\${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp('^' + source + '$').test(branch);
};
const updates = input
  .split('\n')
  .map((l) => l.trim().split(/\s+/))
  .filter((parts) => parts.length === 3);
for (const [oldrev, newrev, ref] of updates) {
  if (!ref.startsWith('refs/heads/')) {
    if (!policy.memberCanPush) refuse('You are not allowed to push code to this project.');
    continue;
  }
  const branch = ref.slice('refs/heads/'.length);
  if (!policy.memberCanPush && !policy.collaborationBranches.includes(branch)) {
    refuse('You are not allowed to push code to this project.');
  }
  const rules = policy.protected.filter((r) => matches(r.name, branch));
  if (rules.length === 0) continue;
  if (newrev === zero) refuse('You can only delete protected branches using the web interface.');
  if (!policy.memberCanPush || !rules.some((r) => r.canPush)) {
    refuse('You are not allowed to push code to protected branches on this project.');
  }
  const forced = oldrev !== zero && (() => {
    try {
      git(['merge-base', '--is-ancestor', oldrev, newrev]);
      return false;
    } catch {
      return true;
    }
  })();
  if (forced && !rules.some((r) => r.allowForcePush)) {
    refuse('You are not allowed to force push code to a protected branch on this project.');
  }
}
if (policy.commitMessageRegex) {
  const regex = new RegExp(policy.commitMessageRegex);
  const refusal = policy.rejectMessage || "Commit message does not follow the pattern '" + policy.commitMessageRegex + "'";
  for (const [, newrev] of updates) {
    if (newrev === zero) continue;
    const shas = git(['rev-list', newrev, '--not', '--all']).split('\n').filter(Boolean);
    for (const sha of shas) {
      const message = git(['log', '-1', '--format=%B', sha]).replace(/\n+$/, '');
      if (!regex.test(message)) refuse(refusal);
    }
  }
}
`;

/** Records exactly which refs a push changed, so the fake reacts like GitLab's post-receive. */
const POST_RECEIVE = `#!/bin/sh
if [ -n "$FAKE_GITLAB_PUSH_LOG" ]; then cat >> "$FAKE_GITLAB_PUSH_LOG"; else cat > /dev/null; fi
exit 0
`;

export function initBareRepoSync(repoDir: string, defaultBranch: string): void {
  fs.mkdirSync(path.dirname(repoDir), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, repoDir], {
    env: gitEnv(),
    stdio: 'pipe',
  });
  prepareBareRepoSync(repoDir);
}

/** Smart HTTP settings and the fake's hooks, for a new or a cloned (forked) bare repository. */
export function prepareBareRepoSync(repoDir: string): void {
  gitSync(repoDir, ['config', 'http.receivepack', 'true']);
  // Pushes over HTTP from old clients may send thin packs; keep objects loose for easy debugging.
  gitSync(repoDir, ['config', 'receive.unpackLimit', '1000']);
  // GitLab hides its internal refs (refs/merge-requests/*, ...) from pushes.
  gitSync(repoDir, ['config', 'receive.hideRefs', 'refs/merge-requests']);
  gitSync(repoDir, ['config', '--add', 'receive.hideRefs', 'refs/fake-gitlab']);
  // The fake's own scratch refs (rebases of fork MRs) are nobody's business.
  gitSync(repoDir, ['config', 'uploadpack.hideRefs', 'refs/fake-gitlab']);
  const hooks = path.join(repoDir, 'hooks');
  fs.mkdirSync(hooks, { recursive: true });
  fs.writeFileSync(path.join(hooks, 'pre-receive'), PRE_RECEIVE, { mode: 0o755 });
  fs.writeFileSync(path.join(hooks, 'post-receive'), POST_RECEIVE, { mode: 0o755 });
  fs.writeFileSync(path.join(hooks, 'fake-gitlab-push-checks.js'), PUSH_CHECKS_SCRIPT);
}

// --- writing commits ----------------------------------------------------------------------------

export interface Identity {
  name: string;
  email: string;
}

export interface FileCommit {
  ref: string;
  /** Parent commit; undefined for a root commit. */
  parent?: string;
  files: Record<string, string | null>;
  message: string;
  author: Identity;
}

/**
 * A `git fast-import` stream for one commit. fast-import writes blobs, nested trees, the commit
 * and the ref in one process, and refuses to move the ref if it no longer contains `parent`
 * (a concurrent push), which is the compare-and-swap we want.
 */
function fastImportStream(c: FileCommit): string {
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const ident = `${c.author.name} <${c.author.email}> ${when}`;
  const data = (s: string): string => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let out = `commit ${c.ref}\nmark :1\nauthor ${ident}\ncommitter ${ident}\n${data(c.message)}`;
  if (c.parent) out += `from ${c.parent}\n`;
  for (const [file, content] of Object.entries(c.files)) {
    const quoted = JSON.stringify(file); // fast-import accepts C-style quoted paths
    out += content === null ? `D ${quoted}\n` : `M 100644 inline ${quoted}\n${data(content)}`;
  }
  return `${out}\n`;
}

const FAST_IMPORT = ['fast-import', '--quiet', '--date-format=raw'];

export function commitFilesSync(repo: string, c: FileCommit): string {
  gitSync(repo, FAST_IMPORT, { input: fastImportStream(c) });
  return revParseSync(repo, c.ref) as string;
}

export async function commitFiles(repo: string, c: FileCommit): Promise<string> {
  await git(repo, FAST_IMPORT, { input: fastImportStream(c) });
  const sha = await revParse(repo, c.ref);
  if (!sha) throw new Error(`commit to ${c.ref} left no ref`);
  return sha;
}

/** Writes a commit object for an existing tree (merge and squash commits). */
export async function commitTree(
  repo: string,
  tree: string,
  parents: string[],
  message: string,
  who: Identity,
): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  const env = {
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
  };
  const { stdout } = await git(repo, args, { input: message, env });
  return stdout.trim();
}

/** commitTree for setup paths and the MR refresh, which must not interleave with requests. */
export function commitTreeSync(repo: string, tree: string, parents: string[], message: string, who: Identity): string {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  const env = {
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
  };
  return gitSync(repo, args, { input: message, env }).stdout.trim();
}

export function updateRefSync(repo: string, ref: string, next: string): void {
  gitSync(repo, ['update-ref', ref, next]);
}

export function mergeTreeSync(repo: string, ours: string, theirs: string): string | undefined {
  const { code, stdout } = gitSync(repo, ['merge-tree', '--write-tree', '--no-messages', ours, theirs], {
    okCodes: [1],
  });
  return code === 0 ? stdout.split('\n')[0].trim() : undefined;
}

/**
 * Copies commit `sha` (and what it needs) from another bare repo into `ref` of `repo`, as
 * GitLab fetches a fork's source branch into the target's refs/merge-requests/<iid>/head.
 */
export function fetchCommitSync(repo: string, fromRepo: string, sha: string, ref: string): void {
  gitSync(repo, [
    'fetch',
    '--quiet',
    '--no-tags',
    '--upload-pack',
    'git -c uploadpack.allowAnySHA1InWant=true upload-pack',
    fromRepo,
    `+${sha}:${ref}`,
  ]);
}

/** The async twin of fetchCommitSync, for request paths (API rebases of fork MRs). */
export async function fetchCommit(repo: string, fromRepo: string, sha: string, ref: string): Promise<void> {
  await git(repo, [
    'fetch',
    '--quiet',
    '--no-tags',
    '--upload-pack',
    'git -c uploadpack.allowAnySHA1InWant=true upload-pack',
    fromRepo,
    `+${sha}:${ref}`,
  ]);
}

/** A bare copy of `fromRepo` with all its branches, as GitLab creates a fork. */
export function cloneBareSync(fromRepo: string, toRepo: string): void {
  fs.mkdirSync(path.dirname(toRepo), { recursive: true });
  execFileSync('git', ['clone', '--quiet', '--bare', '--no-tags', fromRepo, toRepo], { env: gitEnv(), stdio: 'pipe' });
}

/** Moves a ref only if it still points at `expected` (ZERO_SHA: must not exist). */
export async function updateRef(repo: string, ref: string, next: string, expected: string): Promise<void> {
  await git(repo, ['update-ref', ref, next, expected]);
}

export async function deleteRef(repo: string, ref: string, expected: string): Promise<void> {
  await git(repo, ['update-ref', '-d', ref, expected]);
}

// --- reading ----------------------------------------------------------------------------------

export function revParseSync(repo: string, rev: string): string | undefined {
  const { code, stdout } = gitSync(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], {
    okCodes: [1],
  });
  return code === 0 ? stdout.trim() : undefined;
}

export async function revParse(repo: string, rev: string): Promise<string | undefined> {
  const { code, stdout } = await git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], {
    okCodes: [1],
  });
  return code === 0 ? stdout.trim() : undefined;
}

const INFO_FORMAT = '%H%x00%P%x00%an%x00%ae%x00%aI%x00%B%x1e';

function parseInfos(out: string): CommitInfo[] {
  return out
    .split('\x1e')
    .map((s) => s.replace(/^\n/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      const [sha, parents, authorName, authorEmail, timestamp, message] = s.split('\0');
      const msg = (message ?? '').replace(/\n+$/, '\n');
      return {
        sha,
        parents: parents ? parents.split(' ') : [],
        authorName,
        authorEmail,
        timestamp,
        message: msg,
        title: msg.split('\n')[0],
      };
    });
}

export function commitInfoSync(repo: string, rev: string): CommitInfo {
  const { stdout } = gitSync(repo, ['log', '-1', `--format=${INFO_FORMAT}`, rev]);
  return parseInfos(stdout)[0];
}

export async function commitInfo(repo: string, rev: string): Promise<CommitInfo> {
  const { stdout } = await git(repo, ['log', '-1', `--format=${INFO_FORMAT}`, rev]);
  return parseInfos(stdout)[0];
}

/**
 * Commits reachable from `rev` but from none of `exclude`, newest first (by date; with
 * `topoOrder`, children always before parents, which same-second commits need).
 */
export async function commitsBetween(
  repo: string,
  rev: string,
  exclude: string[],
  max = 20,
  opts: { topoOrder?: boolean } = {},
): Promise<CommitInfo[]> {
  const { stdout } = await git(repo, [
    'log',
    ...(opts.topoOrder ? ['--topo-order'] : []),
    `--max-count=${max}`,
    `--format=${INFO_FORMAT}`,
    rev,
    ...exclude.map((e) => `^${e}`),
  ]);
  return parseInfos(stdout);
}

export function logSync(repo: string, rev: string, max: number): CommitInfo[] {
  // Commit times have one-second resolution; topo order keeps children before parents anyway.
  const { stdout } = gitSync(repo, ['log', '--topo-order', `--max-count=${max}`, `--format=${INFO_FORMAT}`, rev]);
  return parseInfos(stdout);
}

export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  const { code } = await git(repo, ['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [1] });
  return code === 0;
}

export async function mergeBase(repo: string, a: string, b: string): Promise<string | undefined> {
  const { code, stdout } = await git(repo, ['merge-base', a, b], { okCodes: [1] });
  return code === 0 ? stdout.trim() : undefined;
}

/** The tree a merge of `theirs` into `ours` would have, or undefined on conflicts. */
export async function mergeTree(repo: string, ours: string, theirs: string): Promise<string | undefined> {
  const { code, stdout } = await git(repo, ['merge-tree', '--write-tree', '--no-messages', ours, theirs], {
    okCodes: [1],
  });
  return code === 0 ? stdout.split('\n')[0].trim() : undefined;
}

export async function treeOf(repo: string, commit: string): Promise<string> {
  const { stdout } = await git(repo, ['rev-parse', `${commit}^{tree}`]);
  return stdout.trim();
}

export async function listBranches(repo: string): Promise<Map<string, string>> {
  const { stdout } = await git(repo, ['for-each-ref', '--format=%(refname:lstrip=2) %(objectname)', 'refs/heads/']);
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.lastIndexOf(' ');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

// --- rebasing -----------------------------------------------------------------------------------

export type RebaseResult = { ok: true; sha: string } | { ok: false; error: string };

/**
 * A real `git rebase` of `head` onto `onto` in a throwaway worktree of the bare repository, as
 * `committer` (authors are kept; commit times are now, so the result is not deterministic).
 * No ref is moved: the caller updates the branch.
 */
export async function rebaseCommits(
  repo: string,
  head: string,
  onto: string,
  committer: Identity,
): Promise<RebaseResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-rebase-'));
  const env = { GIT_COMMITTER_NAME: committer.name, GIT_COMMITTER_EMAIL: committer.email };
  try {
    await git(repo, ['worktree', 'add', '--quiet', '--detach', dir, head]);
    const failure = await spawnGit(['rebase', '--quiet', onto], { cwd: dir, env }).then(
      () => undefined,
      (e: unknown) => (e instanceof GitError ? e.stderr.trim() : String(e)),
    );
    if (failure !== undefined) {
      await spawnGit(['rebase', '--abort'], { cwd: dir, env }).catch(() => undefined);
      return { ok: false, error: failure || 'rebase failed' };
    }
    const { stdout } = await spawnGit(['rev-parse', 'HEAD'], { cwd: dir, env });
    return { ok: true, sha: stdout.trim() };
  } finally {
    await git(repo, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await git(repo, ['worktree', 'prune']).catch(() => undefined);
  }
}
