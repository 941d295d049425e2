// GitWorkspace against real git: bare "forge" repos in a temp dir, a developer clone making the
// commits, and the workspace rebasing / merging and pushing with a lease.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitWorkspace, GitWorkspaceError, redactUrl, type GitWorkspaceOptions, type RebaseRequest } from '../../../src/git/workspace';

const BOT = { name: 'Shepherd Bot', email: 'shepherd@example.com' };

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-git-'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let seq = 0;
function tmp(name: string): string {
  const dir = path.join(root, `${name}-${++seq}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Developer-side git: the test's own identity and dates, no ambient GIT_* influence.
function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', '-c', 'commit.gpgSign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

let clock = 1_600_000_000;
function commit(dev: string, file: string, content: string, message: string): string {
  fs.writeFileSync(path.join(dev, file), content);
  git(dev, ['add', file]);
  const date = `@${(clock += 60)} +0200`;
  git(dev, ['commit', '-q', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return git(dev, ['rev-parse', 'HEAD']);
}

interface Forge {
  bare: string;
  dev: string;
  pushLog: string;
}

/** A bare repo that logs every push it receives, and a developer clone of it. */
function makeForge(): Forge {
  const dir = tmp('forge');
  const bare = path.join(dir, 'app.git');
  const pushLog = path.join(dir, 'pushes.log');
  git(dir, ['init', '-q', '--bare', '-b', 'main', bare]);
  const hook = path.join(bare, 'hooks', 'post-receive');
  fs.writeFileSync(hook, `#!/bin/sh\ncat >> '${pushLog}'\n`);
  fs.chmodSync(hook, 0o755);
  const dev = path.join(dir, 'dev');
  git(dir, ['clone', '-q', bare, dev]);
  git(dev, ['checkout', '-q', '-b', 'main']);
  return { bare, dev, pushLog };
}

function pushes(forge: Forge): string[] {
  return fs.existsSync(forge.pushLog) ? fs.readFileSync(forge.pushLog, 'utf8').split('\n').filter(Boolean) : [];
}

function remoteHead(forge: Forge, branch: string): string {
  return git(forge.bare, ['rev-parse', `refs/heads/${branch}`]);
}

/** main: c1, c2 (moved after the branch point); feature: c1 + f1, f2. Pushed, push log reset. */
function divergedForge(): Forge & { feature: string; main: string } {
  const forge = makeForge();
  commit(forge.dev, 'a.txt', 'base\n', 'c1');
  git(forge.dev, ['checkout', '-q', '-b', 'feature']);
  commit(forge.dev, 'f1.txt', 'one\n', 'f1');
  const feature = commit(forge.dev, 'f2.txt', 'two\n', 'f2');
  git(forge.dev, ['checkout', '-q', 'main']);
  const main = commit(forge.dev, 'm.txt', 'main moved\n', 'c2');
  git(forge.dev, ['push', '-q', 'origin', 'main', 'feature']);
  fs.rmSync(forge.pushLog, { force: true });
  return { ...forge, feature, main };
}

function workspace(extra: Partial<GitWorkspaceOptions> = {}): { ws: GitWorkspace; cacheDir: string } {
  const cacheDir = tmp('cache');
  return { ws: new GitWorkspace({ cacheDir, gitTimeoutMs: 20_000, committer: BOT, ...extra }), cacheDir };
}

function request(forge: Forge, expectedSourceSha: string, extra: Partial<RebaseRequest> = {}): RebaseRequest {
  return {
    projectKey: 'gitlab/group/app',
    remoteUrl: `file://${forge.bare}`,
    sourceBranch: 'feature',
    targetBranch: 'main',
    expectedSourceSha,
    ...extra,
  };
}

function cloneDirs(cacheDir: string): string[] {
  return fs.readdirSync(cacheDir).map((d) => path.join(cacheDir, d));
}

function expectCleanCache(cacheDir: string): void {
  const clones = cloneDirs(cacheDir);
  expect(clones).toHaveLength(1);
  const [clone] = clones;
  expect(git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  expect(fs.existsSync(path.join(clone, '.git', 'rebase-merge'))).toBe(false);
  expect(fs.existsSync(path.join(clone, '.git', 'rebase-apply'))).toBe(false);
  expect(fs.existsSync(path.join(clone, '.git', 'MERGE_HEAD'))).toBe(false);
}

describe('GitWorkspace.rebaseAndPush (real git)', () => {
  test('rebases onto a moved target, pushes a linear history, and a retry does not push again', async () => {
    const forge = divergedForge();
    let ticks = 0;
    const { ws, cacheDir } = workspace({ onProgress: () => void ticks++ });

    const outcome = await ws.rebaseAndPush(request(forge, forge.feature));
    expect(outcome).toEqual({ kind: 'pushed', sha: expect.any(String), targetSha: forge.main });
    if (outcome.kind !== 'pushed') throw new Error('unreachable');
    expect(ticks).toBeGreaterThan(3);

    // The remote moved to the result: MR commits on top of the target, linear, committed by the bot
    // with committer date = author date (deterministic).
    expect(remoteHead(forge, 'feature')).toBe(outcome.sha);
    expect(git(forge.bare, ['log', '--format=%s', 'main..feature']).split('\n')).toEqual(['f2', 'f1']);
    expect(git(forge.bare, ['rev-parse', 'feature~2'])).toBe(forge.main);
    for (const line of git(forge.bare, ['rev-list', '--parents', 'feature']).split('\n')) {
      expect(line.split(' ').length).toBeLessThanOrEqual(2);
    }
    for (const line of git(forge.bare, ['log', '--format=%an|%cn|%ce|%ad|%cd', 'main..feature']).split('\n')) {
      const [an, cn, ce, ad, cd] = line.split('|');
      expect([an, cn, ce]).toEqual(['Dev', BOT.name, BOT.email]);
      expect(cd).toBe(ad);
    }
    expect(pushes(forge)).toHaveLength(1);
    expectCleanCache(cacheDir);

    // The activity is retried after the first push succeeded: same answer, no second push.
    const again = await ws.rebaseAndPush(request(forge, forge.feature));
    expect(again).toEqual(outcome);
    expect(pushes(forge)).toHaveLength(1);

    // ...and on another worker with an empty cache (it fetches the original head by SHA).
    const other = workspace();
    expect(await other.ws.rebaseAndPush(request(forge, forge.feature))).toEqual(outcome);
    expect(pushes(forge)).toHaveLength(1);
    git(cloneDirs(other.cacheDir)[0], ['cat-file', '-e', `${forge.feature}^{commit}`]);

    // ...and even when the forge no longer has the original commits: our result is a fixed point
    // of the rebase, so it is still recognised as our own push.
    git(forge.bare, ['gc', '-q', '--prune=now']);
    expect(() => git(forge.bare, ['cat-file', '-e', `${forge.feature}^{commit}`])).toThrow();
    expect(await workspace().ws.rebaseAndPush(request(forge, forge.feature))).toEqual(outcome);
    expect(pushes(forge)).toHaveLength(1);
  });

  test('two workspaces with different caches compute the identical SHAs (with message rewriting)', async () => {
    const forge = divergedForge();
    const mirror = path.join(path.dirname(forge.bare), 'mirror.git');
    git(path.dirname(forge.bare), ['clone', '-q', '--bare', forge.bare, mirror]);
    const rewriteMessage = (message: string, index: number, total: number): string =>
      `${message.trimEnd()}\n\nPart-of: !42 (${index + 1}/${total})\nReviewed-by: Alice <alice@example.com>\n`;

    const first = await workspace().ws.rebaseAndPush(request(forge, forge.feature, { rewriteMessage }));
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // "now" must not leak into the SHAs
    const second = await workspace().ws.rebaseAndPush({
      ...request(forge, forge.feature, { rewriteMessage }),
      remoteUrl: mirror,
    });

    expect(first.kind).toBe('pushed');
    expect(second).toEqual(first);
    expect(git(mirror, ['rev-parse', 'feature'])).toBe(remoteHead(forge, 'feature'));
    expect(git(forge.bare, ['log', '--format=%B', '-1', 'feature'])).toBe(
      'f2\n\nPart-of: !42 (2/2)\nReviewed-by: Alice <alice@example.com>',
    );
    expect(git(forge.bare, ['log', '--format=%s|%cn', 'main..feature']).split('\n')).toEqual([
      `f2|${BOT.name}`,
      `f1|${BOT.name}`,
    ]);
  });

  test('a conflict lists the files, leaves the remote untouched and the cache clean', async () => {
    const forge = makeForge();
    commit(forge.dev, 'a.txt', 'base\n', 'c1');
    commit(forge.dev, 'keep.txt', 'x\n', 'c1b');
    git(forge.dev, ['checkout', '-q', '-b', 'feature']);
    commit(forge.dev, 'a.txt', 'feature side\n', 'f1');
    const feature = commit(forge.dev, 'b.txt', 'fine\n', 'f2');
    git(forge.dev, ['checkout', '-q', 'main']);
    const main = commit(forge.dev, 'a.txt', 'main side\n', 'c2');
    git(forge.dev, ['push', '-q', 'origin', 'main', 'feature']);
    fs.rmSync(forge.pushLog, { force: true });

    const { ws, cacheDir } = workspace();
    expect(await ws.rebaseAndPush(request(forge, feature))).toEqual({ kind: 'conflict', files: ['a.txt'], targetSha: main });
    expect(remoteHead(forge, 'feature')).toBe(feature);
    expect(pushes(forge)).toHaveLength(0);
    expectCleanCache(cacheDir);

    // Same with the merge strategy.
    expect(await ws.rebaseAndPush(request(forge, feature, { strategy: 'merge' }))).toEqual({
      kind: 'conflict',
      files: ['a.txt'],
      targetSha: main,
    });
    expect(pushes(forge)).toHaveLength(0);
    expectCleanCache(cacheDir);

    // A crashed run's leftovers (stale index.lock, a half-done rebase, junk files) are cleared.
    const [clone] = cloneDirs(cacheDir);
    git(clone, ['checkout', '-q', '--detach', feature]);
    expect(() => git(clone, ['rebase', main])).toThrow();
    fs.writeFileSync(path.join(clone, 'junk.txt'), 'junk');
    fs.writeFileSync(path.join(clone, '.git', 'index.lock'), '');
    expect(await ws.rebaseAndPush(request(forge, feature))).toEqual({ kind: 'conflict', files: ['a.txt'], targetSha: main });
    expectCleanCache(cacheDir);
  });

  test('a foreign push between our fetch and our push gives source-moved', async () => {
    const forge = divergedForge();
    let foreign = '';
    const { ws, cacheDir } = workspace({
      beforePush: () => {
        git(forge.dev, ['checkout', '-q', 'feature']);
        git(forge.dev, ['reset', '-q', '--hard', forge.feature]);
        foreign = commit(forge.dev, 'dev.txt', 'late change\n', 'f3');
        git(forge.dev, ['push', '-q', 'origin', 'feature']);
      },
    });
    const outcome = await ws.rebaseAndPush(request(forge, forge.feature));
    expect(outcome).toEqual({ kind: 'source-moved', actualSha: foreign });
    expect(remoteHead(forge, 'feature')).toBe(foreign);
    expect(pushes(forge)).toHaveLength(1); // only the developer's
    expectCleanCache(cacheDir);

    // A stale expected head is recognised before any work is pushed.
    const stale = await workspace().ws.rebaseAndPush(request(forge, forge.feature));
    expect(stale).toEqual({ kind: 'source-moved', actualSha: foreign });
    expect(pushes(forge)).toHaveLength(1);
  });

  test('merge strategy creates a deterministic merge commit', async () => {
    const forge = divergedForge();
    const { ws } = workspace();
    const outcome = await ws.rebaseAndPush(request(forge, forge.feature, { strategy: 'merge' }));
    expect(outcome).toMatchObject({ kind: 'pushed', targetSha: forge.main });
    if (outcome.kind !== 'pushed') throw new Error('unreachable');
    expect(remoteHead(forge, 'feature')).toBe(outcome.sha);
    expect(git(forge.bare, ['rev-list', '--parents', '-1', 'feature'])).toBe(`${outcome.sha} ${forge.feature} ${forge.main}`);
    expect(git(forge.bare, ['log', '-1', '--format=%s|%an|%cn|%ct', 'feature'])).toBe(
      `Merge branch 'main' into feature|${BOT.name}|${BOT.name}|${git(forge.bare, ['log', '-1', '--format=%ct', forge.main])}`,
    );
    expect(pushes(forge)).toHaveLength(1);

    // Retried on another worker after the push: recognised, not pushed again.
    const retry = await workspace().ws.rebaseAndPush(request(forge, forge.feature, { strategy: 'merge' }));
    expect(retry).toEqual(outcome);
    expect(pushes(forge)).toHaveLength(1);
  });

  test('a source that already contains the target is up-to-date (nothing pushed)', async () => {
    const forge = makeForge();
    commit(forge.dev, 'a.txt', 'base\n', 'c1');
    const main = commit(forge.dev, 'b.txt', 'b\n', 'c2');
    git(forge.dev, ['checkout', '-q', '-b', 'feature']);
    const feature = commit(forge.dev, 'f.txt', 'f\n', 'f1');
    git(forge.dev, ['push', '-q', 'origin', 'main', 'feature']);
    fs.rmSync(forge.pushLog, { force: true });

    const { ws } = workspace();
    expect(await ws.rebaseAndPush(request(forge, feature))).toEqual({ kind: 'up-to-date', sha: feature, targetSha: main });
    expect(await ws.rebaseAndPush(request(forge, feature, { strategy: 'merge' }))).toEqual({
      kind: 'up-to-date',
      sha: feature,
      targetSha: main,
    });
    expect(pushes(forge)).toHaveLength(0);
  });

  test('missing branches are reported', async () => {
    const forge = divergedForge();
    const { ws } = workspace({ referenceRepo: path.join(root, 'no-such-reference.git') }); // "if able"
    expect(await ws.rebaseAndPush(request(forge, forge.feature, { sourceBranch: 'gone' }))).toEqual({
      kind: 'missing-branch',
      branch: 'gone',
    });
    expect(await ws.rebaseAndPush(request(forge, forge.feature, { targetBranch: 'release' }))).toEqual({
      kind: 'missing-branch',
      branch: 'release',
    });
  });

  test('concurrent identical requests on one project are serialised: one push, same answer', async () => {
    const forge = divergedForge();
    const { ws, cacheDir } = workspace({ referenceRepo: forge.bare });
    const [a, b] = await Promise.all([
      ws.rebaseAndPush(request(forge, forge.feature)),
      ws.rebaseAndPush(request(forge, forge.feature)),
    ]);
    expect(a.kind).toBe('pushed');
    expect(b).toEqual(a);
    expect(pushes(forge)).toHaveLength(1);
    expectCleanCache(cacheDir);
    const alternates = path.join(cloneDirs(cacheDir)[0], '.git', 'objects', 'info', 'alternates');
    expect(fs.readFileSync(alternates, 'utf8')).toContain(forge.bare);
  });

  test('credentials in the remote URL never appear in errors', async () => {
    const secret = 's3cretT0ken-xyz';
    const badUrl = `http://oauth2:${secret}@127.0.0.1:9/group/app.git`;

    // First use: the clone fails.
    const { ws } = workspace();
    const cloneError = await ws.rebaseAndPush({ ...request(makeForge(), 'a'.repeat(40)), remoteUrl: badUrl }).catch((e: unknown) => e);
    expect(cloneError).toBeInstanceOf(GitWorkspaceError);
    expect(String((cloneError as Error).message)).not.toContain(secret);
    expect(String((cloneError as Error).stack)).not.toContain(secret);
    expect(JSON.stringify(cloneError)).not.toContain(secret);

    // A cached clone whose fetch fails with the new (bad) URL.
    const forge = divergedForge();
    const cached = workspace().ws;
    await cached.rebaseAndPush(request(forge, forge.feature));
    const fetchError = await cached
      .rebaseAndPush({ ...request(forge, forge.feature), remoteUrl: badUrl })
      .catch((e: unknown) => e);
    expect(fetchError).toBeInstanceOf(GitWorkspaceError);
    expect((fetchError as Error).message).toMatch(/git fetch failed/);
    expect((fetchError as Error).message).not.toContain(secret);

    // Whatever else fails (here: the trailers hook) is scrubbed too, URL form or bare secret.
    const hookError = await cached
      .rebaseAndPush({
        ...request(forge, forge.feature),
        remoteUrl: `file://oauth2:${secret}@${forge.bare}`, // git ignores file:// userinfo
        rewriteMessage: () => {
          throw new Error(`cannot rewrite for ${badUrl} (token ${secret})`);
        },
      })
      .catch((e: unknown) => e);
    expect(hookError).toBeInstanceOf(GitWorkspaceError);
    expect((hookError as Error).message).toBe('cannot rewrite for http://***@127.0.0.1:9/group/app.git (token ***)');

    expect(redactUrl(`fatal: unable to access '${badUrl}': refused`)).toBe(
      "fatal: unable to access 'http://***@127.0.0.1:9/group/app.git': refused",
    );
    expect(redactUrl('https://user:p@ss@host/x and ssh://git@host/y')).toBe('https://***@host/x and ssh://***@host/y');
  });
});

describe('GitWorkspace.rebaseAndPush recognises its own earlier push after the target moved on', () => {
  /** The developer moves the target branch on the forge (another MR merged meanwhile). */
  function moveTarget(forge: Forge, file: string): string {
    git(forge.dev, ['checkout', '-q', 'main']);
    git(forge.dev, ['pull', '-q', '--ff-only', 'origin', 'main']);
    const moved = commit(forge.dev, file, `${file}\n`, `another MR: ${file}`);
    git(forge.dev, ['push', '-q', 'origin', 'main']);
    return moved;
  }

  test.each<[string, Partial<RebaseRequest>]>([
    ['rebase', {}],
    ['rebase with message rewriting', { rewriteMessage: (m, i, n) => `${m.trimEnd()}\n\nPart-of: !7 (${i + 1}/${n})\n` }],
    ['merge', { strategy: 'merge' }],
  ])('%s: the retry answers pushed with the old target and pushes nothing', async (_name, extra) => {
    const forge = divergedForge();
    const first = await workspace().ws.rebaseAndPush(request(forge, forge.feature, extra));
    expect(first).toMatchObject({ kind: 'pushed', targetSha: forge.main });
    const pushedHead = remoteHead(forge, 'feature');
    const moved = moveTarget(forge, 'later.txt');
    const featurePushes = (): string[] => pushes(forge).filter((line) => line.endsWith(' refs/heads/feature'));
    expect(featurePushes()).toHaveLength(1);

    // The same request again, on this worker and on a fresh one: still our push, built on the old target.
    const { ws } = workspace();
    expect(await ws.rebaseAndPush(request(forge, forge.feature, extra))).toEqual(first);
    expect(await workspace().ws.rebaseAndPush(request(forge, forge.feature, extra))).toEqual(first);
    // Twice moved, and moved in a way that now conflicts with the MR's files: still recognised.
    moveTarget(forge, 'f1.txt');
    expect(await ws.rebaseAndPush(request(forge, forge.feature, extra))).toEqual(first);

    expect(remoteHead(forge, 'feature')).toBe(pushedHead);
    expect(remoteHead(forge, 'main')).not.toBe(moved); // the second move landed too
    expect(featurePushes()).toHaveLength(1); // nothing pushed by the retries
  });

  test('a foreign push on top of our push is still source-moved after the target moved', async () => {
    const forge = divergedForge();
    const first = await workspace().ws.rebaseAndPush(request(forge, forge.feature));
    if (first.kind !== 'pushed') throw new Error(`expected pushed, got ${first.kind}`);
    moveTarget(forge, 'later.txt');
    git(forge.dev, ['fetch', '-q', 'origin']);
    git(forge.dev, ['checkout', '-q', '-B', 'feature', 'origin/feature']);
    const foreign = commit(forge.dev, 'dev.txt', 'more work\n', 'f3');
    git(forge.dev, ['push', '-q', 'origin', 'feature']);
    const before = pushes(forge).length;

    expect(await workspace().ws.rebaseAndPush(request(forge, forge.feature))).toEqual({ kind: 'source-moved', actualSha: foreign });
    expect(await workspace().ws.rebaseAndPush(request(forge, forge.feature, { strategy: 'merge' }))).toEqual({
      kind: 'source-moved',
      actualSha: foreign,
    });
    expect(remoteHead(forge, 'feature')).toBe(foreign);
    expect(pushes(forge)).toHaveLength(before);
  });

  test('a developer rebasing the same commits onto an older target is source-moved, not ours', async () => {
    const forge = divergedForge();
    moveTarget(forge, 'later.txt');
    // The developer rebases onto the first target commit they had, as themselves.
    git(forge.dev, ['checkout', '-q', '-B', 'feature', forge.feature]);
    git(forge.dev, ['rebase', '-q', forge.main], { GIT_COMMITTER_DATE: `@${(clock += 60)} +0000` });
    git(forge.dev, ['push', '-q', '--force', 'origin', 'feature']);
    const theirs = remoteHead(forge, 'feature');
    expect(git(forge.bare, ['rev-parse', 'feature~2'])).toBe(forge.main);

    expect(await workspace().ws.rebaseAndPush(request(forge, forge.feature))).toEqual({ kind: 'source-moved', actualSha: theirs });
    expect(remoteHead(forge, 'feature')).toBe(theirs);
  });
});

describe('GitWorkspace.rebaseAndPush for a merge request from a fork', () => {
  /** The target project's repo (main moved) and a fork of it holding the feature branch only. */
  function forkedForge(): { upstream: Forge; fork: Forge; feature: string; main: string } {
    const upstream = makeForge();
    commit(upstream.dev, 'a.txt', 'base\n', 'c1');
    git(upstream.dev, ['push', '-q', 'origin', 'main']);
    const fork = makeForge();
    git(fork.dev, ['fetch', '-q', upstream.bare, 'main']);
    git(fork.dev, ['checkout', '-q', '-b', 'feature', 'FETCH_HEAD']);
    commit(fork.dev, 'f1.txt', 'one\n', 'f1');
    const feature = commit(fork.dev, 'f2.txt', 'two\n', 'f2');
    git(fork.dev, ['push', '-q', 'origin', 'feature']);
    const main = commit(upstream.dev, 'm.txt', 'main moved\n', 'c2');
    git(upstream.dev, ['push', '-q', 'origin', 'main']);
    for (const f of [upstream, fork]) fs.rmSync(f.pushLog, { force: true });
    return { upstream, fork, feature, main };
  }

  function forkRequest(f: { upstream: Forge; fork: Forge }, expected: string, extra: Partial<RebaseRequest> = {}): RebaseRequest {
    return { ...request(f.upstream, expected), sourceRemoteUrl: `file://${f.fork.bare}`, ...extra };
  }

  test('rebases the fork branch onto the target project and pushes it to the fork only', async () => {
    const f = forkedForge();
    const { ws, cacheDir } = workspace();
    const outcome = await ws.rebaseAndPush(forkRequest(f, f.feature));
    expect(outcome).toEqual({ kind: 'pushed', sha: expect.any(String), targetSha: f.main });
    if (outcome.kind !== 'pushed') throw new Error('unreachable');

    expect(remoteHead(f.fork, 'feature')).toBe(outcome.sha);
    expect(git(f.fork.bare, ['rev-parse', 'feature~2'])).toBe(f.main);
    expect(git(f.fork.bare, ['log', '--format=%s', '-2', 'feature']).split('\n')).toEqual(['f2', 'f1']);
    expect(pushes(f.fork)).toHaveLength(1);
    expect(pushes(f.upstream)).toHaveLength(0);
    expect(() => git(f.upstream.bare, ['rev-parse', '--verify', '--quiet', 'refs/heads/feature'])).toThrow();
    expectCleanCache(cacheDir);

    // Retried, also on a worker that has not seen the fork: recognised, nothing pushed.
    expect(await ws.rebaseAndPush(forkRequest(f, f.feature))).toEqual(outcome);
    expect(await workspace().ws.rebaseAndPush(forkRequest(f, f.feature))).toEqual(outcome);
    expect(pushes(f.fork)).toHaveLength(1);

    // The same cache then serves a merge request of the target project itself.
    git(f.upstream.dev, ['checkout', '-q', '-b', 'own', 'main']);
    const own = commit(f.upstream.dev, 'o.txt', 'own\n', 'o1');
    git(f.upstream.dev, ['push', '-q', 'origin', 'own']);
    expect(await ws.rebaseAndPush(request(f.upstream, own, { sourceBranch: 'own' }))).toEqual({
      kind: 'up-to-date',
      sha: own,
      targetSha: f.main,
    });
  });

  test('the source branch and the lease are the fork’s', async () => {
    const f = forkedForge();
    // The target project has a branch of the same name, elsewhere: it must not be used.
    git(f.upstream.dev, ['checkout', '-q', '-b', 'feature', 'main']);
    commit(f.upstream.dev, 'decoy.txt', 'decoy\n', 'decoy');
    git(f.upstream.dev, ['push', '-q', 'origin', 'feature']);
    const decoy = remoteHead(f.upstream, 'feature');

    let foreign = '';
    const { ws } = workspace({
      beforePush: () => {
        git(f.fork.dev, ['checkout', '-q', 'feature']);
        foreign = commit(f.fork.dev, 'late.txt', 'late\n', 'f3');
        git(f.fork.dev, ['push', '-q', 'origin', 'feature']);
      },
    });
    expect(await ws.rebaseAndPush(forkRequest(f, f.feature))).toEqual({ kind: 'source-moved', actualSha: foreign });
    expect(remoteHead(f.fork, 'feature')).toBe(foreign);
    expect(remoteHead(f.upstream, 'feature')).toBe(decoy);

    expect(await workspace().ws.rebaseAndPush(forkRequest(f, f.feature, { sourceBranch: 'gone' }))).toEqual({
      kind: 'missing-branch',
      branch: 'gone',
    });
  });
});
