// The fake's behaviour: what GitLab does when refs move, MRs change, notes are written and
// pipelines progress. The HTTP layers (api.ts, smartHttp.ts) and the test-facing FakeGitLab
// class all go through here, so a push over HTTP and `fake.commit()` have the same effects.
import crypto from 'node:crypto';
import {
  commitInfo,
  commitInfoSync,
  commitsBetween,
  commitTreeSync,
  fetchCommit,
  fetchCommitSync,
  isAncestor,
  mergeTreeSync,
  rebaseCommits,
  revParse,
  revParseSync,
  updateRef,
  updateRefSync,
} from './git';
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
import { approvalsLeft, effectiveLevel, isDraft, isFinalStatus, pushRuleViolation } from './rules';
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
import type {
  ApiRequestRecord,
  FakePipelineStatus,
  HookDeliveryOptions,
  MergeErrorStyle,
  PipelineKind,
  PipelinePolicy,
  SudoRequest,
} from './types';
import { WebhookQueue, type WebhookTarget } from './webhooks';

export interface RefChange {
  ref: string;
  before: string;
  after: string;
}

/** Pipeline statuses GitLab's cancel acts on (Ci::HasStatus::CANCELABLE_STATUSES). */
const CANCELABLE_PIPELINE_STATUSES: ReadonlySet<FakePipelineStatus> = new Set<FakePipelineStatus>([
  'created',
  'waiting_for_resource',
  'preparing',
  'pending',
  'running',
  'scheduled',
]);

/**
 * An open MR between the same branches exists (GitLab's MergeRequest#validate_branches, which
 * the API answers with 409).
 */
export class DuplicateMergeRequestError extends Error {
  constructor(readonly existingIid: number) {
    super(`Another open merge request already exists for this source branch: !${existingIid}`);
    this.name = 'DuplicateMergeRequestError';
  }
}

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

/** A push GitLab has not applied to an MR yet (its UpdateMergeRequestsWorker is queued). */
interface PendingUpdate {
  mr: MrRec;
  sha: string;
  actor: UserRec;
  timer: NodeJS.Timeout;
  done: Promise<void>;
  settle: () => void;
}

/** What the API answers the next `failNext` requests with (FakeGitLab.failNextRequests). */
export interface RequestFailure {
  remaining: number;
  status: number | 'stall';
  method?: string;
  path?: RegExp;
}

export interface CoreOptions {
  webhook: WebhookTarget;
  pipelinePolicy?: PipelinePolicy;
  log: (m: string) => void;
  rebaseDelayMs?: number;
  asyncMergeRequestUpdateMs?: number;
  mergeErrorStyle?: MergeErrorStyle;
  hookDelivery?: HookDeliveryOptions;
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
  asyncMergeRequestUpdateMs: number;
  mergeErrorStyle: MergeErrorStyle;
  /** Every REST request an admin made with Sudo, oldest first. */
  readonly sudoRequests: SudoRequest[] = [];
  /** Every REST request answered, oldest first. */
  readonly apiRequests: ApiRequestRecord[] = [];
  /** Outages a test asked for, consumed in order. */
  readonly requestFailures: RequestFailure[] = [];
  /** Background work (API rebases, MR updates) that stop() waits for. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The timer that ends each pipeline's current run as the policy said, by pipeline id. */
  private readonly pipelineTimers = new Map<number, NodeJS.Timeout>();
  private readonly pipelineListeners = new Set<(p: PipelineRec) => void>();
  private readonly pendingUpdates: PendingUpdate[] = [];
  private stopped = false;

  readonly log: (m: string) => void;

  constructor(
    readonly reposDir: string,
    opts: CoreOptions,
  ) {
    this.log = opts.log;
    this.rebaseDelayMs = opts.rebaseDelayMs ?? 100;
    this.asyncMergeRequestUpdateMs = opts.asyncMergeRequestUpdateMs ?? 200;
    this.mergeErrorStyle = opts.mergeErrorStyle ?? 'current';
    this.webhook = opts.webhook;
    this.pipelinePolicy = opts.pipelinePolicy;
    this.hooks = new WebhookQueue(
      () => this.webhook,
      () => this.baseUrl,
      opts.log,
      opts.hookDelivery,
    );
  }

  /** Called once by stop(), e.g. to release merges a test held and never released. */
  readonly onStop: Array<() => void> = [];

  stop(): void {
    this.stopped = true;
    for (const release of this.onStop.splice(0)) release();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pipelineTimers.clear();
    for (const u of this.pendingUpdates.splice(0)) {
      clearTimeout(u.timer);
      u.settle();
    }
    this.hooks.stop();
  }

