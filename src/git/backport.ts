// The git side of a backport: cherry-pick a merged change's commits onto a release branch, on the
// bot's own backport branch, and push it with a lease. GitWorkspace runs it inside its locked,
// credential-free cached clone (see BackportWork in workspace.ts); this file only needs the few
// clone operations named by BackportClone, so it does not import workspace.ts.
//
// Idempotency rests on inspecting the remote backport branch, not on remembering anything: every
// commit on it since it left the destination must be git doing again exactly what it holds (each
// pick recognised by the `(cherry picked from commit <sha>)` line `-x` writes, re-picked onto its
// parent and compared by tree), in the order of the picks, with only picks that git finds empty
// missing in between. Such a branch is continued; anything else is someone else's and is never
// pushed over. The picks themselves are deterministic too (committer date = author date, pinned
// conflict style and marker labels), so two workers racing for one branch build the same SHAs.
import fs from 'node:fs';
import path from 'node:path';
import { parseCommit } from './commitObject';
import { gitConfigEnv } from './credentials';
import { GitWorkspaceError, type GitRunner } from './runner';

export interface BackportPick {
  sha: string;
  /** 1 for a merge commit: pick its changes relative to its first parent (`cherry-pick -m 1`). */
  mainline?: 1;
}

export interface BackportRequest {
  /** Names the cache folder, as for the other jobs. */
  projectKey: string;
  /** May carry credentials: they never reach messages or the clone's config (see credentials.ts). */
  remoteUrl: string;
  /** The release branch the picks go onto, e.g. release-1.2. */
  destinationBranch: string;
  /** The bot's branch for this backport, e.g. backport/42-to-release-1.2 (humans may push to it later). */
  backportBranch: string;
  /** Picked in this order; full SHAs, no duplicates. */
  picks: BackportPick[];
  /** `commit-conflict`: commit the conflicted tree, markers included, and push it for a human to resolve. */
  onConflict: 'stop' | 'commit-conflict';
}

export interface PickedCommit {
  /** The picked (original) commit. */
  sha: string;
  /** Its cherry-pick on the backport branch. */
  newSha: string;
  subject: string;
}

/** A pick git found empty: its changes are already on the destination. */
export interface SkippedCommit {
  sha: string;
  subject: string;
}

/**
 * - `pushed`: the backport branch holds every pick that was not skipped; `reused` when this run
 *   found some of them there already (an earlier run's; kept, not rebuilt). Nothing is pushed when
 *   it found them all.
 * - `conflict`: pick `at` conflicted in `files`. `picked` lists the picks before it (only those on
 *   the remote branch when nothing was pushed). `pushedHead` is set when the conflicted state, markers
 *   included, is committed on the branch (`commit-conflict`, or an earlier such run found again).
 * - `nothing-to-pick`: every pick is already on the destination; nothing pushed, no branch made.
 * - `branch-taken`: the remote backport branch holds something that is not our picks; untouched.
 */
export type BackportOutcome =
  | { kind: 'pushed'; head: string; picked: PickedCommit[]; skipped: SkippedCommit[]; reused: boolean }
  | { kind: 'conflict'; files: string[]; at: string; picked: PickedCommit[]; skipped: SkippedCommit[]; pushedHead?: string }
  | { kind: 'nothing-to-pick'; skipped: SkippedCommit[] }
  | { kind: 'branch-taken'; head: string }
  | { kind: 'missing-destination' }
  | { kind: 'missing-commit'; sha: string };

/** What a backport needs from the clone it runs in (GitWorkspace provides it, locked and clean). */
export interface BackportClone {
  readonly git: GitRunner;
  progress(): void;
  /** Fetches the remote's branches into refs/remotes. */
  fetch(): Promise<void>;
  /** The remote's head of `branch` as of the last fetch, or null when it has no such branch. */
  remoteBranch(branch: string): Promise<string | null>;
  /** Makes a commit available locally, fetching it by SHA if needed; false when the remote lacks it. */
  fetchCommit(sha: string): Promise<boolean>;
  /** Unmerged paths, sorted. */
  conflictedFiles(): Promise<string[]>;
  /** `git push` to the remote; 'stale' when a lease (and only a lease) refused it. */
  push(options: string[], refspecs: string[]): Promise<'pushed' | 'stale'>;
  /** Test seam, awaited right before each push. */
  beforePush(): Promise<void>;
}

