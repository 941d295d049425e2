// GitWorkspace.backportAndPush against real git: a bare "forge" repository in a temp dir whose
// main holds the merged change and whose release branch is the destination, a developer clone
// making the commits, and the workspace cherry-picking onto its backport branch and pushing with
// a lease. Each case also checks what was (not) pushed, from the bare repository's push log.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GitWorkspace,
  GitWorkspaceError,
  type BackportOutcome,
  type BackportRequest,
  type GitWorkspaceOptions,
} from '../../../src/git/workspace';
import { withToken } from '../../../src/worker';
import { FakeGitLab } from '../../fakes/gitlab';

const BOT = { name: 'Shepherd Bot', email: 'shepherd@example.com' };
const RELEASE = 'release-1.2';
const BRANCH = 'backport/42-to-release-1.2';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-backport-'));
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
    env: { ...clean, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

let clock = 1_600_000_000;
function nextDate(): Record<string, string> {
  const date = `@${(clock += 60)} +0200`;
  return { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
}

/** One commit changing `files` (null deletes) on the dev clone's current branch. */
function commit(dev: string, files: Record<string, string | null>, message: string): string {
  for (const [file, content] of Object.entries(files)) {
    if (content === null) git(dev, ['rm', '-q', file]);
    else {
      fs.writeFileSync(path.join(dev, file), content);
      git(dev, ['add', file]);
    }
  }
  git(dev, ['commit', '-q', '-m', message], nextDate());
  return git(dev, ['rev-parse', 'HEAD']);
}

interface Forge {
  bare: string;
  dev: string;
  pushLog: string;
}

/**
 * A bare repo that logs every push it receives ("old new ref" lines) and a developer clone:
 * main c1 (a.txt, shared.txt), the release branch forked there with a release-only commit, and
 * main moved on with a commit of its own. Push log reset.
 */
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
  commit(dev, { 'a.txt': 'one\ntwo\nthree\n', 'shared.txt': 'shared\n' }, 'c1');
  git(dev, ['checkout', '-q', '-b', RELEASE]);
  commit(dev, { 'release.txt': '1.2\n' }, 'Prepare 1.2');
  git(dev, ['checkout', '-q', 'main']);
  commit(dev, { 'main.txt': 'next\n' }, 'Start 1.3');
  git(dev, ['push', '-q', 'origin', 'main', RELEASE]);
  fs.rmSync(pushLog, { force: true });
  return { bare, dev, pushLog };
}

/** Commits on main (as if merged there) and pushes them; returns their SHAs in order. */
function onMain(forge: Forge, commits: Array<[Record<string, string | null>, string]>): string[] {
  git(forge.dev, ['checkout', '-q', 'main']);
  const shas = commits.map(([files, message]) => commit(forge.dev, files, message));
  git(forge.dev, ['push', '-q', 'origin', 'main']);
  fs.rmSync(forge.pushLog, { force: true });
  return shas;
}

function pushes(forge: Forge): string[] {
  return fs.existsSync(forge.pushLog) ? fs.readFileSync(forge.pushLog, 'utf8').split('\n').filter(Boolean) : [];
}

function remoteHead(forge: Forge, branch: string): string | null {
  try {
    return git(forge.bare, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
  } catch {
    return null;
  }
}

function workspace(extra: Partial<GitWorkspaceOptions> = {}): { ws: GitWorkspace; cacheDir: string } {
  const cacheDir = tmp('cache');
  return { ws: new GitWorkspace({ cacheDir, gitTimeoutMs: 20_000, committer: BOT, ...extra }), cacheDir };
}

function request(forge: Forge, picks: BackportRequest['picks'], extra: Partial<BackportRequest> = {}): BackportRequest {
  return {
    projectKey: 'gitlab/group/app',
    remoteUrl: `file://${forge.bare}`,
    destinationBranch: RELEASE,
    backportBranch: BRANCH,
    picks,
    onConflict: 'stop',
    ...extra,
  };
}

const shasOf = (...shas: string[]): BackportRequest['picks'] => shas.map((sha) => ({ sha }));

function expectCleanCache(cacheDir: string): void {
  const clones = fs.readdirSync(cacheDir).map((d) => path.join(cacheDir, d));
  expect(clones).toHaveLength(1);
  const [clone] = clones;
  expect(git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  expect(fs.existsSync(path.join(clone, '.git', 'CHERRY_PICK_HEAD'))).toBe(false);
  expect(fs.existsSync(path.join(clone, '.git', 'sequencer'))).toBe(false);
}

/** The backport branch's own commits, oldest first: sha, subject, the commit it says it picks. */
function branchCommits(forge: Forge): Array<{ sha: string; subject: string; from: string | undefined }> {
  const shas = git(forge.bare, ['rev-list', '--reverse', `${RELEASE}..${BRANCH}`]).split('\n').filter(Boolean);
  return shas.map((sha) => {
    const message = git(forge.bare, ['log', '-1', '--format=%B', sha]);
    const from = [...message.matchAll(/^\(cherry picked from commit ([0-9a-f]+)\)$/gm)].pop()?.[1];
    return { sha, subject: git(forge.bare, ['log', '-1', '--format=%s', sha]), from };
  });
}

function fileAt(forge: Forge, rev: string, file: string): string {
  return git(forge.bare, ['show', `${rev}:${file}`]);
}

/** The developer puts a commit of their own on top of the remote backport branch. */
function humanCommitOnBranch(forge: Forge, file: string): string {
  git(forge.dev, ['fetch', '-q', 'origin']);
  git(forge.dev, ['checkout', '-q', '-B', BRANCH, `origin/${BRANCH}`]);
  const sha = commit(forge.dev, { [file]: 'by hand\n' }, `Fix ${file} by hand`);
  git(forge.dev, ['push', '-q', 'origin', BRANCH]);
  git(forge.dev, ['checkout', '-q', 'main']);
  return sha;
}

describe('GitWorkspace.backportAndPush (real git)', () => {
  test('a rebase-style merge request: three commits picked in order with -x lines, authorship kept', async () => {
    const forge = makeForge();
    const [f1, f2, f3] = onMain(forge, [
      [{ 'f1.txt': 'one\n' }, 'Add f1'],
      [{ 'f2.txt': 'two\n' }, 'Add f2\n\nWith a body.'],
      [{ 'a.txt': 'one\ntwo\nthree\nfour\n' }, 'Extend a'],
    ]);
    const release = remoteHead(forge, RELEASE);
    const elsewhere = makeForgeCopy(forge);
    let ticks = 0;
    const { ws, cacheDir } = workspace({ onProgress: () => void ticks++ });
    let ownTicks = 0;

    const outcome = await ws.backportAndPush(request(forge, shasOf(f1, f2, f3)), () => void ownTicks++);
    const head = remoteHead(forge, BRANCH);
    expect(outcome).toEqual({
      kind: 'pushed',
      head,
      picked: branchCommits(forge).map((c, i) => ({ sha: [f1, f2, f3][i], newSha: c.sha, subject: c.subject })),
      skipped: [],
      reused: false,
    });
    expect(ticks).toBeGreaterThan(3);
    expect(ownTicks).toBe(ticks);

    expect(branchCommits(forge)).toEqual([
      { sha: expect.any(String), subject: 'Add f1', from: f1 },
      { sha: expect.any(String), subject: 'Add f2', from: f2 },
      { sha: expect.any(String), subject: 'Extend a', from: f3 },
    ]);
    expect(git(forge.bare, ['rev-parse', `${BRANCH}~3`])).toBe(release);
    expect(git(forge.bare, ['log', '-1', '--format=%B', `${BRANCH}~1`])).toBe(`Add f2\n\nWith a body.\n\n(cherry picked from commit ${f2})`);
    for (const line of git(forge.bare, ['log', '--format=%an|%ae|%cn|%ce|%ad|%cd', `${RELEASE}..${BRANCH}`]).split('\n')) {
      const [an, ae, cn, ce, ad, cd] = line.split('|');
      expect([an, ae, cn, ce]).toEqual(['Dev', 'dev@example.com', BOT.name, BOT.email]);
      expect(cd).toBe(ad); // deterministic: a retry on another worker builds the same SHAs
    }
    expect(fileAt(forge, BRANCH, 'a.txt')).toBe('one\ntwo\nthree\nfour');
    expect(fileAt(forge, BRANCH, 'release.txt')).toBe('1.2');
    expect(() => fileAt(forge, BRANCH, 'main.txt')).toThrow(); // only the picks came over
    expect(remoteHead(forge, RELEASE)).toBe(release); // the destination itself is never pushed
    expect(pushes(forge)).toEqual([`${'0'.repeat(40)} ${head} refs/heads/${BRANCH}`]);
    expectCleanCache(cacheDir);

    // The same picks built by another worker from scratch are the same commits.
    const again = await workspace().ws.backportAndPush({ ...request(forge, shasOf(f1, f2, f3)), remoteUrl: elsewhere });
    expect(again).toEqual(outcome);
  });

  test('a merge commit is picked with mainline 1 as one commit; without mainline it is refused', async () => {
    const forge = makeForge();
    git(forge.dev, ['checkout', '-q', '-b', 'feature', 'main~1']);
    commit(forge.dev, { 'm1.txt': 'm1\n' }, 'Feature part 1');
    commit(forge.dev, { 'a.txt': 'one\n2\nthree\n' }, 'Feature part 2');
    git(forge.dev, ['checkout', '-q', 'main']);
    git(forge.dev, ['merge', '-q', '--no-ff', '-m', "Merge branch 'feature' into 'main'", 'feature'], nextDate());
    git(forge.dev, ['push', '-q', 'origin', 'main']);
    fs.rmSync(forge.pushLog, { force: true });
    const merge = git(forge.dev, ['rev-parse', 'HEAD']);
    const { ws, cacheDir } = workspace();

    const refused = await ws.backportAndPush(request(forge, shasOf(merge))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GitWorkspaceError);
    expect((refused as Error).message).toMatch(/merge commit.*mainline 1/);

    const outcome = await ws.backportAndPush(request(forge, [{ sha: merge, mainline: 1 }]));
    expect(outcome).toMatchObject({ kind: 'pushed', picked: [{ sha: merge, subject: "Merge branch 'feature' into 'main'" }], skipped: [] });
    expect(branchCommits(forge)).toEqual([{ sha: remoteHead(forge, BRANCH), subject: "Merge branch 'feature' into 'main'", from: merge }]);
    expect(git(forge.bare, ['rev-list', '--parents', '-1', BRANCH]).split(' ')).toHaveLength(2); // one parent
    expect(fileAt(forge, BRANCH, 'm1.txt')).toBe('m1');
    expect(fileAt(forge, BRANCH, 'a.txt')).toBe('one\n2\nthree');
    expect(() => fileAt(forge, BRANCH, 'main.txt')).toThrow(); // mainline's own change stays out
    expect(pushes(forge)).toHaveLength(1);
    expectCleanCache(cacheDir);
  });

  test('a squash commit is picked as one commit with all its changes', async () => {
    const forge = makeForge();
    const [squash] = onMain(forge, [
      [{ 's1.txt': 's1\n', 'a.txt': 'one\ntwo\nthree\nsquashed\n', 'shared.txt': null }, 'Squashed feature (!42)\n\n* part one\n* part two'],
    ]);
    const outcome = await workspace().ws.backportAndPush(request(forge, shasOf(squash)));
    expect(outcome).toMatchObject({ kind: 'pushed', picked: [{ sha: squash, subject: 'Squashed feature (!42)' }], reused: false });
    expect(git(forge.bare, ['diff', '--name-status', RELEASE, BRANCH]).split('\n')).toEqual(['M\ta.txt', 'A\ts1.txt', 'D\tshared.txt']);
    expect(git(forge.bare, ['log', '-1', '--format=%B', BRANCH])).toBe(
      `Squashed feature (!42)\n\n* part one\n* part two\n\n(cherry picked from commit ${squash})`,
    );
  });

  test('a pick already on the destination is skipped, and a re-run recognises the gap', async () => {
    const forge = makeForge();
    const [p1, p2, p3] = onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
      [{ 'p3.txt': '3\n' }, 'P3'],
    ]);
    // Someone already brought P2 to the release by hand (no -x line).
    git(forge.dev, ['checkout', '-q', RELEASE]);
    git(forge.dev, ['cherry-pick', p2], nextDate());
    git(forge.dev, ['push', '-q', 'origin', RELEASE]);
    git(forge.dev, ['checkout', '-q', 'main']);
    fs.rmSync(forge.pushLog, { force: true });
    const { ws, cacheDir } = workspace();

    const outcome = await ws.backportAndPush(request(forge, shasOf(p1, p2, p3)));
    const commits = branchCommits(forge);
    expect(commits.map((c) => c.from)).toEqual([p1, p3]);
    expect(outcome).toEqual({
      kind: 'pushed',
      head: remoteHead(forge, BRANCH),
      picked: [
        { sha: p1, newSha: commits[0].sha, subject: 'P1' },
        { sha: p3, newSha: commits[1].sha, subject: 'P3' },
      ],
      skipped: [{ sha: p2, subject: 'P2' }],
      reused: false,
    });
    expectCleanCache(cacheDir);

    expect(await ws.backportAndPush(request(forge, shasOf(p1, p2, p3)))).toEqual({ ...outcome, reused: true });
    expect(pushes(forge)).toHaveLength(1);
  });

  test('every pick already on the destination: nothing to pick, no branch made', async () => {
    const forge = makeForge();
    const [p1, p2] = onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
    ]);
    git(forge.dev, ['checkout', '-q', RELEASE]);
    git(forge.dev, ['merge', '-q', '--no-edit', 'main'], nextDate()); // the release took all of main
    git(forge.dev, ['push', '-q', 'origin', RELEASE]);
    fs.rmSync(forge.pushLog, { force: true });
    const { ws, cacheDir } = workspace();

    expect(await ws.backportAndPush(request(forge, shasOf(p1, p2)))).toEqual({
      kind: 'nothing-to-pick',
      skipped: [
        { sha: p1, subject: 'P1' },
        { sha: p2, subject: 'P2' },
      ],
    });
    expect(remoteHead(forge, BRANCH)).toBeNull();
    expect(pushes(forge)).toHaveLength(0);
    expectCleanCache(cacheDir);
  });

  describe('a pick that conflicts', () => {
    /** P1 applies; P2 changes lines of a.txt and b.txt that the release changed differently. */
    function conflictingForge(): Forge & { p1: string; p2: string; p3: string } {
      const forge = makeForge();
      git(forge.dev, ['checkout', '-q', RELEASE]);
      commit(forge.dev, { 'a.txt': 'one\nTWO on 1.2\nthree\n', 'b.txt': 'release b\n' }, 'Release fix');
      git(forge.dev, ['push', '-q', 'origin', RELEASE]);
      const [p1, p2, p3] = onMain(forge, [
        [{ 'p1.txt': '1\n' }, 'P1'],
        [{ 'a.txt': 'one\ntwo on main\nthree\n', 'b.txt': 'main b\n' }, 'P2 touches a and b'],
        [{ 'p3.txt': '3\n' }, 'P3'],
      ]);
      return { ...forge, p1, p2, p3 };
    }

    test('stop: the files and the pick are named, nothing is pushed, the cache is clean', async () => {
      const forge = conflictingForge();
      const { ws, cacheDir } = workspace();
      const outcome = await ws.backportAndPush(request(forge, shasOf(forge.p1, forge.p2, forge.p3)));
      expect(outcome).toEqual({
        kind: 'conflict',
        files: ['a.txt', 'b.txt'],
        at: forge.p2,
        picked: [{ sha: forge.p1, newSha: expect.stringMatching(/^[0-9a-f]{40}$/), subject: 'P1' }],
        skipped: [],
      });
      expect(remoteHead(forge, BRANCH)).toBeNull();
      expect(pushes(forge)).toHaveLength(0);
      expectCleanCache(cacheDir);

      // A crashed run's leftovers (a cherry-pick stopped half-way, junk, a stale index.lock) are cleared.
      const [clone] = fs.readdirSync(cacheDir).map((d) => path.join(cacheDir, d));
      git(clone, ['checkout', '-q', '--detach', `origin/${RELEASE}`]);
      expect(() => git(clone, ['cherry-pick', forge.p2])).toThrow();
      expect(fs.existsSync(path.join(clone, '.git', 'CHERRY_PICK_HEAD'))).toBe(true);
      fs.writeFileSync(path.join(clone, 'junk.txt'), 'junk');
      fs.writeFileSync(path.join(clone, '.git', 'index.lock'), '');
      expect(await ws.backportAndPush(request(forge, shasOf(forge.p1, forge.p2, forge.p3)))).toEqual(outcome);
      expectCleanCache(cacheDir);
    });

    test('commit-conflict: the markers are committed and pushed; a re-run finds it again; a resolution by hand is left alone', async () => {
      const forge = conflictingForge();
      const { ws, cacheDir } = workspace();
      const req = request(forge, shasOf(forge.p1, forge.p2, forge.p3), { onConflict: 'commit-conflict' });
      const outcome = await ws.backportAndPush(req);
      const head = remoteHead(forge, BRANCH);
      expect(outcome).toEqual({
        kind: 'conflict',
        files: ['a.txt', 'b.txt'],
        at: forge.p2,
        picked: [{ sha: forge.p1, newSha: git(forge.bare, ['rev-parse', `${BRANCH}~1`]), subject: 'P1' }],
        skipped: [],
        pushedHead: head,
      });
      expect(branchCommits(forge).map((c) => [c.subject, c.from])).toEqual([
        ['P1', forge.p1],
        [`Conflicted cherry-pick of ${forge.p2} (resolve the markers)`, forge.p2],
      ]);
      expect(fileAt(forge, BRANCH, 'a.txt')).toBe(
        `one\n<<<<<<< HEAD\nTWO on 1.2\n=======\ntwo on main\n>>>>>>> ${forge.p2} (P2 touches a and b)\nthree`,
      );
      expect(fileAt(forge, BRANCH, 'b.txt')).toMatch(/^<<<<<<< HEAD\nrelease b\n=======\nmain b\n>>>>>>> /);
      const message = git(forge.bare, ['log', '-1', '--format=%B', BRANCH]);
      expect(message).toContain('conflicted in:\n\n    a.txt\n    b.txt\n');
      expect(message).toContain('P2 touches a and b');
      expect(message.endsWith(`(cherry picked from commit ${forge.p2})`)).toBe(true);
      expect(git(forge.bare, ['log', '-1', '--format=%an|%cn|%ad|%cd', BRANCH])).toBe(
        `Dev|${BOT.name}|${git(forge.bare, ['log', '-1', '--format=%ad', forge.p2])}|${git(forge.bare, ['log', '-1', '--format=%ad', forge.p2])}`,
      );
      expect(pushes(forge)).toHaveLength(1);
      expectCleanCache(cacheDir);

      // Retried (also on another worker, also with `stop`): the same answer, nothing pushed.
      expect(await ws.backportAndPush(req)).toEqual(outcome);
      expect(await workspace().ws.backportAndPush({ ...req, onConflict: 'stop' })).toEqual(outcome);
      expect(pushes(forge)).toHaveLength(1);

      // A human resolves it by amending the conflict commit: no longer ours, and never pushed over.
      git(forge.dev, ['fetch', '-q', 'origin']);
      git(forge.dev, ['checkout', '-q', '-B', BRANCH, `origin/${BRANCH}`]);
      fs.writeFileSync(path.join(forge.dev, 'a.txt'), 'one\nTWO on 1.2\nthree\n');
      fs.writeFileSync(path.join(forge.dev, 'b.txt'), 'release b\nmain b\n');
      git(forge.dev, ['commit', '-q', '--all', '--amend', '--no-edit'], nextDate());
      git(forge.dev, ['push', '-q', '--force', 'origin', BRANCH]);
      const resolved = remoteHead(forge, BRANCH) as string;
      const before = pushes(forge).length;
      expect(await ws.backportAndPush(req)).toEqual({ kind: 'branch-taken', head: resolved });
      expect(remoteHead(forge, BRANCH)).toBe(resolved);
      expect(pushes(forge)).toHaveLength(before);
    });
  });

  test('re-running after a successful push pushes nothing and answers the same head, on any worker', async () => {
    const forge = makeForge();
    const picks = shasOf(...onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
    ]));
    const { ws, cacheDir } = workspace();
    // Two identical requests at once (a retry racing its original) are serialised by the clone's lock.
    const [first, concurrent] = await Promise.all([ws.backportAndPush(request(forge, picks)), ws.backportAndPush(request(forge, picks))]);
    expect(first).toMatchObject({ kind: 'pushed', reused: false });
    const reusedAnswer: BackportOutcome = { ...first, reused: true } as BackportOutcome;
    expect(concurrent).toEqual(reusedAnswer);
    expect(await ws.backportAndPush(request(forge, picks))).toEqual(reusedAnswer);
    expect(await workspace().ws.backportAndPush(request(forge, picks))).toEqual(reusedAnswer);

    // Still the same after the destination moved on: the branch is not rebuilt on the new head.
    git(forge.dev, ['checkout', '-q', RELEASE]);
    commit(forge.dev, { 'later.txt': 'later\n' }, 'Later release fix');
    git(forge.dev, ['push', '-q', 'origin', RELEASE]);
    expect(await ws.backportAndPush(request(forge, picks))).toEqual(reusedAnswer);
    expect(pushes(forge).filter((l) => l.endsWith(` refs/heads/${BRANCH}`))).toHaveLength(1);
    expectCleanCache(cacheDir);
  });

  test('a half-done earlier run (the first pick only) is continued, not recreated', async () => {
    const forge = makeForge();
    const [p1, p2, p3] = onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
      [{ 'p3.txt': '3\n' }, 'P3'],
    ]);
    const oldRelease = remoteHead(forge, RELEASE);
    const { ws } = workspace();
    const half = await ws.backportAndPush(request(forge, shasOf(p1)));
    if (half.kind !== 'pushed') throw new Error(`expected pushed, got ${half.kind}`);
    // The destination moves on meanwhile: continuing must not rebase what is already there.
    git(forge.dev, ['checkout', '-q', RELEASE]);
    commit(forge.dev, { 'later.txt': 'later\n' }, 'Later release fix');
    git(forge.dev, ['push', '-q', 'origin', RELEASE]);
    fs.rmSync(forge.pushLog, { force: true });

    const outcome = await workspace().ws.backportAndPush(request(forge, shasOf(p1, p2, p3)));
    const head = remoteHead(forge, BRANCH) as string;
    expect(outcome).toEqual({
      kind: 'pushed',
      head,
      picked: [
        { sha: p1, newSha: half.head, subject: 'P1' },
        { sha: p2, newSha: git(forge.bare, ['rev-parse', `${BRANCH}~1`]), subject: 'P2' },
        { sha: p3, newSha: head, subject: 'P3' },
      ],
      skipped: [],
      reused: true,
    });
    expect(git(forge.bare, ['rev-parse', `${BRANCH}~2`])).toBe(half.head);
    expect(git(forge.bare, ['rev-parse', `${BRANCH}~3`])).toBe(oldRelease);
    expect(pushes(forge)).toEqual([`${half.head} ${head} refs/heads/${BRANCH}`]); // a fast-forward from our own head
  });

  test('a human commit on the branch, or our picks rewritten: branch-taken and the branch unchanged', async () => {
    const forge = makeForge();
    const [p1, p2] = onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
    ]);
    const { ws, cacheDir } = workspace();
    await ws.backportAndPush(request(forge, shasOf(p1)));
    const human = humanCommitOnBranch(forge, 'p1.txt');
    const before = pushes(forge).length;
    expect(await ws.backportAndPush(request(forge, shasOf(p1, p2)))).toEqual({ kind: 'branch-taken', head: human });
    expect(await ws.backportAndPush(request(forge, shasOf(p1)))).toEqual({ kind: 'branch-taken', head: human });
    expect(remoteHead(forge, BRANCH)).toBe(human);

    // Our pick's message kept, its content changed (amended and force-pushed): not ours either.
    git(forge.dev, ['checkout', '-q', '-B', BRANCH, `${human}~1`]);
    fs.writeFileSync(path.join(forge.dev, 'p1.txt'), 'amended\n');
    git(forge.dev, ['commit', '-q', '--all', '--amend', '--no-edit'], nextDate());
    git(forge.dev, ['push', '-q', '--force', 'origin', BRANCH]);
    const amended = remoteHead(forge, BRANCH) as string;
    expect(git(forge.bare, ['log', '-1', '--format=%B', amended])).toContain(`(cherry picked from commit ${p1})`);
    expect(await ws.backportAndPush(request(forge, shasOf(p1, p2)))).toEqual({ kind: 'branch-taken', head: amended });

    // The picks in another order than asked: not a prefix of this backport.
    git(forge.dev, ['checkout', '-q', '-B', BRANCH, `origin/${RELEASE}`]);
    git(forge.dev, ['cherry-pick', '-x', p2, p1], nextDate());
    git(forge.dev, ['push', '-q', '--force', 'origin', BRANCH]);
    const reordered = remoteHead(forge, BRANCH) as string;
    expect(await ws.backportAndPush(request(forge, shasOf(p1, p2)))).toEqual({ kind: 'branch-taken', head: reordered });
    expect(remoteHead(forge, BRANCH)).toBe(reordered);
    expect(pushes(forge)).toHaveLength(before + 2); // only the developer's force-pushes
    expectCleanCache(cacheDir);
  });

  test('a human push between our look and our push is never overwritten (the lease), creating or updating', async () => {
    const forge = makeForge();
    const [p1, p2] = onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
    ]);
    // The branch does not exist yet when we look; a human creates it before our push.
    let theirs = '';
    const creating = workspace({
      beforePush: () => {
        if (theirs) return;
        git(forge.dev, ['checkout', '-q', '-B', BRANCH, `origin/${RELEASE}`]);
        theirs = commit(forge.dev, { 'own.txt': 'mine\n' }, 'My own backport');
        git(forge.dev, ['push', '-q', 'origin', BRANCH]);
      },
    });
    expect(await creating.ws.backportAndPush(request(forge, shasOf(p1, p2)))).toEqual({ kind: 'branch-taken', head: theirs });
    expect(remoteHead(forge, BRANCH)).toBe(theirs);

    // The branch holds our first pick when we look; a human adds to it before our push.
    git(forge.dev, ['push', '-q', '--force', 'origin', `:refs/heads/${BRANCH}`]);
    const half = await workspace().ws.backportAndPush(request(forge, shasOf(p1)));
    if (half.kind !== 'pushed') throw new Error(`expected pushed, got ${half.kind}`);
    let added = '';
    const updating = workspace({
      beforePush: () => {
        if (!added) added = humanCommitOnBranch(forge, 'late.txt');
      },
    });
    expect(await updating.ws.backportAndPush(request(forge, shasOf(p1, p2)))).toEqual({ kind: 'branch-taken', head: added });
    expect(remoteHead(forge, BRANCH)).toBe(added);
    expect(git(forge.bare, ['rev-parse', `${added}~1`])).toBe(half.head);
  });

  test('a twin run on another worker pushing first: the same commits, or continued after the lease refuses ours', async () => {
    const forge = makeForge();
    const picks = shasOf(...onMain(forge, [
      [{ 'p1.txt': '1\n' }, 'P1'],
      [{ 'p2.txt': '2\n' }, 'P2'],
    ]));
    // The twin builds exactly what we build (deterministic picks): git finds our push up to date.
    let twin: BackportOutcome | undefined;
    const racing = workspace({
      beforePush: async () => {
        twin ??= await workspace().ws.backportAndPush(request(forge, picks));
      },
    });
    const outcome = await racing.ws.backportAndPush(request(forge, picks));
    expect(twin).toMatchObject({ kind: 'pushed', reused: false });
    expect(outcome).toEqual(twin);
    expect(pushes(forge)).toHaveLength(1);

    // The twin is an earlier request with the first pick only: our creating push is refused by its
    // lease, we look again, find our own first pick there and continue from it.
    git(forge.dev, ['push', '-q', 'origin', `:refs/heads/${BRANCH}`]);
    fs.rmSync(forge.pushLog, { force: true });
    let half: BackportOutcome | undefined;
    const continuing = workspace({
      beforePush: async () => {
        half ??= await workspace().ws.backportAndPush(request(forge, picks.slice(0, 1)));
      },
    });
    const continued = await continuing.ws.backportAndPush(request(forge, picks));
    if (half?.kind !== 'pushed') throw new Error(`expected pushed, got ${half?.kind}`);
    expect(continued).toMatchObject({ kind: 'pushed', head: remoteHead(forge, BRANCH), reused: true });
    expect(git(forge.bare, ['rev-parse', `${BRANCH}~1`])).toBe(half.head);
    expect(pushes(forge)).toEqual([
      `${'0'.repeat(40)} ${half.head} refs/heads/${BRANCH}`,
      `${half.head} ${remoteHead(forge, BRANCH)} refs/heads/${BRANCH}`,
    ]);
  });

  test('a missing destination or pick is reported', async () => {
    const forge = makeForge();
    const [p1] = onMain(forge, [[{ 'p1.txt': '1\n' }, 'P1']]);
    const { ws } = workspace();
    expect(await ws.backportAndPush(request(forge, shasOf(p1), { destinationBranch: 'release-9.9' }))).toEqual({
      kind: 'missing-destination',
    });
    const unknown = 'f'.repeat(40);
    expect(await ws.backportAndPush(request(forge, shasOf(p1, unknown)))).toEqual({ kind: 'missing-commit', sha: unknown });
    expect(remoteHead(forge, BRANCH)).toBeNull();
    expect(pushes(forge)).toHaveLength(0);
    // Requests that cannot be right are refused before any git work.
    await expect(ws.backportAndPush(request(forge, []))).rejects.toThrow(GitWorkspaceError);
    await expect(ws.backportAndPush(request(forge, shasOf(p1, p1)))).rejects.toThrow(/picked twice/);
    await expect(ws.backportAndPush(request(forge, shasOf(p1), { backportBranch: RELEASE }))).rejects.toThrow(GitWorkspaceError);
    await expect(ws.backportAndPush(request(forge, shasOf('abc123')))).rejects.toThrow(/full hex SHA/);
  });
});

