// The GitLab adapter: Forge on top of @gitbeaker/rest. It translates GitLab's snake_case
// answers into domain types and GitLab's status codes into ForgeError / MergeAttemptResult.
import { GitbeakerRequestError, Gitlab } from '@gitbeaker/rest';
import type {
  ApprovalStateSchema,
  ExpandedMergeRequestSchema,
  MergeRequestSchema,
  PipelineSchema,
  SimpleLabelSchema,
} from '@gitbeaker/rest';
import type {
  Approvals,
  MergeAttemptResult,
  MergeRequest,
  MergeRequestState,
  Note,
  Pipeline,
  PipelineStatus,
  UserRef,
} from '../domain/types';
import { ForgeError, type Forge } from './forge';

export interface GitLabForgeOptions {
  /** e.g. https://gitlab.example.com — no /api/v4, no trailing slash needed. */
  url: string;
  token: string;
  /**
   * gitbeaker's client-side rate limits, by endpoint glob (e.g. `{ '**': 600 }` per minute).
   * Omitted: gitbeaker's defaults (3000/min, 300/min for note creation).
   */
  rateLimits?: Record<string, number | { method: string; limit: number }>;
  /** Per-request timeout; gitbeaker's default is 300 s, far too long for an activity. */
  queryTimeoutMs?: number;
  /** Page size for list calls (GitLab caps it at 100). */
  perPage?: number;
}

/** GitLab reports access with numbers; developer (30) and up may approve and merge. */
const DEVELOPER_ACCESS = 30;

const PIPELINE_STATUSES: ReadonlySet<string> = new Set<PipelineStatus>([
  'created',
  'waiting_for_resource',
  'preparing',
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
  'manual',
  'scheduled',
]);

const MR_STATES: ReadonlySet<string> = new Set<MergeRequestState>(['opened', 'closed', 'merged', 'locked']);

/** HTTP status of a gitbeaker failure, if it got an answer at all. */
function statusOf(e: unknown): number | undefined {
  return e instanceof GitbeakerRequestError ? e.cause?.response?.status : undefined;
}

