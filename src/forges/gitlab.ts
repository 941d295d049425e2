// The GitLab adapter: Forge on top of @gitbeaker/rest. It translates GitLab's snake_case
// answers into domain types and GitLab's status codes (of every version) into ForgeError,
// ForgeUnavailableError and MergeResult.
import { GitbeakerRequestError, GitbeakerTimeoutError, Gitlab } from '@gitbeaker/rest';
import type {
  ApprovalStateSchema,
  ExpandedMergeRequestSchema,
  ExtendedProtectedBranchAccessLevelSchema,
  MergeRequestSchema,
  PipelineSchema,
  ProtectedBranchSchema,
  SimpleLabelSchema,
} from '@gitbeaker/rest';
import {
  createRequesterFn,
  getMatchingRateLimiter,
  type FormattedResponse,
  type RateLimiters,
  type ResponseBodyTypes,
} from '@gitbeaker/requester-utils';
import type {
  Approvals,
  LandedChanges,
  LandedCommit,
  Mergeability,
  MergeRequest,
  MergeRequestState,
  MergeRequestSummary,
  MergeResult,
  NewMergeRequest,
  Note,
  NotMergeableReason,
  Pipeline,
  PipelineStatus,
  UserRef,
} from '../domain/types';
import { ForgeError, ForgeUnavailableError, MergeRequestExistsError, type Forge } from './forge';

/** A commit as the evidence report reads it from GitLab. */
export interface GitLabWindowCommit {
  sha: string;
  message: string;
  authorName: string;
  authorEmail: string;
  /** The date GitLab's since/until filter on. */
  committedDate: string;
  parentCount: number;
  webUrl: string;
}

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
  /**
   * How long merge() waits for a merge GitLab accepted but had not finished when it answered
   * (polling GET MR); default 5000.
   */
  mergeWaitMs?: number;
}

/** GitLab reports access with numbers; developer (30) and up may write code. */
const DEVELOPER_ACCESS = 30;
const MAINTAINER_ACCESS = 40;
const ADMIN_ACCESS = 60;
/** Between GET MR polls while GitLab finishes a merge it accepted. */
const MERGE_POLL_MS = 250;

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

/** Statuses of a pipeline that has run to its end (GitLab's COMPLETED_STATUSES). */
const FINISHED_PIPELINE_STATUSES: ReadonlySet<PipelineStatus> = new Set<PipelineStatus>([
  'success',
  'failed',
  'canceled',
  'skipped',
]);

const MR_STATES: ReadonlySet<string> = new Set<MergeRequestState>(['opened', 'closed', 'merged', 'locked']);

/** detailed_merge_status values that mean GitLab has not finished looking (since a push). */
const CHECKING_STATUSES: ReadonlySet<string> = new Set(['unchecked', 'checking', 'preparing', 'approvals_syncing']);

/** merge_status of GitLab before detailed_merge_status (< 15.6), for the same question. */
const CHECKING_MERGE_STATUSES: ReadonlySet<string> = new Set([
  'unchecked',
  'checking',
  'cannot_be_merged_recheck',
  'cannot_be_merged_rechecking',
  'preparing',
]);

// --- one HTTP request per call -------------------------------------------------------------

interface RequestShape {
  rateLimiters?: RateLimiters;
  prefixUrl?: string;
  searchParams?: string;
  method?: string;
  asStream?: boolean;
  headers?: Record<string, string>;
  body?: string | FormData;
  signal?: AbortSignal;
}

async function bodyOf(response: Response, asStream: boolean): Promise<ResponseBodyTypes> {
  if (asStream) return response.body;
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  if (type === 'application/json') return ((await response.json()) as ResponseBodyTypes) ?? {};
  if (type.startsWith('text/')) return response.text();
  return response.blob();
}

/**
 * gitbeaker's own request handler (rest 43) sends a request that got 429 or 502 up to ten times,
 * hard-coded and almost back to back (0.25 ms doubling: ~0.25 s in all), then throws a
 * GitbeakerRetryError without the status: an overloaded GitLab gets ten requests instead of one.
 * Shepherd's activities retry with backoff themselves, so this handler sends exactly one
 * request and lets every failure surface with its status.
 */
