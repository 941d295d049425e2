// The fake's behaviour: what GitLab does when refs move, MRs change, notes are written and
// pipelines progress. The HTTP layers (api.ts, smartHttp.ts) and the test-facing FakeGitLab
// class all go through here, so a push over HTTP and `fake.commit()` have the same effects.
import crypto from 'node:crypto';
import { commitInfo, commitsBetween, rebaseCommits, revParse, updateRef } from './git';
import {
  hookLabel,
  hookTime,
  mergeRequestHook,
  noteHook,
  pipelineHook,
  pushHook,
  type MrHookExtras,
  type PayloadContext,
} from './payloads';
import { approvalsLeft, isDraft, isFinalStatus, pushRuleViolation } from './rules';
import {
  now,
  Store,
  withDraft,
  ZERO_SHA,
  type CommitInfo,
  type MrRec,
  type NoteRec,
  type PipelineRec,
  type ProjectRec,
  type UserRec,
} from './store';
import type { FakePipelineStatus, PipelinePolicy, SudoRequest } from './types';
import { WebhookQueue, type WebhookTarget } from './webhooks';

export interface RefChange {
  ref: string;
  before: string;
  after: string;
}

/** Admins act like owners everywhere without being members. */
const ADMIN_LEVEL = 60;

/** GitLab's merge_error after a failed API rebase (MergeRequests::RebaseService::REBASE_ERROR). */
export const REBASE_ERROR = 'Rebase failed: Rebase locally, resolve all conflicts, then push the branch.';

export interface MrPatch {
  title?: string;
  description?: string;
  assigneeIds?: number[];
  squash?: boolean;
  targetBranch?: string;
  stateEvent?: 'close' | 'reopen';
  /** The complete new set of label titles. */
  labels?: string[];
}

/** Label titles as GitLab keeps them: unique, trimmed, sorted. */
export function normalizeLabels(titles: string[]): string[] {
  return [...new Set(titles.map((t) => t.trim()).filter((t) => t.length > 0))].sort((a, b) => a.localeCompare(b));
}