/** A second bare copy of the forge's repository (another project URL holding the same commits). */
function makeForgeCopy(forge: Forge): string {
  const copy = path.join(tmp('copy'), 'app.git');
  git(root, ['clone', '-q', '--bare', forge.bare, copy]);
  return copy;
}

describe('GitWorkspace.backportAndPush with a token in the remote URL (fake GitLab over HTTP)', () => {
  let fake: FakeGitLab;
  let token: string;
  beforeAll(async () => {
    fake = await FakeGitLab.start({ log: () => undefined });
    token = fake.addUser({ username: 'shepherd-bot', name: 'Shepherd' }).token;
    fake.addUser({ username: 'dev', name: 'Dee Developer' });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  /** Every file of the clone (its .git included) whose bytes contain `needle`. */
  function filesContaining(dir: string, needle: string): string[] {
    const hits: string[] = [];
    const walk = (d: string): void => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile() && fs.readFileSync(p).includes(needle)) hits.push(path.relative(dir, p));
      }
    };
    walk(dir);
    return hits;
  }

  test('the token is used for fetch and push, is in no file of the clone, and in no error', async () => {
    const project = 'group/backports';
    fake.addProject(project, {
      members: { 'shepherd-bot': 'maintainer', dev: 'developer' },
      files: { 'a.txt': 'a\n' },
      protectedBranches: ['main', { name: 'backport/refused-*', push: [{ role: 'no one' }] }],
    });
    await fake.commit(project, RELEASE, { files: { 'release.txt': '1.2\n' }, message: 'Prepare 1.2', author: 'dev', from: 'main' });
    const pick = await fake.commit(project, 'main', { files: { 'p.txt': 'p\n' }, message: 'Fix p', author: 'dev' });
    const remoteUrl = withToken(fake.cloneUrl(project, 'shepherd-bot'), token);
    expect(remoteUrl).toContain(token);
    const req: BackportRequest = {
      projectKey: `gitlab/${project}`,
      remoteUrl,
      destinationBranch: RELEASE,
      backportBranch: BRANCH,
      picks: [{ sha: pick }],
      onConflict: 'stop',
    };
    const { ws, cacheDir } = workspace();

    const outcome = await ws.backportAndPush(req);
    expect(outcome).toMatchObject({ kind: 'pushed', picked: [{ sha: pick, subject: 'Fix p' }] });
    expect(fake.branchHead(project, BRANCH)).toBe((outcome as { head: string }).head);
    const [clone] = fs.readdirSync(cacheDir).map((d) => path.join(cacheDir, d));
    const config = fs.readFileSync(path.join(clone, '.git', 'config'), 'utf8');
    expect(config).toContain(fake.cloneUrl(project, 'shepherd-bot').replace(/\/\/[^@]*@/, '//'));
    expect(config).not.toContain(token);
    expect(filesContaining(clone, token)).toEqual([]);

    // Failures: a clone from an unreachable server, and a cached clone whose fetch fails.
    const secret = 's3cretT0ken-backport';
    const badUrl = `http://oauth2:${secret}@127.0.0.1:9/group/backports.git`;
    for (const bad of [workspace().ws, ws]) {
      const error = await bad.backportAndPush({ ...req, remoteUrl: badUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitWorkspaceError);
      expect((error as Error).message).toMatch(/git (clone|fetch) failed/);
      for (const text of [(error as Error).message, String((error as Error).stack), JSON.stringify(error)]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(Buffer.from(`oauth2:${secret}`).toString('base64'));
      }
    }
    expect(fs.readFileSync(path.join(clone, '.git', 'config'), 'utf8')).not.toContain(secret);

    // A push the forge refuses (a protected branch) fails, and says so without the token.
    const refused = await ws.backportAndPush({ ...req, backportBranch: 'backport/refused-1' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GitWorkspaceError);
    expect((refused as Error).message).toMatch(/git push failed/);
    expect((refused as Error).message).not.toContain(token);
    expect(fake.branchHead(project, 'backport/refused-1')).toBeUndefined();
  });
});