async function oneAttempt(endpoint: string, options?: Record<string, unknown>): Promise<FormattedResponse> {
  const { rateLimiters, prefixUrl, searchParams, method, asStream, headers, body, signal } = (options ??
    {}) as RequestShape;
  const base = prefixUrl === undefined ? undefined : prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`;
  const url = new URL(endpoint, base);
  url.search = searchParams ?? '';
  await getMatchingRateLimiter(endpoint, rateLimiters, method)();
  const request = new Request(url, { method, headers, body, signal });
  try {
    const response = await fetch(request);
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let description = text;
      if (response.headers.get('content-type')?.includes('application/json')) {
        try {
          const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
          const detail = parsed.error ?? parsed.message ?? '';
          // Validation errors come as a list of sentences (`{"message":["..."]}`).
          const sentences = Array.isArray(detail) && detail.every((d) => typeof d === 'string');
          description = typeof detail === 'string' ? detail : sentences ? detail.join('; ') : JSON.stringify(detail);
        } catch {
          // keep the raw text
        }
      }
      throw new GitbeakerRequestError(description, { cause: { description, request, response } });
    }
    return {
      body: await bodyOf(response, asStream ?? false),
      headers: Object.fromEntries(response.headers.entries()),
      status: response.status,
    };
  } catch (e) {
    // By name: fetch's DOMException may come from another realm (jest), where instanceof fails.
    const name = errorName(e);
    if (name === 'TimeoutError' || name === 'AbortError') throw new GitbeakerTimeoutError('Query timeout was reached');
    throw e;
  }
}

const singleAttemptRequester = createRequesterFn((_, requestOptions) => Promise.resolve(requestOptions), oneAttempt);

// --- errors --------------------------------------------------------------------------------

function errorName(e: unknown): string {
  const name = (e as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** fetch's own failure (refused, reset, DNS): a TypeError "fetch failed" with the cause. */
function networkFailure(e: unknown): string | undefined {
  if (errorName(e) !== 'TypeError') return undefined;
  const message = String((e as { message?: unknown }).message ?? '');
  const cause = (e as { cause?: { message?: unknown; code?: unknown } }).cause;
  if (!/fetch failed/i.test(message) && cause?.code === undefined) return undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? '');
  return detail ? `${message}: ${detail}` : message;
}

/** HTTP status of a gitbeaker failure, if it got an answer at all. */
function statusOf(e: unknown): number | undefined {
  return e instanceof GitbeakerRequestError ? e.cause?.response?.status : undefined;
}

function describe(e: unknown): string {
  if (e instanceof GitbeakerRequestError) return e.cause?.description || e.message;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Client errors become ForgeError; an answer GitLab could not give (5xx, 429, timeout, no
 * connection) becomes ForgeUnavailableError, which callers retry. Anything else (a bug of
 * ours) stays as it is.
 */
function mapError(e: unknown, what: string): unknown {
  const status = statusOf(e);
  if (status === undefined) {
    if (e instanceof GitbeakerTimeoutError) return new ForgeUnavailableError(`GitLab unavailable: ${what} timed out`);
    const network = networkFailure(e);
    if (network !== undefined) return new ForgeUnavailableError(`GitLab unavailable: ${what} failed (${network})`);
    return e;
  }
  // HTML error pages of a proxy say nothing useful; GitLab's own JSON errors do.
  const detail = `${what}: ${status >= 500 ? status : describe(e)}`;
  if (status >= 500 || status === 429 || status === 408) {
    return new ForgeUnavailableError(`GitLab unavailable: ${what} answered ${status}`, status);
  }
  switch (status) {
    case 401:
      return new ForgeError('unauthorized', detail, status);
    case 403:
      return new ForgeError('forbidden', detail, status);
    case 404:
      return new ForgeError('not-found', detail, status);
    default:
      return new ForgeError('invalid', detail, status);
  }
}

function toPipelineStatus(s: string): PipelineStatus {
  if (PIPELINE_STATUSES.has(s)) return s as PipelineStatus;
  // Newer GitLab has transient states (e.g. "canceling"): still running as far as we care.
  return 'running';
}

function toPipeline(p: Pick<PipelineSchema, 'id' | 'sha' | 'ref' | 'status' | 'web_url'>): Pipeline {
  return { id: p.id, sha: p.sha, ref: p.ref, status: toPipelineStatus(p.status), webUrl: p.web_url };
}

/** Reads a string field gitbeaker's schema does not declare (newer GitLab additions). */
function stringField(o: object, key: string): string | undefined {
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' && v ? v : undefined;
}

/** GitLab's protected-branch wildcards: `*` matches any characters (slashes too), the rest is literal. */
function wildcardMatches(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(branch);
}

/** A role-based access level entry: 30/40 by the user's role, 60 admins only, 0 nobody. */
function admitsRole(a: ExtendedProtectedBranchAccessLevelSchema, level: number): boolean {
  const required = Number(a.access_level);
  if (!Number.isFinite(required) || required <= 0) return false;
  return required >= ADMIN_ACCESS ? level >= ADMIN_ACCESS : level >= required;
}

/** The MR fields that say whether and why GitLab would merge it (single and list answers). */
type MergeState = Pick<MergeRequestSchema, 'state' | 'merge_status'> & {
  detailed_merge_status?: string | null;
  draft?: boolean;
  work_in_progress?: boolean;
  blocking_discussions_resolved?: boolean;
  head_pipeline?: { status: string } | null;
};

function isDraftMr(mr: MergeState): boolean {
  return mr.draft ?? mr.work_in_progress ?? false;
}

/** The title prefixes that make GitLab treat an MR as a draft (MergeRequest::DRAFT_REGEX). */
const DRAFT_TITLE = /^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s)/i;

function toMrState(state: string): MergeRequestState {
  return MR_STATES.has(state) ? (state as MergeRequestState) : 'closed';
}

/**
 * gitbeaker types `state` without `all`, which GitLab's list endpoints accept (and default to);
 * sent explicitly so that a changed default cannot hide closed and merged MRs.
 */
const ALL_STATES = 'all' as string as 'opened';

/** `mergeability` from detailed_merge_status, or from merge_status on GitLab before 15.6. */
function mergeabilityOf(mr: MergeState): Mergeability {
  const detailed = mr.detailed_merge_status ?? undefined;
  if (detailed) {
    if (detailed === 'mergeable') return 'mergeable';
    if (CHECKING_STATUSES.has(detailed)) return 'checking';
    if (detailed === 'conflict' || detailed === 'broken_status') return 'conflict';
    if (detailed === 'need_rebase') return 'needs-rebase';
    return 'blocked';
  }
  // merge_status only ever described git; draft and threads are separate fields there.
  const status = String(mr.merge_status ?? 'unchecked');
  if (CHECKING_MERGE_STATUSES.has(status)) return 'checking';
  if (status === 'cannot_be_merged') return 'conflict';
  if (mr.state !== 'opened' || isDraftMr(mr) || mr.blocking_discussions_resolved === false) return 'blocked';
  return 'mergeable';
}

/** Why GitLab refused to merge, read from the MR right after it said no. */
function reasonOf(mr: MergeState): NotMergeableReason {
  if (mr.state === 'merged') return 'merged';
  if (mr.state === 'closed') return 'closed';
  // GitLab locks an MR while it merges it.
  if (mr.state === 'locked') return 'checking';
  if (isDraftMr(mr)) return 'draft';
  const detailed = mr.detailed_merge_status ?? undefined;
  switch (detailed) {
    case 'draft_status':
      return 'draft';
    case 'conflict':
    case 'broken_status':
      return 'conflict';
    case 'need_rebase':
      return 'needs-rebase';
    case 'ci_must_pass':
    case 'ci_still_running':
      return 'ci';
    case 'not_approved':
      return 'approvals';
    case 'discussions_not_resolved':
      return 'discussions';
    case undefined:
    case 'mergeable':
      break;
    default:
      return CHECKING_STATUSES.has(detailed) ? 'checking' : 'other';
  }
  // No detailed status (old GitLab), or "mergeable" although GitLab just said no.
  const status = String(mr.merge_status ?? '');
  if (!detailed && CHECKING_MERGE_STATUSES.has(status)) return 'checking';
  if (!detailed && status === 'cannot_be_merged') return 'conflict';
  if (mr.blocking_discussions_resolved === false) return 'discussions';
  const pipeline = mr.head_pipeline?.status;
  if (pipeline !== undefined && pipeline !== 'success' && pipeline !== 'skipped') return 'ci';
  return 'other';
}

/** What GitLab answered, and what the MR showed right after (for the comment that explains it). */
function refusalMessage(status: number, message: string, mr: MergeRequestSchema): string {
  const detail = mr.detailed_merge_status ?? mr.merge_status;
  return `GitLab answered ${status} (${message}); the merge request is ${mr.state}, ${detail}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class GitLabForge implements Forge {
  private readonly api: Gitlab;
  private readonly perPage: number;
  private readonly mergeWaitMs: number;
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
      requesterFn: singleAttemptRequester,
      ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
    });
    this.perPage = Math.min(opts.perPage ?? 100, 100);
    this.mergeWaitMs = opts.mergeWaitMs ?? 5000;
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
    return this.toMergeRequest(project, await this.rawMergeRequest(project, iid));
  }

  private rawMergeRequest(project: string, iid: number): Promise<ExpandedMergeRequestSchema> {
    // Without include_rebase_in_progress GitLab leaves rebase_in_progress out of the answer.
    return this.call(`GET ${project}!${iid}`, () =>
      this.api.MergeRequests.show(project, iid, { includeRebaseInProgress: true }),
    );
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
      throw mapError(e, `GET ${project}!${iid} eligible approvers`);
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

  // --- who may do what ---------------------------------------------------------------------

  async mayRequest(project: string, username: string): Promise<boolean> {
    const who = await this.member(project, username);
    return who !== undefined && who.level >= DEVELOPER_ACCESS;
  }

  mayMerge(project: string, username: string, branch: string): Promise<boolean> {
    return this.branchAccess(project, username, branch, 'merge');
  }

  mayPush(project: string, username: string, branch: string): Promise<boolean> {
    return this.branchAccess(project, username, branch, 'push');
  }

  /**
   * A Developer or more who, when the branch is protected, is admitted by an access level of
   * one of the matching rules (exact name or wildcard; GitLab ORs them): a role at or below
   * theirs (60: admins, 0: nobody), their user id, or a group they belong to. Merging is also
   * allowed to whoever may push (GitLab's can_update_branch?).
   */
  private async branchAccess(project: string, username: string, branch: string, action: 'merge' | 'push'): Promise<boolean> {
    const who = await this.member(project, username);
    if (!who || who.level < DEVELOPER_ACCESS) return false;
    const all = await this.protectedRules(project);
    if (all === undefined) return this.branchAccessFromBranch(project, branch, who.level, action);
    const rules = all.filter((r) => wildcardMatches(r.name, branch));
    if (rules.length === 0) return true;
    const levels = rules.flatMap((r) => [
      ...(r.push_access_levels ?? []),
      ...(action === 'merge' ? (r.merge_access_levels ?? []) : []),
    ]);
    for (const a of levels) {
      if (typeof a.user_id === 'number') {
        if (a.user_id === who.id) return true;
      } else if (typeof a.group_id === 'number') {
        if (await this.inGroup(a.group_id, who.id)) return true;
      } else if (admitsRole(a, who.level)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Older GitLab lets only maintainers read protection rules. Then the branch itself says what
   * Developers may do (developers_can_push / developers_can_merge); maintainers may do both.
   * A branch that does not exist yet counts as unprotected.
   */
  private async branchAccessFromBranch(
    project: string,
    branch: string,
    level: number,
    action: 'merge' | 'push',
  ): Promise<boolean> {
    let b: Awaited<ReturnType<Gitlab['Branches']['show']>>;
    try {
      b = await this.api.Branches.show(project, branch);
    } catch (e) {
      if (statusOf(e) === 404) return true;
      throw mapError(e, `GET ${project} branch ${branch}`);
    }
    if (!b.protected || level >= MAINTAINER_ACCESS) return true;
    return action === 'push' ? b.developers_can_push : b.developers_can_merge || b.developers_can_push;
  }

  /**
   * The user's id and effective level in the project (members/all: direct, inherited and
   * invited groups); undefined for unknown users, non-members, blocked users and pending
   * invitations, and when the bot cannot see the project at all.
   */
  private async member(project: string, username: string): Promise<{ id: number; level: number } | undefined> {
    let id: number;
    try {
      id = await this.userId(username);
    } catch (e) {
      if (e instanceof ForgeError && e.kind === 'invalid') return undefined; // no such user
      throw e;
    }
    try {
      const m = await this.api.ProjectMembers.show(project, id, { includeInherited: true });
      if (typeof m.state === 'string' && m.state !== 'active') return undefined;
      return { id, level: m.access_level };
    } catch (e) {
      // "404 Member Not Found" (not a member) and "404 Project Not Found" (invisible to us).
      if (statusOf(e) === 404) return undefined;
      throw mapError(e, `GET ${project} member ${username}`);
    }
  }

  private async inGroup(groupId: number, userId: number): Promise<boolean> {
    try {
      const m = await this.api.GroupMembers.show(groupId, userId, { includeInherited: true });
      return (typeof m.state !== 'string' || m.state === 'active') && m.access_level >= DEVELOPER_ACCESS;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw mapError(e, `GET group ${groupId} member ${userId}`);
    }
  }

  /**
   * Every protection rule of the project, wildcards under their pattern; undefined when GitLab
   * does not let the bot read them (403: before GitLab opened them to everyone who reads code).
   */
  private async protectedRules(project: string): Promise<ProtectedBranchSchema[] | undefined> {
    try {
      return await this.api.ProtectedBranches.all(project, { perPage: this.perPage });
    } catch (e) {
      if (statusOf(e) === 403) return undefined;
      throw mapError(e, `GET ${project} protected branches`);
    }
  }

  // --- rebase, approvals ---------------------------------------------------------------------

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
      // The MR's sha is not `sha`: right after a push, GitLab not having caught up yet.
      if (status === 409) throw new ForgeError('head-moved', `POST ${project}!${iid} approve: ${describe(e)}`, 409);
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
    const mine = await this.developerProjects();
    return this.fromList(list.filter((mr) => mine.has(mr.project_id)));
  }

  async mergeRequestsLabelled(label: string): Promise<MergeRequest[]> {
    // Not `scope=all`: on a public instance that lists every visible project's MRs with a label of
    // that name, strangers' included. Only projects the bot works in.
    const out = [];
    for (const id of await this.developerProjects()) {
      const list = await this.call(`GET project ${id} merge requests labelled ${label}`, () =>
        this.api.MergeRequests.all({ projectId: id, state: 'opened', labels: label, perPage: this.perPage }),
      );
      out.push(...(await this.fromList(list)));
    }
    return out;
  }

  // --- backports -----------------------------------------------------------------------------

  /**
   * Decided by what GitLab recorded for the MR, not by the project's merge_method (it may have
   * changed since; the SHAs cannot): merge_commit_sha is set only when a merge commit was made
   * (methods `merge` and `rebase_merge`, squashed or not), squash_commit_sha whenever it squashed.
   * The commits come from GET .../commits (newest first there). When GitLab rebased them while
   * merging, where they landed is known from the merge commit's second parent, and for a
   * fast-forward only from merged_commit_sha where the answer has it; without it they are the
   * MR's own commits, which carry the same changes.
   */
  async landedChanges(project: string, iid: number): Promise<LandedChanges> {
    const mr = await this.rawMergeRequest(project, iid);
    // GitLab locks an MR while it merges it: what lands is not known yet.
    if (mr.state === 'locked') throw new ForgeUnavailableError(`GitLab is still merging ${project}!${iid}`);
    if (mr.state !== 'merged') throw new ForgeError('invalid', `${project}!${iid} is ${mr.state}, not merged`);
    const listed = await this.mergeRequestCommits(project, iid);
    const targetBranch = mr.target_branch;
    const mergeSha = mr.merge_commit_sha || null;
    const squashSha = mr.squash_commit_sha || null;
    // merged_commit_sha (the target head the merge left) is not in every GitLab's REST answer.
    const mergedSha = stringField(mr, 'merged_commit_sha') ?? null;
    // squash_on_merge (newer GitLab) also counts the project's "always"/"never" squash option.
    const onMerge = (mr as { squash_on_merge?: unknown }).squash_on_merge;
    const squashFlag = typeof onMerge === 'boolean' ? onMerge : mr.squash === true;
    if (mergeSha) {
      const parents = await this.commitParents(project, mergeSha);
      if (parents.length >= 2) {
        // Squashed, the merge's second parent is the squash commit (older GitLab did not record it).
        const squashCommit = squashSha ?? (squashFlag && parents[1] !== mr.sha ? parents[1] : null);
        const commits = squashCommit ? listed : await this.asOnTarget(project, parents[1], listed);
        return { how: 'merge-commit', mergeCommitSha: mergeSha, squashCommitSha: squashCommit, commits, targetBranch };
      }
      // One parent: the MR was merged by a push that fast-forwarded the target onto its commits,
      // and GitLab recorded the pushed commit that contains its head.
      const commits = await this.asOnTarget(project, mergeSha, listed);
      return { how: 'fast-forward', mergeCommitSha: null, squashCommitSha: null, commits, targetBranch };
    }
    if (squashSha || squashFlag) {
      return { how: 'squash', mergeCommitSha: null, squashCommitSha: squashSha ?? mergedSha, commits: listed, targetBranch };
    }
    const commits = await this.asOnTarget(project, mergedSha ?? mr.sha, listed);
    return { how: 'fast-forward', mergeCommitSha: null, squashCommitSha: null, commits, targetBranch };
  }

  // --- the monthly evidence report: commits and merged merge requests of a window, page by page

  /** One page of the default branch's commits committed in [since, until) (GitLab's filter), newest first. */
  async commitsPage(
    project: string,
    window: { since: string; until: string },
    page: number,
  ): Promise<{ commits: GitLabWindowCommit[]; nextPage?: number }> {
    const { data, paginationInfo } = await this.call(`GET ${project} commits page ${page}`, () =>
      this.api.Commits.all(project, {
        since: window.since,
        until: window.until,
        perPage: this.perPage,
        page,
        maxPages: 1,
        pagination: 'offset',
        showExpanded: true,
      }),
    );
    const commits = data.map((c) => ({
      sha: c.id,
      message: typeof c.message === 'string' ? c.message : c.title,
      authorName: c.author_name,
      authorEmail: c.author_email,
      committedDate: typeof c.committed_date === 'string' ? c.committed_date : c.created_at,
      parentCount: Array.isArray(c.parent_ids) ? c.parent_ids.length : 1,
      webUrl: c.web_url,
    }));
    return { commits, ...(paginationInfo.next ? { nextPage: paginationInfo.next } : {}) };
  }

  /** One page of merged merge requests updated since `updatedAfter`, with what they brought. */
  async mergedRequestsPage(
    project: string,
    updatedAfter: string,
    page: number,
  ): Promise<{ requests: Array<{ iid: number; shas: string[]; approvers: UserRef[] }>; nextPage?: number }> {
    const { data, paginationInfo } = await this.call(`GET ${project} merged merge requests page ${page}`, () =>
      this.api.MergeRequests.all({
        projectId: project,
        state: 'merged',
        updatedAfter,
        perPage: this.perPage,
        page,
        maxPages: 1,
        pagination: 'offset',
        showExpanded: true,
      }),
    );
    const requests = await Promise.all(
      data.map(async (mr) => {
        const approvals = await this.getApprovals(project, mr.iid);
        if (!approvals.approvedBy.length) return { iid: mr.iid, shas: [], approvers: [] };
        const shas = new Set((await this.mergeRequestCommits(project, mr.iid)).map((c) => c.sha));
        for (const sha of [mr.merge_commit_sha, mr.squash_commit_sha]) if (typeof sha === 'string' && sha) shas.add(sha);
        return { iid: mr.iid, shas: [...shas], approvers: approvals.approvedBy };
      }),
    );
    return { requests, ...(paginationInfo.next ? { nextPage: paginationInfo.next } : {}) };
  }

  /** The MR's commits, oldest first (GitLab lists them newest first). */
  private async mergeRequestCommits(project: string, iid: number): Promise<LandedCommit[]> {
    const list = await this.call(`GET ${project}!${iid} commits`, () =>
      this.api.MergeRequests.allCommits(project, iid, { perPage: this.perPage }),
    );
    return list.map((c) => ({ sha: c.id, subject: c.title })).reverse();
  }

  /**
   * The MR's commits as they are on the target: the first-parent chain ending at `tip`, matched
   * to the MR's commits by subject from the newest. Needed when GitLab rebased while merging
   * (its automatic rebase before merge), which rewrites the SHAs and drops commits whose change
   * the target already had, and leaves the MR's own list as it was. The MR's list when `tip` is
   * its head, or when nothing matches.
   */
  private async asOnTarget(project: string, tip: string, listed: LandedCommit[]): Promise<LandedCommit[]> {
    if (listed.length === 0 || listed[listed.length - 1].sha === tip) return listed;
    const found: LandedCommit[] = [];
    let next: string | undefined = tip;
    let j = listed.length - 1;
    while (next !== undefined && j >= 0) {
      const sha: string = next;
      const c = await this.call(`GET ${project} commit ${sha}`, () => this.api.Commits.show(project, sha));
      while (j >= 0 && listed[j].subject !== c.title) j--;
      if (j < 0) break;
      found.unshift({ sha: c.id, subject: c.title });
      j--;
      next = c.parent_ids?.[0];
    }
    return found.length > 0 ? found : listed;
  }

  async mergeRequestsBetween(project: string, sourceBranch: string, targetBranch: string): Promise<MergeRequestSummary[]> {
    const list = await this.call(`GET ${project} merge requests ${sourceBranch} → ${targetBranch}`, () =>
      this.api.MergeRequests.all({ projectId: project, sourceBranch, targetBranch, state: ALL_STATES, perPage: this.perPage }),
    );
    // source_branch matches forks' MRs too: a fork's branch of the same name is not ours.
    return list
      .filter((mr) => mr.source_project_id === mr.target_project_id)
      .filter((mr) => mr.source_branch === sourceBranch && mr.target_branch === targetBranch)
      .map((mr) => ({ iid: mr.iid, webUrl: mr.web_url, state: toMrState(mr.state), draft: isDraftMr(mr) }));
  }

  /**
   * POST /projects/:id/merge_requests. Draft by the `Draft:` title prefix (GitLab derives draft
   * from the title); labels comma-separated, created when the project lacks them; 409 with
   * "Another open merge request already exists for this source branch: !N" for a duplicate.
   */
  async openMergeRequest(project: string, o: NewMergeRequest): Promise<{ iid: number; webUrl: string }> {
    const what = `POST ${project} merge request ${o.sourceBranch} → ${o.targetBranch}`;
    const assigneeId = o.assignee === undefined ? undefined : await this.userId(o.assignee);
    const title = o.draft && !DRAFT_TITLE.test(o.title) ? `Draft: ${o.title}` : o.title;
    try {
      const mr = await this.api.MergeRequests.create(project, o.sourceBranch, o.targetBranch, title, {
        description: o.description,
        ...(assigneeId !== undefined ? { assigneeId } : {}),
        ...(o.labels.length > 0 ? { labels: o.labels.join(',') } : {}),
      });
      return { iid: mr.iid, webUrl: mr.web_url };
    } catch (e) {
      if (statusOf(e) === 409) {
        const message = describe(e);
        const named = /!(\d+)/.exec(message);
        throw new MergeRequestExistsError(`${what}: ${message}`, named ? Number(named[1]) : undefined);
      }
      throw mapError(e, what);
    }
  }

  async projectsOfBot(): Promise<Array<{ path: string; defaultBranch: string }>> {
    return (await this.listDeveloperProjects()).map((p) => ({ path: p.path_with_namespace, defaultBranch: p.default_branch ?? 'main' }));
  }

  /** Ids of the projects where the bot itself is a Developer or more. */
  private async developerProjects(): Promise<Set<number>> {
    return new Set((await this.listDeveloperProjects()).map((p) => p.id));
  }

  private async listDeveloperProjects(): Promise<Array<{ id: number; path_with_namespace: string; default_branch?: string }>> {
    const projects = await this.call('GET /projects the bot develops in', () =>
      this.api.Projects.all({ membership: true, minAccessLevel: 30, simple: true, perPage: this.perPage }),
    );
    for (const p of projects) this.projectPaths.set(p.id, p.path_with_namespace);
    return projects;
  }

  private async fromList(list: Awaited<ReturnType<Gitlab['MergeRequests']['all']>>): Promise<MergeRequest[]> {
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

  private async projectPath(id: number): Promise<string> {
    const known = this.projectPaths.get(id);
    if (known !== undefined) return known;
    const p = await this.call(`GET project ${id}`, () => this.api.Projects.show(id));
    this.projectPaths.set(id, p.path_with_namespace);
    return p.path_with_namespace;
  }

  /**
   * A fork's path; its id (which GitLab's API accepts in place of a path) when the bot may not
   * see the fork, which must not make the MR itself look missing.
   */
  private async sourcePath(id: number): Promise<string> {
    try {
      return await this.projectPath(id);
    } catch (e) {
      if (e instanceof ForgeError && (e.kind === 'not-found' || e.kind === 'forbidden')) return String(id);
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

  // --- merge ---------------------------------------------------------------------------------

  /**
   * GitLab's answers across versions: 409 the SHA guard; 405 (and 406 on older GitLab) not
   * mergeable now, the reason read from the MR; 422 "Branch cannot be merged", which is the merge
   * itself failing (a hook, a push rule) unless the MR shows a git reason (newest GitLab answers
   * 422 for conflicts too); 200 with the MR still open and merge_error (older GitLab's hook
   * failures); 200 not merged yet, which is waited out.
   */
  async merge(project: string, iid: number, sha: string): Promise<MergeResult> {
    let mr: ExpandedMergeRequestSchema;
    try {
      mr = await this.api.MergeRequests.merge(project, iid, { sha });
    } catch (e) {
      const status = statusOf(e);
      const message = describe(e);
      switch (status) {
        case 409:
          return { kind: 'head-moved', message };
        case 404:
          return { kind: 'not-found', message };
        case 405:
        case 406: {
          const now = await this.rawMergeRequest(project, iid);
          return { kind: 'not-mergeable', reason: reasonOf(now), message: refusalMessage(status, message, now) };
        }
        case 422: {
          const now = await this.rawMergeRequest(project, iid);
          const mergeError = stringField(now, 'merge_error');
          const reason = reasonOf(now);
          if (!mergeError && (reason === 'conflict' || reason === 'needs-rebase' || reason === 'checking')) {
            return { kind: 'not-mergeable', reason, message: refusalMessage(status, message, now) };
          }
          return { kind: 'refused', message: mergeError ?? message };
        }
        default:
          throw mapError(e, `PUT ${project}!${iid} merge`);
      }
    }
    // Accepted, but maybe not done: poll until GitLab says how it ended.
    const deadline = Date.now() + this.mergeWaitMs;
    while (mr.state !== 'merged') {
      const mergeError = stringField(mr, 'merge_error');
      if (mr.state === 'opened' && mergeError) return { kind: 'refused', message: mergeError };
      if (mr.state !== 'locked' && mr.state !== 'opened') {
        return { kind: 'not-mergeable', reason: reasonOf(mr), message: `merge request is ${mr.state}` };
      }
      if (Date.now() >= deadline) {
        return {
          kind: 'not-mergeable',
          reason: 'checking',
          message: `GitLab accepted the merge but had not finished it after ${this.mergeWaitMs} ms`,
        };
      }
      await sleep(MERGE_POLL_MS);
      mr = await this.rawMergeRequest(project, iid);
    }
    // Fast-forward merges have no merge commit; newer GitLab then names the new head merged_commit_sha.
    const mergeCommitSha =
      mr.merge_commit_sha ?? stringField(mr, 'merged_commit_sha') ?? mr.squash_commit_sha ?? undefined;
    return mergeCommitSha ? { kind: 'merged', mergeCommitSha } : { kind: 'merged' };
  }

  // --- repository and pipelines --------------------------------------------------------------

  async branchHead(project: string, branch: string): Promise<string | undefined> {
    try {
      const b = await this.api.Branches.show(project, branch);
      return b.commit.id;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw mapError(e, `GET ${project} branch ${branch}`);
    }
  }

  async commitParents(project: string, sha: string): Promise<string[]> {
    const c = await this.call(`GET ${project} commit ${sha}`, () => this.api.Commits.show(project, sha));
    return c.parent_ids ?? [];
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

  async getPipeline(project: string, pipelineId: number): Promise<Pipeline> {
    return toPipeline(
      await this.call(`GET ${project} pipeline ${pipelineId}`, () => this.api.Pipelines.show(project, pipelineId)),
    );
  }

  async retryPipeline(project: string, pipelineId: number): Promise<Pipeline> {
    // 201 with the pipeline; GitLab changes nothing when no job failed or was canceled.
    return toPipeline(
      await this.call(`POST ${project} pipeline ${pipelineId} retry`, () =>
        this.api.Pipelines.retry(project, pipelineId),
      ),
    );
  }

  async cancelPipeline(project: string, pipelineId: number): Promise<void> {
    try {
      // GitLab answers 200 with the pipeline whatever its state, a finished one unchanged
      // (gitlab#414963); a later API version may refuse that with a 4xx instead (gitlab#519143).
      await this.api.Pipelines.cancel(project, pipelineId);
    } catch (e) {
      const status = statusOf(e);
      if (status !== undefined && status >= 400 && status < 500 && ![401, 403, 404, 408, 429].includes(status)) {
        // A refusal: fine when it is because the pipeline has finished already.
        const now = await this.getPipeline(project, pipelineId);
        if (FINISHED_PIPELINE_STATUSES.has(now.status)) return;
      }
      throw mapError(e, `POST ${project} pipeline ${pipelineId} cancel`);
    }
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
      mr.source_project_id === mr.target_project_id ? project : await this.sourcePath(mr.source_project_id);
    const head = (mr as Partial<ExpandedMergeRequestSchema>).head_pipeline;
    return {
      project,
      iid: mr.iid,
      title: mr.title,
      webUrl: mr.web_url,
      state: toMrState(mr.state),
      draft: isDraftMr(mr),
      sourceBranch: mr.source_branch,
      targetBranch: mr.target_branch,
      sourceProject,
      headSha: mr.sha,
      authorUsername: mr.author.username,
      assignees: (mr.assignees ?? (mr.assignee ? [mr.assignee] : [])).map((a) => a.username),
      squash: mr.squash ?? false,
      blockingDiscussionsResolved: mr.blocking_discussions_resolved ?? true,
      mergeability: mergeabilityOf(mr),
      // GitLab sends allow_collaboration only for MRs from forks.
      allowCollaboration: (mr as { allow_collaboration?: unknown }).allow_collaboration === true,
      // List answers have no head_pipeline.
      headPipeline: head ? toPipeline(head) : null,
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