function describe(e: unknown): string {
  if (e instanceof GitbeakerRequestError) return e.cause?.description || e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Expected client errors become ForgeError; 5xx, timeouts and network errors stay as they are. */
function mapError(e: unknown, what: string): unknown {
  const status = statusOf(e);
  const detail = `${what}: ${describe(e)}`;
  switch (status) {
    case 401:
      return new ForgeError('unauthorized', detail, status);
    case 403:
      return new ForgeError('forbidden', detail, status);
    case 404:
      return new ForgeError('not-found', detail, status);
    case 400:
    case 422:
      return new ForgeError('invalid', detail, status);
    default:
      return e;
  }
}

function toPipelineStatus(s: string): PipelineStatus {
  if (PIPELINE_STATUSES.has(s)) return s as PipelineStatus;
  // Newer GitLab has transient states (e.g. "canceling"): still running as far as we care.
  return 'running';
}

export class GitLabForge implements Forge {
  private readonly api: Gitlab;
  private readonly perPage: number;
  private readonly userIds = new Map<string, number>();
  /** Project id → full path; paths change only when a project is moved, which we accept. */
  private readonly projectPaths = new Map<number, string>();
  private me: Promise<UserRef> | undefined;

  constructor(opts: GitLabForgeOptions) {
    // The token only ever goes into gitbeaker's header; it is not kept on this object.
    this.api = new Gitlab({
      host: opts.url.replace(/\/+$/, ''),
      token: opts.token,
      queryTimeout: opts.queryTimeoutMs ?? 30_000,
      ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
    });
    this.perPage = Math.min(opts.perPage ?? 100, 100);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw mapError(e, what);
    }
  }

  currentUser(): Promise<UserRef> {
    // Cached: the bot's identity does not change while the process runs. A failure is not.
    this.me ??= this.call('GET /user', async () => {
      const u = await this.api.Users.showCurrentUser();
      const email = typeof u.email === 'string' && u.email ? u.email : undefined;
      return { id: u.id, username: u.username, name: u.name, ...(email ? { email } : {}) };
    }).catch((e: unknown) => {
      this.me = undefined;
      throw e;
    });
    return this.me;
  }

  async getMergeRequest(project: string, iid: number): Promise<MergeRequest> {
    // Without include_rebase_in_progress GitLab leaves rebase_in_progress out of the answer.
    const mr = await this.call(`GET ${project}!${iid}`, () =>
      this.api.MergeRequests.show(project, iid, { includeRebaseInProgress: true }),
    );
    return this.toMergeRequest(project, mr);
  }

  async getApprovals(project: string, iid: number): Promise<Approvals> {
    const a = await this.call(`GET ${project}!${iid} approvals`, () =>
      this.api.MergeRequestApprovals.showConfiguration(project, { mergerequestIId: iid }),
    );
    // approved_by has no emails: each approver costs one GET /users/:id (Reviewed-by trailers).
    const approvedBy: UserRef[] = await Promise.all(
      (a.approved_by ?? []).map(({ user }) =>
        this.withEmail({ id: user.id, username: user.username, name: user.name }),
      ),
    );
    return {
      required: a.approvals_required,
      left: a.approvals_left,
      approvedBy,
      eligibleApprovers: await this.eligibleApprovers(project, iid, approvedBy),
    };
  }

  /**
   * Who could still approve, minus those who did, the author and the bot itself, sorted. With
   * approval rules (GitLab Premium's approval_state): the eligible approvers of the rules not yet
   * satisfied. Without rules, or when approval_state is not available: developers and up, a best
   * guess. A bot that may not read these simply gets no suggestions.
   */
  private async eligibleApprovers(project: string, iid: number, approvedBy: UserRef[]): Promise<string[]> {
    try {
      const [mr, me, rules] = await Promise.all([
        this.api.MergeRequests.show(project, iid),
        this.currentUser(),
        this.approvalRules(project, iid),
      ]);
      const skip = new Set([mr.author.username, me.username, ...approvedBy.map((u) => u.username)]);
      let candidates: string[];
      if (rules && rules.length > 0) {
        const pending = rules.filter((r) => !r.approved);
        candidates = pending.flatMap((r) => (r.eligible_approvers ?? []).map((u) => u.username));
        // "Any approver" rules name nobody: anyone who may approve counts.
        if (pending.some((r) => r.rule_type === 'any_approver')) candidates.push(...(await this.developers(project)));
      } else {
        candidates = await this.developers(project);
      }
      return [...new Set(candidates)].filter((u) => !skip.has(u)).sort();
    } catch (e) {
      const status = statusOf(e);
      if (status === 401 || status === 403 || status === 404) return [];
      throw e;
    }
  }

  /** The MR's approval rules; undefined when GitLab has no approval_state for us (CE, 403, 404). */
  private async approvalRules(project: string, iid: number): Promise<ApprovalStateSchema['rules'] | undefined> {
    try {
      const state = await this.api.MergeRequestApprovals.showApprovalState(project, iid);
      return Array.isArray(state.rules) ? state.rules : undefined;
    } catch (e) {
      const status = statusOf(e);
      if (status === 403 || status === 404) return undefined;
      throw e;
    }
  }

  /** Active members with developer access or more (inherited ones too). */
  private async developers(project: string): Promise<string[]> {
    const members = await this.api.ProjectMembers.all(project, { includeInherited: true, perPage: this.perPage });
    return members.filter((m) => m.access_level >= DEVELOPER_ACCESS && m.state === 'active').map((m) => m.username);
  }

  /** The user with an email when GitLab shows us one; as given when the user cannot be read. */
  private async withEmail(user: UserRef): Promise<UserRef> {
    try {
      return await this.userDetails(user.id);
    } catch (e) {
      if (e instanceof ForgeError && (e.kind === 'not-found' || e.kind === 'forbidden')) return user;
      throw e;
    }
  }

  async userDetails(userId: number): Promise<UserRef> {
    const u = await this.call(`GET /users/${userId}`, () => this.api.Users.show(userId));
    // GitLab includes `email` only for admin tokens; everyone else sees `public_email` (often "").
    const email = stringField(u, 'email') ?? stringField(u, 'public_email');
    return { id: u.id, username: u.username, name: u.name, ...(email ? { email } : {}) };
  }

  async memberAccessLevel(project: string, username: string): Promise<number> {
    let id: number;
    try {
      id = await this.userId(username);
    } catch (e) {
      if (e instanceof ForgeError && e.kind === 'invalid') return 0; // no such user
      throw e;
    }
    try {
      // members/all: direct, inherited (group) and invited-group members, with the effective level.
      const m = await this.api.ProjectMembers.show(project, id, { includeInherited: true });
      // Blocked users and pending invitations ("awaiting") cannot act.
      if (typeof m.state === 'string' && m.state !== 'active') return 0;
      return m.access_level;
    } catch (e) {
      // GitLab says "404 Member Not Found" for a non-member and "404 Project Not Found" when the
      // bot cannot see the project: only the first is an answer.
      if (statusOf(e) === 404 && !/project/i.test(describe(e))) return 0;
      throw mapError(e, `GET ${project} member ${username}`);
    }
  }

  async requestRebase(project: string, iid: number): Promise<void> {
    try {
      // 202 { rebase_in_progress: true }: GitLab rebases in the background.
      await this.api.MergeRequests.rebase(project, iid);
    } catch (e) {
      // 409: a rebase is already queued or running (or the MR is not open, which callers see
      // from getMergeRequest anyway).
      if (statusOf(e) === 409) return;
      throw mapError(e, `PUT ${project}!${iid} rebase`);
    }
  }

  async canImpersonate(): Promise<boolean> {
    const me = await this.currentUser();
    try {
      // Sudo as ourselves: allowed exactly when the token may use Sudo at all.
      await this.api.Users.showCurrentUser({ sudo: me.id });
      return true;
    } catch (e) {
      // "403 Forbidden - Must be admin to use sudo" / token without the sudo scope.
      if (statusOf(e) === 403) return false;
      throw mapError(e, 'GET /user with Sudo');
    }
  }

  async approveAs(project: string, iid: number, username: string, sha?: string): Promise<void> {
    try {
      await this.api.MergeRequestApprovals.approve(project, iid, { sudo: username, ...(sha ? { sha } : {}) });
    } catch (e) {
      const status = statusOf(e);
      if (status === 409) throw new ForgeError('invalid', `POST ${project}!${iid} approve: ${describe(e)}`, 409);
      if (status === 401) {
        // GitLab answers 401 both when this user already approved (fine) and when they may not
        // approve at all (e.g. the author): tell them apart by who has approved.
        const a = await this.call(`GET ${project}!${iid} approvals`, () =>
          this.api.MergeRequestApprovals.showConfiguration(project, { mergerequestIId: iid }),
        );
        const lower = username.toLowerCase();
        if ((a.approved_by ?? []).some(({ user }) => user.username.toLowerCase() === lower)) return;
      }
      throw mapError(e, `POST ${project}!${iid} approve as ${username}`);
    }
  }

  async mergeRequestsAssignedTo(username: string): Promise<MergeRequest[]> {
    const list = await this.call(`GET /merge_requests assigned to ${username}`, () =>
      this.api.MergeRequests.all({ scope: 'all', state: 'opened', assigneeUsername: username, perPage: this.perPage }),
    );
    const out: MergeRequest[] = [];
    for (const mr of list) {
      // references.full is "group/app!12"; older answers without it cost a (cached) project lookup.
      const full = mr.references?.full;
      const bang = typeof full === 'string' ? full.lastIndexOf('!') : -1;
      let project: string;
      if (bang > 0) {
        project = (full as string).slice(0, bang);
        this.projectPaths.set(mr.project_id, project);
      } else {
        project = await this.projectPath(mr.project_id);
      }
      out.push(await this.toMergeRequest(project, mr));
    }
    return out;
  }

  async isProtectedBranch(project: string, branch: string): Promise<boolean> {
    try {
      await this.api.ProtectedBranches.show(project, branch);
      return true;
    } catch (e) {
      if (statusOf(e) !== 404) throw mapError(e, `GET ${project} protected branch ${branch}`);
    }
    // Wildcard rules (`release/*`) are stored under their pattern, which the exact lookup misses.
    const rules = await this.call(`GET ${project} protected branches`, () =>
      this.api.ProtectedBranches.all(project, { perPage: this.perPage }),
    );
    return rules.some((r) => r.name.includes('*') && wildcardMatches(r.name, branch));
  }

  private async projectPath(id: number): Promise<string> {
    const known = this.projectPaths.get(id);
    if (known !== undefined) return known;
    const p = await this.call(`GET project ${id}`, () => this.api.Projects.show(id));
    this.projectPaths.set(id, p.path_with_namespace);
    return p.path_with_namespace;
  }

  async listNotes(project: string, iid: number): Promise<Note[]> {
    const notes = await this.call(`GET ${project}!${iid} notes`, () =>
      this.api.MergeRequestNotes.all(project, iid, { sort: 'asc', orderBy: 'created_at', perPage: this.perPage }),
    );
    // System notes ("approved this merge request", "added 1 commit") are GitLab's, not people's.
    return notes.filter((n) => !n.system).map((n) => ({ id: n.id, body: n.body, authorUsername: n.author.username }));
  }

  async createNote(project: string, iid: number, body: string): Promise<Note> {
    const n = await this.call(`POST ${project}!${iid} note`, () =>
      this.api.MergeRequestNotes.create(project, iid, body),
    );
    return { id: n.id, body: n.body, authorUsername: n.author.username };
  }

  async setAssignees(project: string, iid: number, usernames: string[]): Promise<void> {
    const ids: number[] = [];
    for (const username of usernames) ids.push(await this.userId(username));
    // An empty list unassigns everyone.
    await this.call(`PUT ${project}!${iid} assignees`, () =>
      this.api.MergeRequests.edit(project, iid, { assigneeIds: ids }),
    );
  }

  async removeLabel(project: string, iid: number, label: string): Promise<void> {
    await this.call(`PUT ${project}!${iid} remove label`, () => this.api.MergeRequests.edit(project, iid, { removeLabels: label }));
  }

  private async userId(username: string): Promise<number> {
    const known = this.userIds.get(username);
    if (known !== undefined) return known;
    const found = await this.call(`GET /users?username=${username}`, () => this.api.Users.all({ username }));
    const user = found.find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user) throw new ForgeError('invalid', `no GitLab user named ${username}`);
    this.userIds.set(username, user.id);
    return user.id;
  }

  async merge(project: string, iid: number, sha: string): Promise<MergeAttemptResult> {
    let mr: ExpandedMergeRequestSchema;
    try {
      mr = await this.api.MergeRequests.merge(project, iid, { sha });
    } catch (e) {
      const message = describe(e);
      switch (statusOf(e)) {
        case 409:
          return { kind: 'sha-mismatch', message };
        case 405:
          return { kind: 'not-allowed', message };
        case 406:
        case 422: // newer GitLab answers 422 when the merge itself fails
          return { kind: 'cannot-merge', message };
        case 404:
          return { kind: 'not-found', message };
        default:
          throw mapError(e, `PUT ${project}!${iid} merge`);
      }
    }
    if (mr.state !== 'merged') {
      // GitLab accepted the merge but had not finished it when it answered.
      if (mr.merge_error) return { kind: 'cannot-merge', message: mr.merge_error };
      mr = await this.call(`GET ${project}!${iid}`, () => this.api.MergeRequests.show(project, iid));
      if (mr.state !== 'merged') {
        return { kind: 'cannot-merge', message: mr.merge_error ?? `merge request is ${mr.state} after merging` };
      }
    }
    // Fast-forward merges have no merge commit; newer GitLab then names the new head merged_commit_sha.
    const mergeCommitSha =
      mr.merge_commit_sha ?? stringField(mr, 'merged_commit_sha') ?? mr.squash_commit_sha ?? undefined;
    return mergeCommitSha ? { kind: 'merged', mergeCommitSha } : { kind: 'merged' };
  }

  async branchHead(project: string, branch: string): Promise<string | undefined> {
    try {
      const b = await this.api.Branches.show(project, branch);
      return b.commit.id;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw mapError(e, `GET ${project} branch ${branch}`);
    }
  }

  async pipelinesForSha(project: string, sha: string): Promise<Pipeline[]> {
    const list = await this.call(`GET ${project} pipelines`, () =>
      this.api.Pipelines.all(project, { sha, orderBy: 'id', sort: 'desc', perPage: this.perPage }),
    );
    return list
      .filter((p) => p.sha === sha)
      .map(toPipeline)
      .sort((a, b) => b.id - a.id);
  }

  async httpCloneUrl(project: string): Promise<string> {
    const p = await this.call(`GET ${project}`, () => this.api.Projects.show(project));
    return p.http_url_to_repo;
  }

  async sshCloneUrl(project: string): Promise<string> {
    const p = await this.call(`GET ${project}`, () => this.api.Projects.show(project));
    return p.ssh_url_to_repo;
  }

  private async toMergeRequest(project: string, mr: MergeRequestSchema): Promise<MergeRequest> {
    // Forks: the source branch lives in another project, which costs one more call.
    const sourceProject =
      mr.source_project_id === mr.target_project_id ? project : await this.projectPath(mr.source_project_id);
    return {
      project,
      iid: mr.iid,
      title: mr.title,
      webUrl: mr.web_url,
      state: MR_STATES.has(mr.state) ? (mr.state as MergeRequestState) : 'closed',
      draft: mr.draft ?? mr.work_in_progress ?? false,
      sourceBranch: mr.source_branch,
      targetBranch: mr.target_branch,
      sourceProject,
      headSha: mr.sha,
      authorUsername: mr.author.username,
      assignees: (mr.assignees ?? (mr.assignee ? [mr.assignee] : [])).map((a) => a.username),
      squash: mr.squash ?? false,
      blockingDiscussionsResolved: mr.blocking_discussions_resolved ?? true,
      detailedMergeStatus: mr.detailed_merge_status ?? 'unchecked',
      labels: (mr.labels ?? []).map((l: string | SimpleLabelSchema) => (typeof l === 'string' ? l : l.name)),
      // List answers have neither field; a single MR has merge_error, and rebase_in_progress
      // when asked for (include_rebase_in_progress).
      rebaseInProgress: mr.rebase_in_progress === true,
      mergeError: stringField(mr, 'merge_error') ?? null,
      createdAt: mr.created_at,
      updatedAt: mr.updated_at,
    };
  }
}

function toPipeline(p: PipelineSchema): Pipeline {
  return { id: p.id, sha: p.sha, ref: p.ref, status: toPipelineStatus(p.status), webUrl: p.web_url };
}

/** Reads a string field gitbeaker's schema does not declare (newer GitLab additions). */
function stringField(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v ? v : undefined;
}

/** GitLab's protected-branch wildcards: `*` matches any characters (slashes too), the rest is literal. */
function wildcardMatches(pattern: string, branch: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(branch);
}
