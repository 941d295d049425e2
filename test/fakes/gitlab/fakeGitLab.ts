// The test-facing fake GitLab: a loopback HTTP server with REST API v4, git smart HTTP and
// webhooks, plus helpers that act as people would (commit, open MRs, approve, comment, ...).
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { apiRouter } from './api';
import { Core } from './core';
import {
  cloneBareSync,
  commitFiles,
  commitFilesSync,
  commitInfo,
  commitInfoSync,
  deleteRef,
  initBareRepoSync,
  isAncestor,
  logSync,
  prepareBareRepoSync,
  revParse,
  revParseSync,
  updateRef,
} from './git';
import { performMerge } from './merge';
import { smartHttp } from './smartHttp';
import { FakeSshServer } from './sshServer';
import {
  isDraftTitle,
  now,
  withDraft,
  ZERO_SHA,
  type MrRec,
  type PipelineRec,
  type ProjectRec,
  type UserRec,
} from './store';
import {
  ACCESS_LEVEL,
  type AddGroupOptions,
  type AddProjectOptions,
  type ApiRequestRecord,
  type AddUserOptions,
  type CommitOptions,
  type CreateMergeRequestOptions,
  type FakeCommit,
  type FakeGitLabOptions,
  type FakeMergeOptions,
  type FakeMergeRequest,
  type FakeNote,
  type FakePipeline,
  type FakePipelineStatus,
  type FakeProject,
  type FakeUser,
  type HookDeliveryOptions,
  type MergeErrorStyle,
  type MergeMethod,
  type PipelinePolicy,
  type ProjectSettings,
  type Role,
  type SudoRequest,
  type WebhookDelivery,
} from './types';
import { gitHttpUrl, gitSshPortUrl, mrWebUrl, pipelineWebUrl, projectWebUrl } from './urls';

export class FakeGitLab {
  private constructor(
    private readonly core: Core,
    private readonly server: http.Server,
    /** e.g. http://127.0.0.1:41234 (no trailing slash) */
    readonly url: string,
    /** Holds the bare repositories under repos/. */
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly ssh?: FakeSshServer,
  ) {}