/** Request checks beyond branch names and SHA syntax (GitWorkspace checks those). */
export function validateBackportRequest(req: BackportRequest): void {
  if (req.picks.length === 0) throw new GitWorkspaceError('a backport needs at least one commit to pick');
  if (req.destinationBranch === req.backportBranch) {
    throw new GitWorkspaceError('the backport branch must not be the destination branch');
  }
  const seen = new Set<string>();
  for (const pick of req.picks) {
    if (seen.has(pick.sha)) throw new GitWorkspaceError(`commit ${pick.sha} is picked twice`);
    seen.add(pick.sha);
    if (pick.mainline !== undefined && pick.mainline !== 1) {
      throw new GitWorkspaceError(`mainline of ${pick.sha} must be 1 or absent`);
    }
  }
  if (req.onConflict !== 'stop' && req.onConflict !== 'commit-conflict') {
    throw new GitWorkspaceError(`onConflict must be 'stop' or 'commit-conflict'`);
  }
}

/** The first line of our conflict commits; with the `-x` line it names the pick that conflicted. */
export function conflictSubject(sha: string): string {
  return `Conflicted cherry-pick of ${sha} (resolve the markers)`;
}

const PICKED_FROM = /^\(cherry picked from commit ([0-9a-f]{40}|[0-9a-f]{64})\)$/gm;

/** The commit the last `-x` line names (a backport of a backport carries several; ours is last). */
export function pickedFrom(message: string): string | null {
  let last: string | null = null;
  for (const m of message.matchAll(PICKED_FROM)) last = m[1];
  return last;
}

/** Settings that change what a pick writes, pinned so every worker writes the same thing. */
const PICK_CONFIG = gitConfigEnv([
  ['merge.conflictStyle', 'merge'],
  // Full SHAs in the conflict markers' labels: git's abbreviation grows with the clone's size.
  ['core.abbrev', '40'],
]);

/** A bound against looping forever when the branch keeps moving under us. */
const MAX_ATTEMPTS = 3;

interface CommitInfo {
  sha: string;
  parents: string[];
  tree: string;
  /** `@<epoch> <tz>`, as git's date parser takes it. */
  authorDate: string;
  subject: string;
  message: string;
}

interface Pick extends CommitInfo {
  mainline?: 1;
}

type PickResult =
  | { kind: 'clean'; sha: string; tree: string }
  | { kind: 'empty' }
  /** The conflicted cherry-pick is left in progress: the caller commits or discards it. */
  | { kind: 'conflict'; files: string[] };

/** git's %s: the first paragraph of the message, its lines joined by spaces. */
function subjectOf(message: string): string {
  const lines = message.split('\n');
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const paragraph: string[] = [];
  for (; i < lines.length && lines[i].trim() !== ''; i++) paragraph.push(lines[i].trim());
  return paragraph.join(' ');
}