export class Core implements PayloadContext {
  readonly store = new Store();
  readonly hooks: WebhookQueue;
  baseUrl = '';
  /** The SSH server's port when the fake serves git over SSH (ssh_url_to_repo then uses it). */
  sshPort: number | undefined;
  webhook: WebhookTarget;
  pipelinePolicy: PipelinePolicy | undefined;
  rebaseDelayMs: number;
  /** Every REST request an admin made with Sudo, oldest first. */
  readonly sudoRequests: SudoRequest[] = [];
  /** Background work (API rebases) that stop() waits for. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pipelineListeners = new Set<(p: PipelineRec) => void>();

  readonly log: (m: string) => void;

  constructor(
    readonly reposDir: string,
    opts: { webhook: WebhookTarget; pipelinePolicy?: PipelinePolicy; log: (m: string) => void; rebaseDelayMs?: number },
  ) {
    this.log = opts.log;
    this.rebaseDelayMs = opts.rebaseDelayMs ?? 100;
    this.webhook = opts.webhook;
    this.pipelinePolicy = opts.pipelinePolicy;
    this.hooks = new WebhookQueue(
      () => this.webhook,
      () => this.baseUrl,
      opts.log,
    );
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.hooks.stop();
  }

  /** Resolves once background work already started (a running rebase) has finished. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Runs `fn` after `ms` unless the fake stops first; stop()/drain() know about it. */
  later(ms: number, fn: () => Promise<void> | void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      const run = Promise.resolve()
        .then(fn)
        .catch((e: unknown) =>
          this.log(`fake gitlab: background task failed: ${e instanceof Error ? e.message : String(e)}`),
        );
      this.inflight.add(run);
      void run.finally(() => this.inflight.delete(run));
    }, ms);
    this.timers.add(t);
  }

  // --- access -----------------------------------------------------------------------------

  accessLevel(p: ProjectRec, u: UserRec): number {
    return u.admin ? ADMIN_LEVEL : (p.members.get(u.id) ?? 0);
  }

  /**
   * Serialises everything that writes a project's refs or reacts to ref changes, so MR heads
   * and pipelines follow pushes in the order they happened.
   */
  withLock<T>(p: ProjectRec, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(p.id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    this.locks.set(
      p.id,
      run.catch(() => undefined),
    );
    return run;
  }

  rememberCommit(c: CommitInfo): void {
    this.store.commits.set(c.sha, c);
  }

  // --- refs -------------------------------------------------------------------------------

  /**
   * What GitLab does after a push (or a merge) moved branches: Push Hook, MR head updates with
   * an "update" hook carrying `oldrev`, and a new pipeline per pushed head. Call under withLock.
   */
  async applyRefChanges(p: ProjectRec, changes: RefChange[], actor: UserRec): Promise<void> {
    const resets: MrRec[] = [];
    for (const c of changes) {
      if (!c.ref.startsWith('refs/heads/') || c.before === c.after) continue;
      const branch = c.ref.slice('refs/heads/'.length);
      let commits: CommitInfo[] = [];
      if (c.after !== ZERO_SHA) {
        this.rememberCommit(await commitInfo(p.repoDir, c.after));
        const exclude =
          c.before !== ZERO_SHA ? [c.before] : branch === p.defaultBranch ? [] : [`refs/heads/${p.defaultBranch}`];
        commits = await commitsBetween(p.repoDir, c.after, exclude);
        commits.forEach((ci) => this.rememberCommit(ci));
      }
      // From here on only state changes and queued hooks: no awaits, so nothing interleaves.
      this.hooks.enqueue('Push Hook', pushHook(this, p, c, commits, actor));
      if (c.after === ZERO_SHA) continue;
      for (const mr of this.store.mrsOf(p.id)) {
        if (mr.state !== 'opened' || mr.sourceBranch !== branch || mr.headSha === c.after) continue;
        const oldrev = mr.headSha;
        const before = mr.updatedAt;
        mr.headSha = c.after;
        mr.headHistory.push(c.after);
        mr.updatedAt = now();
        // GitLab keeps approvals when the new head is the result of its own rebase.
        if (p.resetApprovalsOnPush && c.after !== mr.rebaseCommitSha) resets.push(mr);
        this.mrHook(p, mr, actor, {
          action: 'update',
          oldrev,
          changes: { updated_at: { previous: hookTime(before), current: hookTime(mr.updatedAt) } },
        });
      }
      this.createPipeline(p, c.after, branch, c.before, actor);
    }
    for (const mr of resets) {
      // GitLab resets in a background worker; approvals given meanwhile are swept away too.
      if (p.approvalResetDelayMs > 0) this.later(p.approvalResetDelayMs, () => this.resetApprovals(p, mr, actor));
      else this.resetApprovals(p, mr, actor);
    }
  }

  /** What "Remove all approvals when commits are added to the source branch" does. */
  resetApprovals(p: ProjectRec, mr: MrRec, pusher: UserRec): void {
    if (mr.state !== 'opened' || mr.approverIds.length === 0) return;
    const names = mr.approverIds.map((id) => `@${this.store.userById(id)?.username ?? id}`).join(' and ');
    mr.approverIds = [];
    mr.updatedAt = now();
    this.addNote(p, mr, pusher, `reset approvals from ${names} by pushing to the branch`, { system: true });
  }

  // --- rebase -----------------------------------------------------------------------------

  /**
   * PUT /merge_requests/:iid/rebase: marks the rebase in progress and runs it later, as
   * GitLab's Sidekiq job does. The caller checked permissions and that none is running.
   */
  requestRebase(p: ProjectRec, mr: MrRec, actor: UserRec): void {
    mr.rebaseInProgress = true;
    this.later(this.rebaseDelayMs, async () => {
      try {
        await this.withLock(p, () => this.rebase(p, mr, actor));
      } finally {
        mr.rebaseInProgress = false;
      }
    });
  }

  private async rebase(p: ProjectRec, mr: MrRec, actor: UserRec): Promise<void> {
    if (mr.state !== 'opened') return;
    const ref = `refs/heads/${mr.sourceBranch}`;
    const [source, target] = await Promise.all([
      revParse(p.repoDir, ref),
      revParse(p.repoDir, `refs/heads/${mr.targetBranch}`),
    ]);
    if (!source || !target) {
      mr.mergeError = REBASE_ERROR;
      return;
    }
    const result = await rebaseCommits(p.repoDir, source, target, { name: actor.name, email: actor.email });
    if (!result.ok) {
      // GitLab leaves the branch as it was and says why on the MR.
      mr.mergeError = REBASE_ERROR;
      return;
    }
    if (result.sha !== source) {
      const violation = pushRuleViolation(p, await commitsBetween(p.repoDir, result.sha, [target], 1000));
      if (violation) {
        mr.mergeError = `Rebase failed: ${violation}`;
        return;
      }
      mr.rebaseCommitSha = result.sha;
      await updateRef(p.repoDir, ref, result.sha, source);
      await this.applyRefChanges(p, [{ ref, before: source, after: result.sha }], actor);
    }
    mr.mergeError = null;
  }

  // --- pipelines --------------------------------------------------------------------------

  createPipeline(p: ProjectRec, sha: string, ref: string, beforeSha: string, actor: UserRec): PipelineRec {
    const at = now();
    const pl: PipelineRec = {
      id: this.store.newPipelineId(),
      iid: p.nextPipelineIid++,
      projectId: p.id,
      sha,
      beforeSha,
      ref,
      status: 'pending',
      userId: actor.id,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      finishedAt: null,
    };
    this.store.pipelines.push(pl);
    this.pipelineHook(p, pl);
    for (const l of this.pipelineListeners) l(pl);
    const plan = this.pipelinePolicy?.({ project: p.path, sha, ref }) ?? 'manual';
    if (plan !== 'manual') {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!isFinalStatus(pl.status)) this.setPipelineStatus(p, pl, plan.status);
      }, plan.afterMs);
      this.timers.add(t);
    }
    return pl;
  }

  setPipelineStatus(p: ProjectRec, pl: PipelineRec, status: FakePipelineStatus): void {
    if (pl.status === status) return;
    const at = now();
    pl.status = status;
    pl.updatedAt = at;
    if (status !== 'pending' && status !== 'created' && !pl.startedAt) pl.startedAt = at;
    pl.finishedAt = isFinalStatus(status) ? at : null;
    this.pipelineHook(p, pl);
  }

  onPipelineCreated(listener: (p: PipelineRec) => void): () => void {
    this.pipelineListeners.add(listener);
    return () => this.pipelineListeners.delete(listener);
  }

  /** The open MR whose source branch head this pipeline ran for, so hooks can be routed. */
  mrForPipeline(p: ProjectRec, pl: PipelineRec): MrRec | undefined {
    return this.store
      .mrsOf(p.id)
      .find((mr) => mr.state === 'opened' && mr.sourceBranch === pl.ref && mr.headSha === pl.sha);
  }

  private pipelineHook(p: ProjectRec, pl: PipelineRec): void {
    this.hooks.enqueue('Pipeline Hook', pipelineHook(this, p, pl, this.mrForPipeline(p, pl)));
  }

  // --- merge requests ---------------------------------------------------------------------

  /** Creates an MR; the head commit must already be remembered (rememberCommit). */
  createMr(
    p: ProjectRec,
    f: {
      sourceBranch: string;
      targetBranch: string;
      title: string;
      description: string;
      author: UserRec;
      assigneeIds: number[];
      squash: boolean;
      headSha: string;
      labels: string[];
    },
  ): MrRec {
    const duplicate = this.store
      .mrsOf(p.id)
      .find((m) => m.state === 'opened' && m.sourceBranch === f.sourceBranch && m.targetBranch === f.targetBranch);
    if (duplicate) {
      throw new Error(`Another open merge request already exists for this source branch: !${duplicate.iid}`);
    }
    const at = now();
    for (const title of normalizeLabels(f.labels)) this.store.label(p, title);
    const mr: MrRec = {
      id: this.store.newMrId(),
      iid: p.nextMrIid++,
      projectId: p.id,
      title: f.title,
      description: f.description,
      state: 'opened',
      sourceBranch: f.sourceBranch,
      targetBranch: f.targetBranch,
      authorId: f.author.id,
      assigneeIds: [...f.assigneeIds],
      squash: f.squash,
      headSha: f.headSha,
      headHistory: [f.headSha],
      approverIds: [],
      labels: normalizeLabels(f.labels),
      rebaseInProgress: false,
      mergeError: null,
      rebaseCommitSha: null,
      discussions: [],
      createdAt: at,
      updatedAt: at,
      mergedAt: null,
      mergedById: null,
      closedAt: null,
      closedById: null,
      mergeCommitSha: null,
      squashCommitSha: null,
      mergedCommitSha: null,
    };
    this.store.mrs.push(mr);
    this.mrHook(p, mr, f.author, { action: 'open' });
    return mr;
  }

  /** PUT /merge_requests/:iid and the equivalent test helpers; sends one "update" hook. */
  updateMr(p: ProjectRec, mr: MrRec, actor: UserRec, patch: MrPatch): void {
    const changes: Record<string, { previous: unknown; current: unknown }> = {};
    const systemNotes: string[] = [];
    if (patch.title !== undefined && patch.title !== mr.title) {
      const wasDraft = isDraft(mr);
      changes.title = { previous: mr.title, current: patch.title };
      mr.title = patch.title;
      if (wasDraft !== isDraft(mr)) {
        changes.draft = { previous: wasDraft, current: !wasDraft };
        systemNotes.push(`marked this merge request as **${wasDraft ? 'ready' : 'draft'}**`);
      }
    }
    if (patch.description !== undefined && patch.description !== mr.description) {
      changes.description = { previous: mr.description, current: patch.description };
      mr.description = patch.description;
    }
    if (patch.squash !== undefined && patch.squash !== mr.squash) {
      changes.squash = { previous: mr.squash, current: patch.squash };
      mr.squash = patch.squash;
    }
    if (patch.targetBranch !== undefined && patch.targetBranch !== mr.targetBranch) {
      changes.target_branch = { previous: mr.targetBranch, current: patch.targetBranch };
      mr.targetBranch = patch.targetBranch;
    }
    if (patch.labels !== undefined) {
      const next = normalizeLabels(patch.labels);
      if (next.join('\n') !== mr.labels.join('\n')) {
        const asHook = (titles: string[]): Array<Record<string, unknown>> =>
          titles.map((t) => hookLabel(this, p, this.store.label(p, t)));
        changes.labels = { previous: asHook(mr.labels), current: asHook(next) };
        mr.labels = next;
      }
    }
    if (patch.assigneeIds !== undefined && !sameIds(patch.assigneeIds, mr.assigneeIds)) {
      const previous = mr.assigneeIds;
      mr.assigneeIds = [...patch.assigneeIds];
      changes.assignees = { previous: this.hookUsers(previous), current: this.hookUsers(mr.assigneeIds) };
      systemNotes.push(this.assignmentNote(previous, mr.assigneeIds));
    }
    let action = 'update';
    if (patch.stateEvent === 'close' && mr.state === 'opened') {
      changes.state_id = { previous: 1, current: 2 };
      mr.state = 'closed';
      mr.closedAt = now();
      mr.closedById = actor.id;
      action = 'close';
      systemNotes.push('closed');
    } else if (patch.stateEvent === 'reopen' && mr.state === 'closed') {
      changes.state_id = { previous: 2, current: 1 };
      mr.state = 'opened';
      mr.closedAt = null;
      mr.closedById = null;
      action = 'reopen';
      systemNotes.push('reopened');
    }
    if (Object.keys(changes).length === 0) return;
    const before = mr.updatedAt;
    mr.updatedAt = now();
    changes.updated_at = { previous: hookTime(before), current: hookTime(mr.updatedAt) };
    changes.updated_by_id = { previous: null, current: actor.id };
    for (const body of systemNotes) this.addNote(p, mr, actor, body, { system: true });
    this.mrHook(p, mr, actor, { action, changes });
  }

  setDraft(p: ProjectRec, mr: MrRec, actor: UserRec, draft: boolean): void {
    this.updateMr(p, mr, actor, { title: withDraft(mr.title, draft) });
  }

  /** GitLab sends "approval" per approval and "approved" once the MR has all it needs. */
  approve(p: ProjectRec, mr: MrRec, actor: UserRec): void {
    if (mr.approverIds.includes(actor.id)) return;
    mr.approverIds.push(actor.id);
    mr.updatedAt = now();
    this.addNote(p, mr, actor, 'approved this merge request', { system: true });
    this.mrHook(p, mr, actor, { action: approvalsLeft(p, mr) === 0 ? 'approved' : 'approval' });
  }

  /** GitLab sends "unapproval" per withdrawn approval and "unapproved" when it drops below the rule. */
  unapprove(p: ProjectRec, mr: MrRec, actor: UserRec): void {
    if (!mr.approverIds.includes(actor.id)) return;
    const wasApproved = approvalsLeft(p, mr) === 0;
    mr.approverIds = mr.approverIds.filter((id) => id !== actor.id);
    mr.updatedAt = now();
    this.addNote(p, mr, actor, 'unapproved this merge request', { system: true });
    const nowApproved = approvalsLeft(p, mr) === 0;
    this.mrHook(p, mr, actor, { action: wasApproved && !nowApproved ? 'unapproved' : 'unapproval' });
  }

  /** A comment (individual note), a resolvable thread, or a system note (no Note Hook). */
  addNote(
    p: ProjectRec,
    mr: MrRec,
    actor: UserRec,
    body: string,
    opts: { system?: boolean; resolvable?: boolean; resolved?: boolean } = {},
  ): NoteRec {
    const at = now();
    const discussionId = crypto.randomBytes(20).toString('hex');
    const note = this.store.newNote({
      body,
      authorId: actor.id,
      createdAt: at,
      updatedAt: at,
      system: opts.system ?? false,
      discussionId,
      resolvable: opts.resolvable ?? false,
      resolved: opts.resolvable ? (opts.resolved ?? false) : false,
      resolvedById: opts.resolvable && opts.resolved ? actor.id : null,
    });
    mr.discussions.push({ id: discussionId, individualNote: !opts.resolvable, notes: [note] });
    if (!note.system) this.hooks.enqueue('Note Hook', noteHook(this, p, mr, note, actor));
    return note;
  }

  resolveDiscussion(mr: MrRec, discussionId: string | undefined, actor: UserRec, resolved: boolean): boolean {
    let found = false;
    for (const d of mr.discussions) {
      if (discussionId !== undefined && d.id !== discussionId) continue;
      for (const n of d.notes) {
        if (!n.resolvable) continue;
        found = true;
        n.resolved = resolved;
        n.resolvedById = resolved ? actor.id : null;
      }
    }
    if (found) mr.updatedAt = now();
    return found;
  }

  mrHook(p: ProjectRec, mr: MrRec, actor: UserRec, extras: MrHookExtras): void {
    this.hooks.enqueue('Merge Request Hook', mergeRequestHook(this, p, mr, actor, extras));
  }

  private hookUsers(ids: number[]): Array<Record<string, unknown>> {
    return ids
      .map((id) => this.store.userById(id))
      .filter((u): u is UserRec => u !== undefined)
      .map((u) => ({ id: u.id, name: u.name, username: u.username, avatar_url: null, email: '[REDACTED]' }));
  }

  private assignmentNote(previous: number[], current: number[]): string {
    const names = (ids: number[]): string =>
      ids.map((id) => `@${this.store.userById(id)?.username ?? id}`).join(' and ');
    const added = current.filter((id) => !previous.includes(id));
    const removed = previous.filter((id) => !current.includes(id));
    const parts: string[] = [];
    if (added.length > 0) parts.push(`assigned to ${names(added)}`);
    if (removed.length > 0) parts.push(`unassigned ${names(removed)}`);
    return parts.join(' and ');
  }
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