  /** Resolves once background work already started (a running rebase) has finished. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.hooks.drain();
  }

  /** Runs `fn` in the background; drain() waits for it, failures are logged. */
  background(fn: () => Promise<void>): void {
    this.track(
      fn().catch((e: unknown) =>
        this.log(`fake gitlab: background task failed: ${e instanceof Error ? e.message : String(e)}`),
      ),
    );
  }

  private track(run: Promise<unknown>): void {
    this.inflight.add(run);
    void run.finally(() => this.inflight.delete(run));
  }

  /** Runs `fn` after `ms` unless the fake stops first; stop()/drain() know about it. */
  later(ms: number, fn: () => Promise<void> | void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.track(
        Promise.resolve()
          .then(fn)
          .catch((e: unknown) =>
            this.log(`fake gitlab: background task failed: ${e instanceof Error ? e.message : String(e)}`),
          ),
      );
    }, ms);
    this.timers.add(t);
  }

  // --- access -----------------------------------------------------------------------------

  /** The level the user acts with: their role, reporter-like read for internal projects and fork collaborators. */
  accessLevel(p: ProjectRec, u: UserRec): number {
    return effectiveLevel(this.store, p, u);
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
      // GitLab's RefreshService marks open MRs into this branch merged when the push brings in
      // their latest diff head ("merged manually"). An MR whose update after its own push has not
      // run yet still has its old head and is not matched; when that update runs later, its head
      // is already in the target, its diff is empty, and it is never matched (gitlab#636014).
      const mergedManually: MrRec[] = [];
      if (c.after !== ZERO_SHA) {
        for (const mr of this.store.mrs.filter((m) => m.projectId === p.id && m.state === 'opened' && m.targetBranch === branch)) {
          // A head this repository does not hold (a fork's, not fetched yet) is not in the push.
          const contains = (tip: string): Promise<boolean> => isAncestor(p.repoDir, mr.headSha, tip).catch(() => false);
          const reached = await contains(c.after);
          const before = c.before !== ZERO_SHA && (await contains(c.before));
          if (reached && !before) mergedManually.push(mr);
        }
      }
      // From here on only state changes, synchronous git and queued hooks: nothing interleaves.
      this.hooks.enqueue('Push Hook', pushHook(this, p, c, commits, actor));
      for (const mr of mergedManually) this.markMergedManually(p, mr, actor, c.before);
      if (c.after === ZERO_SHA) continue;
      const mrs = this.store.openMrsFromBranch(p.id, branch);
      for (const mr of mrs) {
        // GitLab keeps approvals when the new head is the result of its own rebase.
        if (p.resetApprovalsOnPush && c.after !== mr.rebaseCommitSha) resets.push(mr);
        this.scheduleMrUpdate(mr, c.after, actor);
      }
      // With merge request pipelines, workflow rules skip the branch pipeline of an MR branch.
      const mrPipelinesOnly = p.pipelineMode === 'merge-request' || p.pipelineMode === 'merged-results';
      if (mrs.length === 0 || !mrPipelinesOnly) {
        this.createPipeline(p, { sha: c.after, ref: branch, beforeSha: c.before, actor, kind: 'branch' });
      }
    }
    for (const mr of resets) {
      const target = this.store.projects.get(mr.projectId) as ProjectRec;
      // GitLab resets in a background worker; approvals given meanwhile are swept away too.
      if (target.approvalResetDelayMs > 0) {
        this.later(target.approvalResetDelayMs, () => this.resetApprovals(target, mr, actor));
      } else {
        this.resetApprovals(target, mr, actor);
      }
    }
  }

  private markMergedManually(p: ProjectRec, mr: MrRec, actor: UserRec, targetBefore: string): void {
    if (mr.state !== 'opened') return;
    const at = now();
    mr.targetShaAtMerge = targetBefore === ZERO_SHA ? null : targetBefore;
    mr.state = 'merged';
    mr.mergedAt = at;
    mr.updatedAt = at;
    mr.mergedById = actor.id;
    mr.mergeCommitSha = mr.headSha;
    mr.mergedCommitSha = mr.headSha;
    mr.mergeError = null;
    this.mrHook(p, mr, actor, { action: 'merge' });
  }

  // --- the MR update after a push ------------------------------------------------------------

  /**
   * GitLab applies a push to its MRs in a background worker: until then the MR shows the old
   * `sha` and its mergeability is `checking`; then it updates `sha`, sends the "update" hook and
   * creates merge request pipelines.
   */
  private scheduleMrUpdate(mr: MrRec, sha: string, actor: UserRec): void {
    mr.pendingUpdates++;
    if (this.asyncMergeRequestUpdateMs <= 0 || this.stopped) {
      this.applyMrUpdate(mr, sha, actor);
      return;
    }
    let settle = (): void => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const u: PendingUpdate = {
      mr,
      sha,
      actor,
      done,
      settle,
      timer: setTimeout(() => this.track(this.runUpdate(u)), this.asyncMergeRequestUpdateMs),
    };
    this.pendingUpdates.push(u);
  }

  private async runUpdate(u: PendingUpdate): Promise<void> {
    const i = this.pendingUpdates.indexOf(u);
    if (i < 0) return; // already run by a flush
    this.pendingUpdates.splice(i, 1);
    clearTimeout(u.timer);
    try {
      const target = this.store.projects.get(u.mr.projectId) as ProjectRec;
      await this.withLock(target, async () => this.applyMrUpdate(u.mr, u.sha, u.actor));
    } catch (e) {
      this.log(`fake gitlab: merge request update failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      u.settle();
    }
  }

  /** Applies every pending MR update now (optionally only this MR's), in push order. */
  async flushMrUpdates(only?: MrRec): Promise<void> {
    const runs = this.pendingUpdates.filter((u) => !only || u.mr === only).map((u) => this.runUpdate(u));
    await Promise.all(runs);
  }

  /** Applies this MR's pending updates synchronously; for callers already holding its lock. */
  private applyPendingUpdatesNow(mr: MrRec): void {
    for (const u of this.pendingUpdates.filter((x) => x.mr === mr)) {
      this.pendingUpdates.splice(this.pendingUpdates.indexOf(u), 1);
      clearTimeout(u.timer);
      this.applyMrUpdate(u.mr, u.sha, u.actor);
      u.settle();
    }
  }

  /** Resolves once no MR update is pending (those scheduled meanwhile included). */
  async mrUpdatesDone(): Promise<void> {
    while (this.pendingUpdates.length > 0) await Promise.all(this.pendingUpdates.map((u) => u.done));
  }

  private applyMrUpdate(mr: MrRec, sha: string, actor: UserRec): void {
    mr.pendingUpdates = Math.max(0, mr.pendingUpdates - 1);
    if (mr.state !== 'opened' || mr.headSha === sha) return;
    const target = this.store.projects.get(mr.projectId) as ProjectRec;
    this.writeMrHeadRef(target, mr, sha);
    const oldrev = mr.headSha;
    const before = mr.updatedAt;
    mr.headSha = sha;
    mr.headHistory.push(sha);
    mr.updatedAt = now();
    this.mrHook(target, mr, actor, {
      action: 'update',
      oldrev,
      changes: { updated_at: { previous: hookTime(before), current: hookTime(mr.updatedAt) } },
    });
    this.createMrPipelines(target, mr, actor, oldrev);
  }

  /**
   * refs/merge-requests/<iid>/head in the target repository, as GitLab keeps it; for fork MRs
   * this brings the fork's commits into the target repository, so they can be merged there.
   */
  private writeMrHeadRef(target: ProjectRec, mr: MrRec, sha: string): void {
    const ref = `refs/merge-requests/${mr.iid}/head`;
    if (mr.sourceProjectId === target.id) {
      updateRefSync(target.repoDir, ref, sha);
    } else {
      const source = this.store.projects.get(mr.sourceProjectId) as ProjectRec;
      fetchCommitSync(target.repoDir, source.repoDir, sha, ref);
    }
  }

  /** The merge request pipelines the target project's CI configuration asks for. */
  private createMrPipelines(target: ProjectRec, mr: MrRec, actor: UserRec, beforeSha: string): void {
    const mode = target.pipelineMode;
    if (mode === 'branch') return;
    if (mode === 'merged-results') {
      const targetHead = revParseSync(target.repoDir, `refs/heads/${mr.targetBranch}`);
      const tree = targetHead ? mergeTreeSync(target.repoDir, targetHead, mr.headSha) : undefined;
      if (targetHead && tree) {
        const message = `Merge branch '${mr.sourceBranch}' into '${mr.targetBranch}'\n`;
        const merge = commitTreeSync(target.repoDir, tree, [targetHead, mr.headSha], message, {
          name: actor.name,
          email: actor.email,
        });
        const ref = `refs/merge-requests/${mr.iid}/merge`;
        updateRefSync(target.repoDir, ref, merge);
        this.rememberCommit(commitInfoSync(target.repoDir, merge));
        this.createPipeline(target, {
          sha: merge,
          ref,
          beforeSha,
          actor,
          kind: 'merged-results',
          mr,
          sourceSha: mr.headSha,
          targetSha: targetHead,
        });
        return;
      }
      // Conflicts: GitLab runs a detached merge request pipeline instead.
    }
    this.createPipeline(target, {
      sha: mr.headSha,
      ref: `refs/merge-requests/${mr.iid}/head`,
      beforeSha,
      actor,
      kind: 'merge-request',
      mr,
    });
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

  /**
   * GitLab rebases in the source project (the fork, for fork MRs) onto the target branch; the
   * source branch moves and the MR follows at once. Call under the target project's lock; a
   * failure leaves the branch as it was and says why in merge_error.
   */
  async rebase(p: ProjectRec, mr: MrRec, actor: UserRec): Promise<void> {
    if (mr.state !== 'opened') return;
    const source = this.store.projects.get(mr.sourceProjectId) as ProjectRec;
    const ref = `refs/heads/${mr.sourceBranch}`;
    const [head, target] = await Promise.all([
      revParse(source.repoDir, ref),
      revParse(p.repoDir, `refs/heads/${mr.targetBranch}`),
    ]);
    if (!head || !target) {
      mr.mergeError = REBASE_ERROR;
      return;
    }
    if (source !== p) await fetchCommit(source.repoDir, p.repoDir, target, `refs/fake-gitlab/rebase-onto/${mr.iid}`);
    const result = await rebaseCommits(source.repoDir, head, target, { name: actor.name, email: actor.email });
    if (!result.ok) {
      // GitLab leaves the branch as it was and says why on the MR.
      mr.mergeError = REBASE_ERROR;
      return;
    }
    if (result.sha !== head) {
      const violation = pushRuleViolation(source, await commitsBetween(source.repoDir, result.sha, [target], 1000));
      if (violation) {
        mr.mergeError = `Rebase failed: ${violation}`;
        return;
      }
      mr.rebaseCommitSha = result.sha;
      await updateRef(source.repoDir, ref, result.sha, head);
      const apply = (): Promise<void> =>
        this.applyRefChanges(source, [{ ref, before: head, after: result.sha }], actor);
      // The fork has its own lock; the target's is already held by the caller.
      await (source === p ? apply() : this.withLock(source, apply));
      // The rebase job finishes with the MR updated (rebase_in_progress clears after).
      this.applyPendingUpdatesNow(mr);
    }
    mr.mergeError = null;
  }

  /**
   * The MR's commits as GitLab's MR diff lists them (GET .../commits), newest first: those of the
   * source head not in the target branch, or, once merged, not in the target as it was before.
   */
  async mrCommits(p: ProjectRec, mr: MrRec): Promise<CommitInfo[]> {
    const base = mr.targetShaAtMerge ?? (await revParse(p.repoDir, `refs/heads/${mr.targetBranch}`));
    const list = await commitsBetween(p.repoDir, mr.headSha, base ? [base] : [], 10_000, { topoOrder: true });
    list.forEach((c) => this.rememberCommit(c));
    return list;
  }

  // --- pipelines --------------------------------------------------------------------------

  createPipeline(
    p: ProjectRec,
    f: {
      sha: string;
      ref: string;
      beforeSha: string;
      actor: UserRec;
      kind: PipelineKind;
      mr?: MrRec;
      sourceSha?: string;
      targetSha?: string;
    },
  ): PipelineRec {
    const at = now();
    const pl: PipelineRec = {
      id: this.store.newPipelineId(),
      iid: p.nextPipelineIid++,
      projectId: p.id,
      sha: f.sha,
      beforeSha: f.beforeSha,
      ref: f.ref,
      kind: f.kind,
      mrIid: f.mr?.iid ?? null,
      mrProjectId: f.mr?.projectId ?? null,
      sourceSha: f.sourceSha ?? null,
      targetSha: f.targetSha ?? null,
      status: 'pending',
      runs: 1,
      userId: f.actor.id,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      finishedAt: null,
    };
    this.store.pipelines.push(pl);
    this.pipelineHook(p, pl);
    for (const l of this.pipelineListeners) l(pl);
    this.planPipelineRun(p, pl);
    return pl;
  }

  /**
   * Asks the policy how the pipeline's current run (pl.runs) ends and arms the timer that
   * finishes it; 'manual' (or no policy) leaves it to the test.
   */
  private planPipelineRun(p: ProjectRec, pl: PipelineRec): void {
    this.clearPipelineTimer(pl);
    const plan =
      this.pipelinePolicy?.({
        project: p.path,
        sha: pl.sha,
        ref: pl.ref,
        kind: pl.kind,
        mergeRequestIid: pl.mrIid,
        run: pl.runs,
        pipelineId: pl.id,
      }) ?? 'manual';
    if (plan === 'manual' || this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.pipelineTimers.delete(pl.id);
      if (!isFinalStatus(pl.status)) this.setPipelineStatus(p, pl, plan.status);
    }, plan.afterMs);
    this.timers.add(t);
    this.pipelineTimers.set(pl.id, t);
  }

  private clearPipelineTimer(pl: PipelineRec): void {
    const t = this.pipelineTimers.get(pl.id);
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
    this.pipelineTimers.delete(pl.id);
  }

  setPipelineStatus(p: ProjectRec, pl: PipelineRec, status: FakePipelineStatus): void {
    if (pl.status === status) return;
    const at = now();
    pl.status = status;
    pl.updatedAt = at;
    if (status !== 'pending' && status !== 'created' && !pl.startedAt) pl.startedAt = at;
    pl.finishedAt = isFinalStatus(status) ? at : null;
    // A run that ended (policy, test or cancel) has nothing left for its timer to do.
    if (isFinalStatus(status)) this.clearPipelineTimer(pl);
    this.pipelineHook(p, pl);
  }

  /**
   * POST .../pipelines/:id/retry (Ci::RetryPipelineService): GitLab retries the failed and
   * canceled jobs of the same pipeline, which goes back to pending (Pipeline Hook) and runs
   * again; the policy is asked anew with the next `run`. A pipeline with nothing failed or
   * canceled (running, pending, passed, skipped) is left as it is, as on GitLab. True when it
   * was restarted.
   */
  retryPipeline(p: ProjectRec, pl: PipelineRec): boolean {
    if (pl.status !== 'failed' && pl.status !== 'canceled') return false;
    pl.runs++;
    this.setPipelineStatus(p, pl, 'pending');
    this.planPipelineRun(p, pl);
    return true;
  }

  /**
   * POST .../pipelines/:id/cancel (Ci::CancelPipelineService): a pipeline that has not finished
   * becomes canceled (Pipeline Hook) and the policy's pending outcome is dropped, so it stays
   * canceled. A finished (or manual) pipeline is left as it is. True when it was canceled.
   */
  cancelPipeline(p: ProjectRec, pl: PipelineRec): boolean {
    if (!CANCELABLE_PIPELINE_STATUSES.has(pl.status)) return false;
    this.clearPipelineTimer(pl);
    this.setPipelineStatus(p, pl, 'canceled');
    return true;
  }

  onPipelineCreated(listener: (p: PipelineRec) => void): () => void {
    this.pipelineListeners.add(listener);
    return () => this.pipelineListeners.delete(listener);
  }

  /**
   * The MR a merge request pipeline ran for. Branch pipelines name none, even when an open MR
   * has that branch: GitLab fills the hook's merge_request only for merge request pipelines.
   */
  mrOfPipeline(pl: PipelineRec): MrRec | undefined {
    return pl.mrIid !== null && pl.mrProjectId !== null ? this.store.mr(pl.mrProjectId, pl.mrIid) : undefined;
  }

  private pipelineHook(p: ProjectRec, pl: PipelineRec): void {
    this.hooks.enqueue('Pipeline Hook', pipelineHook(this, p, pl, this.mrOfPipeline(pl)));
  }

  // --- merge requests ---------------------------------------------------------------------

  /**
   * Creates an MR in target project `p`; the head commit must already be remembered
   * (rememberCommit). For a fork MR `source` is the fork, whose commits are fetched into `p`.
   */
  createMr(
    p: ProjectRec,
    f: {
      source: ProjectRec;
      allowCollaboration: boolean;
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
      .find(
        (m) =>
          m.state === 'opened' &&
          m.sourceProjectId === f.source.id &&
          m.sourceBranch === f.sourceBranch &&
          m.targetBranch === f.targetBranch,
      );
    if (duplicate) throw new DuplicateMergeRequestError(duplicate.iid);
    const at = now();
    for (const title of normalizeLabels(f.labels)) this.store.label(p, title);
    const mr: MrRec = {
      id: this.store.newMrId(),
      iid: p.nextMrIid++,
      projectId: p.id,
      sourceProjectId: f.source.id,
      // GitLab keeps the flag only where it means something: MRs from forks.
      allowCollaboration: f.source.id !== p.id && f.allowCollaboration,
      pendingUpdates: 0,
      nextMerge: null,
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
      targetShaAtMerge: null,
    };
    this.writeMrHeadRef(p, mr, f.headSha);
    this.store.mrs.push(mr);
    this.mrHook(p, mr, f.author, { action: 'open' });
    // GitLab creates the first merge request pipeline when the MR is opened.
    this.createMrPipelines(p, mr, f.author, ZERO_SHA);
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
