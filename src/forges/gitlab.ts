// The GitLab adapter: Forge on top of @gitbeaker/rest. It translates GitLab's snake_case
// answers into domain types and GitLab's status codes into ForgeError / MergeAttemptResult.
import { GitbeakerRequestError, Gitlab } from '@gitbeaker/rest';
import type { ExpandedMergeRequestSchema, MergeRequestSchema, PipelineSchema } from '@gitbeaker/rest';
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
    const mr = await this.call(`GET ${project}!${iid}`, () => this.api.MergeRequests.show(project, iid));
    return this.toMergeRequest(project, mr);
  }

  async getApprovals(project: string, iid: number): Promise<Approvals> {
    const a = await this.call(`GET ${project}!${iid} approvals`, () =>
      this.api.MergeRequestApprovals.showConfiguration(project, { mergerequestIId: iid }),
    );
    const approvedBy: UserRef[] = (a.approved_by ?? []).map(({ user }) => ({
      id: user.id,
      username: user.username,
      name: user.name,
    }));
    return {
      required: a.approvals_required,
      left: a.approvals_left,
      approvedBy,
      eligibleApprovers: await this.eligibleApprovers(project, iid, approvedBy),
    };
  }

  /**
   * Developers and up who have not approved yet, minus the author and the bot itself. Best
   * effort: GitLab's approval rules can be narrower, and a bot that may not list members
   * simply gets no suggestions.
   */
  private async eligibleApprovers(project: string, iid: number, approvedBy: UserRef[]): Promise<string[]> {
    try {
      const [mr, members, me] = await Promise.all([
        this.api.MergeRequests.show(project, iid),
        this.api.ProjectMembers.all(project, { includeInherited: true, perPage: this.perPage }),
        this.currentUser(),
      ]);
      const skip = new Set([mr.author.username, me.username, ...approvedBy.map((u) => u.username)]);
      return members
        .filter((m) => m.access_level >= DEVELOPER_ACCESS && m.state === 'active' && !skip.has(m.username))
        .map((m) => m.username)
        .sort();
    } catch (e) {
      const status = statusOf(e);
      if (status === 401 || status === 403 || status === 404) return [];
      throw e;
    }
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

  private async toMergeRequest(project: string, mr: MergeRequestSchema): Promise<MergeRequest> {
    // Forks: the source branch lives in another project, which costs one more call.
    const sourceProject =
      mr.source_project_id === mr.target_project_id
        ? project
        : (await this.call(`GET project ${mr.source_project_id}`, () => this.api.Projects.show(mr.source_project_id)))
            .path_with_namespace;
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