  static async start(opts: FakeGitLabOptions = {}): Promise<FakeGitLab> {
    const ownsDataDir = !opts.dataDir;
    const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gitlab-'));
    const reposDir = path.join(dataDir, 'repos');
    fs.mkdirSync(reposDir, { recursive: true });
    const log = opts.log ?? ((m: string) => console.warn(m));
    const core = new Core(reposDir, {
      webhook: { url: opts.webhookUrl, secret: opts.webhookSecret },
      pipelinePolicy: opts.pipelinePolicy,
      log,
      rebaseDelayMs: opts.rebaseDelayMs,
      asyncMergeRequestUpdateMs: opts.asyncMergeRequestUpdateMs,
      mergeErrorStyle: opts.mergeErrorStyle,
      hookDelivery: opts.hookDelivery,
    });

    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(smartHttp(core));
    app.use('/api/v4', apiRouter(core));
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('Not Found\n');
    });

    const server = await new Promise<http.Server>((resolve, reject) => {
      const s = app.listen(opts.port ?? 0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    // Keep-alive sockets would otherwise hold stop() until they time out.
    server.keepAliveTimeout = 1000;
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    core.baseUrl = url;
    const ssh = opts.ssh ? await FakeSshServer.start(core) : undefined;
    core.sshPort = ssh?.port;
    return new FakeGitLab(core, server, url, dataDir, ownsDataDir, ssh);
  }

  async stop(): Promise<void> {
    await this.ssh?.stop();
    this.core.stop();
    await this.core.drain();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Where (and with which X-Gitlab-Token) hooks go from now on; undefined url stops sending. */
  setWebhook(url: string | undefined, secret?: string): void {
    this.core.webhook = { url, secret };
  }

  setPipelinePolicy(policy: PipelinePolicy | undefined): void {
    this.core.pipelinePolicy = policy;
  }

  /**
   * GitLab-like webhook delivery from now on (random delays, concurrent, some dropped or sent
   * twice; see HookDeliveryOptions), or serial in-order delivery again with undefined.
   */
  setHookDelivery(opts: HookDeliveryOptions | undefined): void {
    this.core.hooks.setDelivery(opts);
  }

  /** The seed of GitLab-like delivery (to replay a run); undefined while delivery is serial. */
  get hookDeliverySeed(): number | undefined {
    return this.core.hooks.seed;
  }

  /** How PUT .../merge refuses from now on (see MergeErrorStyle). */
  setMergeErrorStyle(style: MergeErrorStyle): void {
    this.core.mergeErrorStyle = style;
  }

  /** How long GitLab takes to apply a push to its MRs from now on (see asyncMergeRequestUpdateMs). */
  setAsyncMergeRequestUpdateMs(ms: number): void {
    this.core.asyncMergeRequestUpdateMs = ms;
  }

  /** Applies every push GitLab has not applied to its MRs yet, now. */
  flushMergeRequestUpdates(): Promise<void> {
    return this.core.flushMrUpdates();
  }

  /** Resolves once GitLab has applied every push to its MRs (waits, unlike flush). */
  mergeRequestUpdatesDone(): Promise<void> {
    return this.core.mrUpdatesDone();
  }

  // --- outages ----------------------------------------------------------------------------

  /**
   * The next `count` REST requests (optionally only those with this method / path under
   * /api/v4) get `status` instead of an answer: 429 as GitLab's throttle (Retry-After), 5xx
   * as a proxy's HTML error page.
   */
  failNextRequests(count: number, status: number, match: { method?: string; path?: RegExp } = {}): void {
    this.core.requestFailures.push({ remaining: count, status, ...match });
  }

  /** The next `count` REST requests are never answered (until stop()): clients must time out. */
  stallNextRequests(count: number, match: { method?: string; path?: RegExp } = {}): void {
    this.core.requestFailures.push({ remaining: count, status: 'stall', ...match });
  }

  /** Every REST request answered so far, oldest first. */
  get apiRequests(): readonly ApiRequestRecord[] {
    return this.core.apiRequests;
  }

  // --- git over SSH (start({ ssh: true })) ---------------------------------------------------

  /** The SSH server's loopback port; undefined unless started with `ssh: true`. */
  get sshPort(): number | undefined {
    return this.ssh?.port;
  }

  /**
   * ssh://git@127.0.0.1:PORT/group/app.git, what the REST API reports as ssh_url_to_repo when SSH
   * is on. (Real GitLab reports the scp-like git@host:group/app.git; the ssh:// form carries the
   * port.)
   */
  sshUrl(projectPath: string): string {
    if (!this.ssh) throw new Error('FakeGitLab was started without ssh: true');
    return gitSshPortUrl(this.ssh.port, this.core.store.requireProject(projectPath));
  }

  /** Registers an OpenSSH public key line (the content of id_ed25519.pub) for git over SSH. */
  addSshKey(username: string, publicKeyText: string): void {
    if (!this.ssh) throw new Error('FakeGitLab was started without ssh: true');
    this.ssh.addKey(username, publicKeyText);
  }

  // --- users and projects -----------------------------------------------------------------

  addUser(u: AddUserOptions): FakeUser {
    return toUser(this.core.store.addUser(u));
  }

  user(username: string): FakeUser {
    return toUser(this.core.store.requireUser(username));
  }

  addProject(projectPath: string, opts: AddProjectOptions = {}): FakeProject {
    const store = this.core.store;
    if (!/^[\w.-]+(\/[\w.-]+)+$/.test(projectPath))
      throw new Error(`project path must look like group/app: ${projectPath}`);
    if (store.projectByPath(projectPath)) throw new Error(`project ${projectPath} exists`);
    const defaultBranch = opts.defaultBranch ?? 'main';
    const segments = projectPath.split('/');
    const p: ProjectRec = {
      id: store.newProjectId(),
      path: projectPath,
      name: segments[segments.length - 1],
      namespace: segments.slice(0, -1).join('/'),
      defaultBranch,
      members: new Map(),
      visibility: opts.visibility ?? 'private',
      forkedFromId: null,
      pipelineMode: opts.pipelines ?? 'branch',
      approvalsRequired: opts.approvalsRequired ?? 0,
      approvalRules: store.approvalRules(opts.approvalRules ?? []),
      mergeMethod: opts.mergeMethod ?? 'merge',
      rebaseOnMerge: opts.rebaseOnMerge ?? false,
      protectedBranches: store.protectedBranchRules(opts.protectedBranches ?? [defaultBranch]),
      onlyAllowMergeIfPipelineSucceeds: opts.onlyAllowMergeIfPipelineSucceeds ?? true,
      allowMergeOnSkippedPipeline: opts.allowMergeOnSkippedPipeline ?? false,
      onlyAllowMergeIfAllDiscussionsAreResolved: opts.onlyAllowMergeIfAllDiscussionsAreResolved ?? true,
      resetApprovalsOnPush: opts.resetApprovalsOnPush ?? false,
      approvalResetDelayMs: opts.approvalResetDelayMs ?? 0,
      pushRule: opts.pushRule ? { ...opts.pushRule } : undefined,
      labels: new Map(),
      repoDir: path.join(this.core.reposDir, `${projectPath}.git`),
      createdAt: now(),
      nextMrIid: 1,
      nextPipelineIid: 1,
    };
    for (const [username, role] of Object.entries(opts.members ?? {})) {
      p.members.set(store.requireUser(username).id, ACCESS_LEVEL[role]);
    }
    initBareRepoSync(p.repoDir, defaultBranch);
    const owner = this.anyUser(p);
    const sha = commitFilesSync(p.repoDir, {
      ref: `refs/heads/${defaultBranch}`,
      files: opts.files ?? { 'README.md': `# ${p.name}\n` },
      message: 'Initial commit\n',
      author: { name: owner?.name ?? 'Administrator', email: owner?.email ?? 'admin@example.test' },
    });
    this.core.rememberCommit(commitInfoSync(p.repoDir, sha));
    store.projects.set(p.id, p);
    return this.project(projectPath);
  }

  /**
   * Forks `from` into `to` as `owner` would (GitLab's "Fork"): a new project with all of
   * `from`'s branches and CI configuration, `owner` its Owner, private unless said otherwise.
   */
  forkProject(
    from: string,
    to: string,
    owner: string,
    opts: { members?: Record<string, Role>; visibility?: 'private' | 'internal' } = {},
  ): FakeProject {
    const store = this.core.store;
    const upstream = store.requireProject(from);
    if (!/^[\w.-]+(\/[\w.-]+)+$/.test(to)) throw new Error(`project path must look like group/app: ${to}`);
    if (store.projectByPath(to)) throw new Error(`project ${to} exists`);
    const segments = to.split('/');
    const p: ProjectRec = {
      ...upstream,
      id: store.newProjectId(),
      path: to,
      name: segments[segments.length - 1],
      namespace: segments.slice(0, -1).join('/'),
      members: new Map([[store.requireUser(owner).id, ACCESS_LEVEL.owner]]),
      visibility: opts.visibility ?? upstream.visibility,
      forkedFromId: upstream.id,
      approvalRules: [],
      approvalsRequired: 0,
      protectedBranches: store.protectedBranchRules([upstream.defaultBranch]),
      pushRule: undefined,
      labels: new Map(),
      repoDir: path.join(this.core.reposDir, `${to}.git`),
      createdAt: now(),
      nextMrIid: 1,
      nextPipelineIid: 1,
    };
    for (const [username, role] of Object.entries(opts.members ?? {})) {
      p.members.set(store.requireUser(username).id, ACCESS_LEVEL[role]);
    }
    cloneBareSync(upstream.repoDir, p.repoDir);
    prepareBareRepoSync(p.repoDir);
    store.projects.set(p.id, p);
    return this.project(to);
  }

  /** A group, for protected branch rules that name one (`{ group: path }`). */
  addGroup(groupPath: string, opts: AddGroupOptions = {}): { id: number; path: string } {
    const store = this.core.store;
    if (store.groupByPath(groupPath)) throw new Error(`group ${groupPath} exists`);
    const g = {
      id: store.newGroupId(),
      path: groupPath,
      name: groupPath.split('/').pop() ?? groupPath,
      members: new Map<number, number>(),
    };
    for (const [username, role] of Object.entries(opts.members ?? {})) {
      g.members.set(store.requireUser(username).id, ACCESS_LEVEL[role]);
    }
    store.groups.set(g.id, g);
    return { id: g.id, path: g.path };
  }

  project(projectPath: string): FakeProject {
    const p = this.core.store.requireProject(projectPath);
    const upstream = p.forkedFromId !== null ? this.core.store.projects.get(p.forkedFromId) : undefined;
    return {
      id: p.id,
      path: p.path,
      forkedFrom: upstream?.path ?? null,
      defaultBranch: p.defaultBranch,
      webUrl: projectWebUrl(this.url, p),
      httpUrl: gitHttpUrl(this.url, p),
      repoDir: p.repoDir,
    };
  }

  /**
   * Changes project settings after creation, as a maintainer would in Settings. Only the keys
   * given change; `pushRule: null` removes the push rule.
   */
  setProjectOption(projectPath: string, settings: ProjectSettings): void {
    const p = this.core.store.requireProject(projectPath);
    if (settings.approvalsRequired !== undefined) p.approvalsRequired = settings.approvalsRequired;
    if (settings.approvalRules !== undefined) p.approvalRules = this.core.store.approvalRules(settings.approvalRules);
    if (settings.resetApprovalsOnPush !== undefined) p.resetApprovalsOnPush = settings.resetApprovalsOnPush;
    if (settings.approvalResetDelayMs !== undefined) p.approvalResetDelayMs = settings.approvalResetDelayMs;
    if (settings.mergeMethod !== undefined) p.mergeMethod = settings.mergeMethod;
    if (settings.rebaseOnMerge !== undefined) p.rebaseOnMerge = settings.rebaseOnMerge;
    if (settings.onlyAllowMergeIfPipelineSucceeds !== undefined)
      p.onlyAllowMergeIfPipelineSucceeds = settings.onlyAllowMergeIfPipelineSucceeds;
    if (settings.onlyAllowMergeIfAllDiscussionsAreResolved !== undefined)
      p.onlyAllowMergeIfAllDiscussionsAreResolved = settings.onlyAllowMergeIfAllDiscussionsAreResolved;
    if (settings.allowMergeOnSkippedPipeline !== undefined) p.allowMergeOnSkippedPipeline = settings.allowMergeOnSkippedPipeline;
    if (settings.protectedBranches !== undefined) {
      p.protectedBranches = this.core.store.protectedBranchRules(settings.protectedBranches);
    }
    if (settings.pipelines !== undefined) p.pipelineMode = settings.pipelines;
    if (settings.visibility !== undefined) p.visibility = settings.visibility;
    if (settings.pushRule !== undefined) p.pushRule = settings.pushRule === null ? undefined : { ...settings.pushRule };
  }

  /** The project's merge method from now on (Settings > Merge requests), as setProjectOption does. */
  setMergeMethod(projectPath: string, method: MergeMethod, opts: { rebaseOnMerge?: boolean } = {}): void {
    this.setProjectOption(projectPath, { mergeMethod: method, ...opts });
  }

  /** Adds or changes a member's role. */
  setMember(projectPath: string, username: string, role: Role): void {
    this.core.store
      .requireProject(projectPath)
      .members.set(this.core.store.requireUser(username).id, ACCESS_LEVEL[role]);
  }

  /** Clone URL with the user's token as basic-auth password, ready for `git clone`. */
  cloneUrl(projectPath: string, username: string): string {
    const u = new URL(this.project(projectPath).httpUrl);
    u.username = 'oauth2';
    u.password = this.core.store.requireUser(username).token;
    return u.toString();
  }

  // --- git --------------------------------------------------------------------------------

  /**
   * Commits straight into the bare repo, then reacts exactly as to a push over HTTP
   * (Push Hook, MR head update + hook, pipeline). `from` only matters for a new branch.
   */
  async commit(projectPath: string, branch: string, opts: CommitOptions): Promise<string> {
    const p = this.core.store.requireProject(projectPath);
    const actor = opts.author ? this.core.store.requireUser(opts.author) : this.anyUser(p);
    if (!actor) throw new Error('commit() needs an author: add a user first');
    return this.core.withLock(p, async () => {
      const ref = `refs/heads/${branch}`;
      const before = await revParse(p.repoDir, ref);
      const parent = before ?? (await revParse(p.repoDir, `refs/heads/${opts.from ?? p.defaultBranch}`));
      if (!parent) throw new Error(`branch ${opts.from ?? p.defaultBranch} does not exist in ${projectPath}`);
      const message = opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`;
      const sha = await commitFiles(p.repoDir, {
        ref,
        parent,
        files: opts.files,
        message,
        author: { name: actor.name, email: actor.email },
      });
      await this.core.applyRefChanges(p, [{ ref, before: before ?? ZERO_SHA, after: sha }], actor);
      return sha;
    });
  }

  /**
   * Points `branch` at an existing commit (null deletes it) as a push would, e.g. a force-push
   * or pushing a known commit to a new branch; hooks and pipelines follow as for any push.
   */
  async setBranch(
    projectPath: string,
    branch: string,
    sha: string | null,
    opts: { author?: string } = {},
  ): Promise<void> {
    const p = this.core.store.requireProject(projectPath);
    const actor = opts.author ? this.core.store.requireUser(opts.author) : this.anyUser(p);
    if (!actor) throw new Error('setBranch() needs an author: add a user first');
    await this.core.withLock(p, async () => {
      const ref = `refs/heads/${branch}`;
      const before = (await revParse(p.repoDir, ref)) ?? ZERO_SHA;
      if (sha === null) {
        if (before === ZERO_SHA) return;
        await deleteRef(p.repoDir, ref, before);
      } else {
        if (!(await revParse(p.repoDir, sha))) throw new Error(`no commit ${sha} in ${projectPath}`);
        await updateRef(p.repoDir, ref, sha, before);
      }
      await this.core.applyRefChanges(p, [{ ref, before, after: sha ?? ZERO_SHA }], actor);
    });
  }

  branchHead(projectPath: string, branch: string): string | undefined {
    return revParseSync(this.core.store.requireProject(projectPath).repoDir, `refs/heads/${branch}`);
  }

  /** Commits on a branch, newest first. */
  /** The full message of a commit (subject, body and trailers). */
  async commitMessage(projectPath: string, sha: string): Promise<string> {
    const repo = this.core.store.requireProject(projectPath).repoDir;
    return (await commitInfo(repo, sha)).message;
  }

  log(projectPath: string, branch: string, max = 50): FakeCommit[] {
    const repo = this.core.store.requireProject(projectPath).repoDir;
    return logSync(repo, `refs/heads/${branch}`, max).map((c) => ({
      sha: c.sha,
      subject: c.title,
      parents: c.parents,
    }));
  }

  // --- merge requests ---------------------------------------------------------------------

  /**
   * Opens an MR in `projectPath` (the target). With `sourceProject` the source branch lives in
   * that fork of it, as in GitLab's fork workflow.
   */
  createMergeRequest(projectPath: string, o: CreateMergeRequestOptions): FakeMergeRequest {
    const p = this.core.store.requireProject(projectPath);
    const source = o.sourceProject ? this.core.store.requireProject(o.sourceProject) : p;
    if (source !== p && source.forkedFromId !== p.id) throw new Error(`${source.path} is not a fork of ${projectPath}`);
    const head = revParseSync(source.repoDir, `refs/heads/${o.sourceBranch}`);
    if (!head) throw new Error(`source branch ${o.sourceBranch} does not exist in ${source.path}`);
    this.core.rememberCommit(commitInfoSync(source.repoDir, head));
    const mr = this.core.createMr(p, {
      source,
      allowCollaboration: o.allowCollaboration ?? false,
      sourceBranch: o.sourceBranch,
      targetBranch: o.targetBranch ?? p.defaultBranch,
      title: o.draft ? withDraft(o.title, true) : o.title,
      description: o.description ?? '',
      author: this.core.store.requireUser(o.author),
      assigneeIds: (o.assignees ?? []).map((u) => this.core.store.requireUser(u).id),
      squash: o.squash ?? false,
      headSha: head,
      labels: o.labels ?? [],
    });
    return this.toMr(p, mr);
  }

  /**
   * Merges the MR as `by` would with the Merge button, without the checks a person may skip or
   * wait out (pipeline, approvals, threads, who may merge): the MR must be open, not a draft, and
   * merge without conflicts. With `ff` or `rebase_merge` and a source behind its target, `by`
   * first rebases it (the Rebase button: the source branch and the MR's commits become the
   * rebased ones), then merges; a project with rebaseOnMerge rebases in the merge instead. What lands, the SHAs recorded and the hooks are those of a merge
   * through the API (see performMerge). Throws when GitLab would not merge it.
   */
  async merge(projectPath: string, iid: number, opts: FakeMergeOptions): Promise<FakeMergeRequest> {
    const { p, mr } = this.find(projectPath, iid);
    const actor = this.core.store.requireUser(opts.by);
    await this.core.flushMrUpdates(mr);
    await this.core.withLock(p, async () => {
      if (mr.state !== 'opened') throw new Error(`!${iid} is ${mr.state}`);
      if (isDraftTitle(mr.title)) throw new Error(`!${iid} is a draft`);
      const method = opts.method ?? p.mergeMethod;
      const target = await revParse(p.repoDir, `refs/heads/${mr.targetBranch}`);
      if (!target) throw new Error(`target branch ${mr.targetBranch} does not exist`);
      // With rebaseOnMerge GitLab rebases while merging instead (performMerge).
      if (method !== 'merge' && !p.rebaseOnMerge && !(await isAncestor(p.repoDir, target, mr.headSha))) {
        await this.core.rebase(p, mr, actor);
        if (mr.mergeError) throw new Error(`!${iid} could not be rebased: ${mr.mergeError}`);
      }
      const outcome = await performMerge(this.core, p, mr, actor, {
        method,
        squash: opts.squash,
        removeSourceBranch: opts.removeSourceBranch,
      });
      // performMerge changed mr.state, which the narrowing above cannot know.
      const state: string = mr.state;
      if (!outcome.ok || state !== 'merged') {
        throw new Error(`!${iid} was not merged: ${outcome.ok ? (mr.mergeError ?? 'unknown') : outcome.message}`);
      }
    });
    return this.toMr(p, mr);
  }

  /**
   * The MRs `author` opened, oldest first, in one project or in all: e.g. what the bot opened,
   * with labels, assignees, draft and description as GitLab shows them.
   */
  mergeRequestsOpenedBy(author: string, projectPath?: string): FakeMergeRequest[] {
    const user = this.core.store.requireUser(author);
    const only = projectPath === undefined ? undefined : this.core.store.requireProject(projectPath);
    return this.core.store.mrs
      .filter((mr) => mr.authorId === user.id && (only === undefined || mr.projectId === only.id))
      .sort((a, b) => a.id - b.id)
      .map((mr) => this.toMr(this.core.store.projects.get(mr.projectId) as ProjectRec, mr));
  }

  /** The MR's commits as GET .../commits lists them: newest first. */
  async mergeRequestCommits(projectPath: string, iid: number): Promise<FakeCommit[]> {
    const { p, mr } = this.find(projectPath, iid);
    return (await this.core.mrCommits(p, mr)).map((c) => ({ sha: c.sha, subject: c.title, parents: c.parents }));
  }

  /** Replaces the assignees, acting as `by` (default: the author). */
  assign(projectPath: string, iid: number, usernames: string[], by?: string): void {
    const { p, mr } = this.find(projectPath, iid);
    const ids = usernames.map((u) => this.core.store.requireUser(u).id);
    this.core.updateMr(p, mr, this.actor(mr, by), { assigneeIds: ids });
  }

  /**
   * The next merge of this MR passes every check, then fails in the merge itself, as when a
   * server hook refuses it: merge_error is set and PUT .../merge answers by the style (422, or
   * 200 with the MR still open in the legacy style); `answer` forces one of the two.
   */
  failNextMerge(projectPath: string, iid: number, message: string, opts: { answer?: 200 | 422 } = {}): void {
    const { mr } = this.find(projectPath, iid);
    mr.nextMerge = { kind: 'fail', message, answer: opts.answer };
  }

  /**
   * The next merge of this MR is accepted (200, the MR `locked` while GitLab merges) but not
   * finished until the test says how it ends: `finish()` merges, `fail(message)` leaves it open
   * with that merge_error. `accepted` resolves once GitLab's 200 to the merge has gone out.
   */
  holdNextMerge(projectPath: string, iid: number): { accepted: Promise<void>; finish(): void; fail(message: string): void } {
    const { mr } = this.find(projectPath, iid);
    let accept = (): void => undefined;
    const accepted = new Promise<void>((resolve) => (accept = resolve));
    let end = (_: { error: string | null }): void => undefined;
    const outcome = new Promise<{ error: string | null }>((resolve) => (end = resolve));
    this.core.onStop.push(() => end({ error: 'fake stopped' }));
    mr.nextMerge = { kind: 'hold', accepted: accept, outcome };
    return { accepted, finish: () => end({ error: null }), fail: (message: string) => end({ error: message }) };
  }

  /** `username` approves (no permission checks; the REST endpoint has them). */
  approve(projectPath: string, iid: number, username: string): void {
    const { p, mr } = this.find(projectPath, iid);
    this.core.approve(p, mr, this.core.store.requireUser(username));
  }

  unapprove(projectPath: string, iid: number, username: string): void {
    const { p, mr } = this.find(projectPath, iid);
    this.core.unapprove(p, mr, this.core.store.requireUser(username));
  }

  /**
   * Replaces the MR's labels, acting as `by` (default: the author); creates missing project
   * labels. Sends a Merge Request Hook with `changes.labels` when the set changed.
   */
  setLabels(projectPath: string, iid: number, labels: string[], by?: string): void {
    const { p, mr } = this.find(projectPath, iid);
    this.core.updateMr(p, mr, this.actor(mr, by), { labels });
  }

  setDraft(projectPath: string, iid: number, draft: boolean, by?: string): void {
    const { p, mr } = this.find(projectPath, iid);
    this.core.setDraft(p, mr, this.actor(mr, by), draft);
  }

  /** Opens a thread; by default resolvable and unresolved, so it blocks merging. Returns its id. */
  addDiscussion(
    projectPath: string,
    iid: number,
    opts: { author?: string; body?: string; resolvable?: boolean; resolved?: boolean } = {},
  ): string {
    const { p, mr } = this.find(projectPath, iid);
    const note = this.core.addNote(
      p,
      mr,
      this.actor(mr, opts.author),
      opts.body ?? 'Please have another look at this.',
      {
        resolvable: opts.resolvable ?? true,
        resolved: opts.resolved ?? false,
      },
    );
    return note.discussionId;
  }

  resolveDiscussions(projectPath: string, iid: number, by?: string): void {
    const { mr } = this.find(projectPath, iid);
    this.core.resolveDiscussion(mr, undefined, this.actor(mr, by), true);
  }

  close(projectPath: string, iid: number, by?: string): void {
    const { p, mr } = this.find(projectPath, iid);
    this.core.updateMr(p, mr, this.actor(mr, by), { stateEvent: 'close' });
  }

  reopen(projectPath: string, iid: number, by?: string): void {
    const { p, mr } = this.find(projectPath, iid);
    this.core.updateMr(p, mr, this.actor(mr, by), { stateEvent: 'reopen' });
  }

  /** A comment by `username`; sends a Note Hook. */
  comment(projectPath: string, iid: number, username: string, body: string): FakeNote {
    const { p, mr } = this.find(projectPath, iid);
    const note = this.core.addNote(p, mr, this.core.store.requireUser(username), body);
    return this.toNote(note);
  }

  mergeRequest(projectPath: string, iid: number): FakeMergeRequest {
    const { p, mr } = this.find(projectPath, iid);
    return this.toMr(p, mr);
  }

  mergeRequests(projectPath: string): FakeMergeRequest[] {
    const p = this.core.store.requireProject(projectPath);
    return this.core.store.mrsOf(p.id).map((mr) => this.toMr(p, mr));
  }

  /** All notes, oldest first, including system notes ("approved this merge request", ...). */
  notes(projectPath: string, iid: number): FakeNote[] {
    const { mr } = this.find(projectPath, iid);
    return this.core.store.notesOf(mr).map((n) => this.toNote(n));
  }

  // --- pipelines --------------------------------------------------------------------------

  pipelines(projectPath: string): FakePipeline[] {
    const p = this.core.store.requireProject(projectPath);
    return this.core.store.pipelinesOf(p.id).map((pl) => this.toPipeline(p, pl));
  }

  /**
   * Sets the status of the newest pipeline for `sha` (or pipeline id `sha` when a number);
   * any status works, e.g. 'running' before 'success'. Sends a Pipeline Hook.
   */
  finishPipeline(
    projectPath: string,
    sha: string | number,
    status: FakePipelineStatus,
    opts: { ref?: string } = {},
  ): FakePipeline {
    const p = this.core.store.requireProject(projectPath);
    const pl = this.core.store
      .pipelinesOf(p.id)
      .filter((x) => (typeof sha === 'number' ? x.id === sha : x.sha === sha) && (!opts.ref || x.ref === opts.ref))
      .sort((a, b) => b.id - a.id)[0];
    if (!pl) throw new Error(`no pipeline for ${sha} in ${projectPath}`);
    this.core.setPipelineStatus(p, pl, status);
    return this.toPipeline(p, pl);
  }

  /** Resolves with the first pipeline (existing or future) for `sha` or matching `predicate`. */
  waitForPipeline(
    projectPath: string,
    match: string | ((p: FakePipeline) => boolean),
    timeoutMs = 10_000,
  ): Promise<FakePipeline> {
    const p = this.core.store.requireProject(projectPath);
    const test = typeof match === 'string' ? (pl: FakePipeline) => pl.sha === match : match;
    const existing = this.pipelines(projectPath).find(test);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching pipeline in ${projectPath} after ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.core.onPipelineCreated((rec) => {
        if (rec.projectId !== p.id) return;
        const view = this.toPipeline(p, rec);
        if (!test(view)) return;
        clearTimeout(timer);
        off();
        resolve(view);
      });
    });
  }

  // --- webhooks ---------------------------------------------------------------------------

  get webhookDeliveries(): readonly WebhookDelivery[] {
    return this.core.hooks.deliveries;
  }

  /** REST requests made with `Sudo` by admin tokens, oldest first. */
  get sudoRequests(): readonly SudoRequest[] {
    return this.core.sudoRequests;
  }

  /** Resolves once every queued hook has been sent (or failed). */
  webhooksIdle(): Promise<void> {
    return this.core.hooks.idle();
  }

  redeliver(index: number): WebhookDelivery {
    return this.core.hooks.redeliver(index);
  }

  // --- helpers ----------------------------------------------------------------------------

  private find(projectPath: string, iid: number): { p: ProjectRec; mr: MrRec } {
    const p = this.core.store.requireProject(projectPath);
    return { p, mr: this.core.store.requireMr(p.id, iid) };
  }

  private actor(mr: MrRec, username: string | undefined): UserRec {
    if (username) return this.core.store.requireUser(username);
    const author = this.core.store.userById(mr.authorId);
    if (!author) throw new Error('merge request author vanished');
    return author;
  }

  /** Someone to attribute setup commits to: the first maintainer/owner, else any user. */
  private anyUser(p: ProjectRec): UserRec | undefined {
    const store = this.core.store;
    const byRole = [...p.members.entries()].sort((a, b) => b[1] - a[1])[0];
    return (byRole && store.userById(byRole[0])) ?? store.users.values().next().value;
  }

  private toMr(p: ProjectRec, mr: MrRec): FakeMergeRequest {
    const name = (id: number): string => this.core.store.userById(id)?.username ?? `#${id}`;
    return {
      id: mr.id,
      iid: mr.iid,
      project: p.path,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      draft: isDraftTitle(mr.title),
      sourceBranch: mr.sourceBranch,
      targetBranch: mr.targetBranch,
      sourceProject: this.core.store.projects.get(mr.sourceProjectId)?.path ?? p.path,
      allowCollaboration: mr.allowCollaboration,
      headSha: mr.headSha,
      updatePending: mr.pendingUpdates > 0,
      author: name(mr.authorId),
      assignees: mr.assigneeIds.map(name),
      approvedBy: mr.approverIds.map(name),
      labels: [...mr.labels],
      rebaseInProgress: mr.rebaseInProgress,
      mergeError: mr.mergeError,
      squash: mr.squash,
      mergeCommitSha: mr.mergeCommitSha,
      squashCommitSha: mr.squashCommitSha,
      mergedCommitSha: mr.mergedCommitSha,
      webUrl: mrWebUrl(this.url, p, mr.iid),
      createdAt: mr.createdAt,
      updatedAt: mr.updatedAt,
    };
  }

  private toNote(n: { id: number; body: string; authorId: number; system: boolean; createdAt: string }): FakeNote {
    return {
      id: n.id,
      body: n.body,
      author: this.core.store.userById(n.authorId)?.username ?? `#${n.authorId}`,
      system: n.system,
      createdAt: n.createdAt,
    };
  }

  private toPipeline(p: ProjectRec, pl: PipelineRec): FakePipeline {
    return {
      id: pl.id,
      iid: pl.iid,
      project: p.path,
      sha: pl.sha,
      ref: pl.ref,
      kind: pl.kind,
      source: pl.kind === 'branch' ? 'push' : 'merge_request_event',
      mergeRequestIid: pl.mrIid,
      sourceSha: pl.sourceSha,
      targetSha: pl.targetSha,
      status: pl.status,
      runs: pl.runs,
      webUrl: pipelineWebUrl(this.url, p, pl.id),
      createdAt: pl.createdAt,
      updatedAt: pl.updatedAt,
    };
  }
}

function toUser(u: UserRec): FakeUser {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    email: u.email,
    token: u.token,
    admin: u.admin,
    publicEmail: u.publicEmail,
  };
}