function lastLines(r: { stdout: string; stderr: string }): string {
  return (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
}

export class BackportJob {
  private readonly git: GitRunner;

  constructor(
    private readonly clone: BackportClone,
    private readonly req: BackportRequest,
  ) {
    this.git = clone.git;
  }

  async run(): Promise<BackportOutcome> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt();
      if (outcome !== 'stale') return outcome;
      // The lease refused our push: the branch changed since we looked. Look again; what is on it
      // now decides (our own work from a concurrent run, or someone else's).
      if (attempt === MAX_ATTEMPTS) {
        throw new GitWorkspaceError(`the backport branch kept moving during ${MAX_ATTEMPTS} attempts to push it`);
      }
    }
  }

  private async attempt(): Promise<BackportOutcome | 'stale'> {
    const { clone, req } = this;
    await clone.fetch();
    const destination = await clone.remoteBranch(req.destinationBranch);
    if (destination === null) return { kind: 'missing-destination' };
    const picks: Pick[] = [];
    for (const p of req.picks) {
      if (!(await clone.fetchCommit(p.sha))) return { kind: 'missing-commit', sha: p.sha };
      const info = await this.commitInfo(p.sha);
      if (info.parents.length > 1 && p.mainline === undefined) {
        throw new GitWorkspaceError(`commit ${p.sha} is a merge commit: pick it with mainline 1`);
      }
      picks.push({ ...info, mainline: p.mainline });
    }
    clone.progress();

    const remoteHead = await clone.remoteBranch(req.backportBranch);
    let existing: CommitInfo[] = [];
    if (remoteHead !== null) {
      const own = await this.claimedCommits(destination, remoteHead, picks);
      if (own === null) return { kind: 'branch-taken', head: remoteHead };
      existing = own;
    }
    // Only ever answered when the branch exists (there are existing commits to disagree with).
    const taken: BackportOutcome = { kind: 'branch-taken', head: remoteHead ?? destination };
    // A branch with commits of ours is continued where it left the destination; one without any
    // (it points into the destination's history) just moves on to the destination's head.
    const base = existing.length > 0 ? existing[0].parents[0] : destination;

    let head = base;
    let next = 0; // the first existing commit not yet accounted for
    const picked: PickedCommit[] = [];
    const skipped: SkippedCommit[] = [];
    for (const pick of picks) {
      const result = await this.pickOnto(head, pick);
      clone.progress();
      const claim = existing[next];
      if (claim !== undefined) {
        // Still on the existing branch: git must do again exactly what it holds.
        const claimed = pickedFrom(claim.message) === pick.sha;
        if (result.kind === 'empty' && !claimed) {
          skipped.push({ sha: pick.sha, subject: pick.subject }); // the earlier run skipped it too
          continue;
        }
        if (result.kind === 'clean' && claimed && result.tree === claim.tree) {
          head = claim.sha;
          picked.push({ sha: pick.sha, newSha: claim.sha, subject: pick.subject });
          next++;
          continue;
        }
        if (result.kind === 'conflict') {
          const ours =
            claimed &&
            next === existing.length - 1 &&
            claim.subject === conflictSubject(pick.sha) &&
            (await this.conflictedTree()) === claim.tree;
          await this.discardPick();
          if (ours) return { kind: 'conflict', files: result.files, at: pick.sha, picked, skipped, pushedHead: claim.sha };
        }
        // A human's change, or our picks rewritten (amended, reordered, dropped).
        return taken;
      }

      if (result.kind === 'clean') {
        head = result.sha;
        picked.push({ sha: pick.sha, newSha: result.sha, subject: pick.subject });
      } else if (result.kind === 'empty') {
        skipped.push({ sha: pick.sha, subject: pick.subject });
      } else if (req.onConflict === 'stop') {
        await this.discardPick();
        return { kind: 'conflict', files: result.files, at: pick.sha, picked, skipped };
      } else {
        const conflictHead = await this.commitConflict(pick, result.files);
        if ((await this.pushHead(conflictHead, remoteHead)) === 'stale') return 'stale';
        return { kind: 'conflict', files: result.files, at: pick.sha, picked, skipped, pushedHead: conflictHead };
      }
    }

    if (next < existing.length) return taken; // commits of ours beyond the picks: not this backport
    if (picked.length === 0) return { kind: 'nothing-to-pick', skipped };
    if (head === remoteHead) return { kind: 'pushed', head, picked, skipped, reused: true };
    if ((await this.pushHead(head, remoteHead)) === 'stale') return 'stale';
    return { kind: 'pushed', head, picked, skipped, reused: existing.length > 0 };
  }

  /**
   * The remote branch's own commits (oldest first) if they can be ours: a linear chain of at most
   * as many commits as there are picks, each naming one of the picks, in the picks' order. Null
   * otherwise. Whether git would really produce them is checked while picking.
   */
  private async claimedCommits(destination: string, remoteHead: string, picks: Pick[]): Promise<CommitInfo[] | null> {
    const range = `${destination}..${remoteHead}`;
    const count = Number((await this.git.run(['rev-list', '--count', range])).trim());
    if (count === 0) return [];
    if (count > picks.length) return null;
    const shas = (await this.git.run(['rev-list', '--reverse', '--topo-order', range])).split('\n').filter(Boolean);
    const order = new Map(picks.map((p, i) => [p.sha, i]));
    const commits: CommitInfo[] = [];
    let lastIndex = -1;
    for (const sha of shas) {
      const info = await this.commitInfo(sha);
      if (info.parents.length !== 1) return null;
      if (commits.length > 0 && info.parents[0] !== commits[commits.length - 1].sha) return null;
      const from = pickedFrom(info.message);
      const index = from === null ? undefined : order.get(from);
      if (index === undefined || index <= lastIndex) return null;
      lastIndex = index;
      commits.push(info);
    }
    return commits;
  }

  private async commitInfo(sha: string): Promise<CommitInfo> {
    const raw = parseCommit(await this.git.run(['cat-file', 'commit', sha]));
    const header = (key: string): string | undefined =>
      raw.headers.find((h) => h.startsWith(`${key} `))?.slice(key.length + 1);
    const tree = header('tree');
    const date = /> (\d+) ([+-]\d{4})$/.exec(header('author') ?? '');
    if (tree === undefined || date === null) throw new GitWorkspaceError(`commit ${sha} has no tree or author date`);
    return {
      sha,
      parents: raw.parents,
      tree,
      authorDate: `@${date[1]} ${date[2]}`,
      subject: subjectOf(raw.message),
      message: raw.message,
    };
  }

  /** `git cherry-pick -x` of one commit onto `onto`, in a clean detached work tree. */
  private async pickOnto(onto: string, pick: Pick): Promise<PickResult> {
    const git = this.git;
    await git.run(['checkout', '--force', '--detach', onto]);
    await git.run(['clean', '-ffdx', '--quiet']);
    const mainline = pick.mainline === undefined ? [] : ['--mainline', String(pick.mainline)];
    // Committer date = author date, as the rebase jobs do, so the same pick gives the same SHA on
    // every worker and every try. The author (name, email, date) is the original's.
    const r = await git.tryRun(['cherry-pick', '-x', '--no-rerere-autoupdate', ...mainline, pick.sha], {
      env: { ...PICK_CONFIG, GIT_COMMITTER_DATE: pick.authorDate },
    });
    if (r.exitCode === 0) {
      const sha = (await git.run(['rev-parse', 'HEAD'])).trim();
      if (sha === onto) return { kind: 'empty' };
      return { kind: 'clean', sha, tree: (await git.run(['rev-parse', 'HEAD^{tree}'])).trim() };
    }
    const files = await this.clone.conflictedFiles();
    if (files.length > 0) return { kind: 'conflict', files };
    // Without --allow-empty / --keep-redundant-commits git stops when the pick changes nothing:
    // still in progress, nothing unmerged, and the index equal to HEAD.
    const inProgress = fs.existsSync(path.join(git.dir, '.git', 'CHERRY_PICK_HEAD'));
    const unchanged = (await git.tryRun(['diff', '--cached', '--quiet', 'HEAD'])).exitCode === 0;
    await this.discardPick();
    if (inProgress && unchanged) return { kind: 'empty' };
    throw new GitWorkspaceError(git.redact(`git cherry-pick of ${pick.sha} failed (exit ${r.exitCode}): ${lastLines(r)}`), r.exitCode);
  }

  /** The tree of the conflicted work tree as is, markers included (what commitConflict commits). */
  private async conflictedTree(): Promise<string> {
    await this.git.run(['add', '--all']);
    return (await this.git.run(['write-tree'])).trim();
  }

  /** Commits the conflicted cherry-pick in progress, markers included; returns the commit. */
  private async commitConflict(pick: Pick, files: string[]): Promise<string> {
    const message = [
      conflictSubject(pick.sha),
      '',
      `Cherry-picking ${pick.sha} onto ${this.req.destinationBranch} conflicted in:`,
      '',
      ...files.map((f) => `    ${f}`),
      '',
      'The conflict markers are committed as they are: resolve them on this branch.',
      '',
      'Original message:',
      '',
      pick.message.trimEnd(),
      '',
      `(cherry picked from commit ${pick.sha})`,
      '',
    ].join('\n');
    await this.git.run(['add', '--all']);
    // In the middle of a cherry-pick git commits with the original's author (name, email, date).
    await this.git.run(['commit', '--no-verify', '--cleanup=verbatim', '--file=-'], {
      input: message,
      env: { GIT_COMMITTER_DATE: pick.authorDate },
    });
    return (await this.git.run(['rev-parse', 'HEAD'])).trim();
  }

  /** Drops a stopped cherry-pick (its state and its changes). */
  private async discardPick(): Promise<void> {
    await this.git.run(['reset', '--hard', '--quiet']);
    fs.rmSync(path.join(this.git.dir, '.git', 'CHERRY_PICK_HEAD'), { force: true });
  }

  private async pushHead(head: string, inspected: string | null): Promise<'pushed' | 'stale'> {
    const ref = `refs/heads/${this.req.backportBranch}`;
    await this.clone.beforePush();
    this.clone.progress();
    // Created only while it still does not exist, moved only from the head we inspected: a human's
    // push in between is never overwritten.
    return this.clone.push([`--force-with-lease=${ref}:${inspected ?? ''}`], [`${head}:${ref}`]);
  }
}
