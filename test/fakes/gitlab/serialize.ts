// REST API v4 representations, with the field names and shapes GitLab (and gitbeaker's
// *Schema types) use. Times are ISO 8601 here, unlike in hooks.
import type { Core } from './core';
import type { MergeView } from './merge';
import type { RepositoryCommit } from './repositoryCommits';
import {
  approvalsLeft,
  approvalsRequired,
  headPipeline,
  isDraft,
  isProtectedBranch,
  matchingRules,
  mayMergeInto,
  mayPushTo,
  ruleApprovalsLeft,
} from './rules';
import type {
  AccessRec,
  CommitInfo,
  GroupRec,
  LabelRec,
  MrRec,
  NoteRec,
  PipelineRec,
  ProjectRec,
  ProtectedBranchRec,
  UserRec,
} from './store';
import { ACCESS_LEVEL } from './types';
import {
  avatarUrl,
  commitWebUrl,
  gitHttpUrl,
  gitSshPortUrl,
  gitSshUrl,
  mrWebUrl,
  pipelineWebUrl,
  projectWebUrl,
  userWebUrl,
} from './urls';

type Json = Record<string, unknown>;

export function basicUser(core: Core, u: UserRec): Json {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    state: 'active',
    locked: false,
    avatar_url: avatarUrl(core.baseUrl, u),
    web_url: userWebUrl(core.baseUrl, u),
  };
}

/**
 * GET /users/:id. Like GitLab: everyone sees `public_email`; only admins also get `email` and
 * `is_admin` (GitLab's UserWithAdmin entity).
 */
export function user(core: Core, u: UserRec, viewer: UserRec): Json {
  return {
    ...basicUser(core, u),
    created_at: u.createdAt,
    bio: '',
    location: '',
    public_email: u.publicEmail ?? '',
    bot: false,
    ...(viewer.admin ? { email: u.email, is_admin: u.admin } : {}),
  };
}

/** GET /user: the caller sees their own email and admin flag. */
export function currentUser(core: Core, u: UserRec): Json {
  return {
    ...basicUser(core, u),
    email: u.email,
    public_email: u.publicEmail ?? '',
    is_admin: u.admin,
    bot: false,
    created_at: u.createdAt,
  };
}

export function member(core: Core, u: UserRec, level: number): Json {
  return { ...basicUser(core, u), access_level: level, expires_at: null, created_at: u.createdAt };
}

/** The short project form GitLab nests (forked_from_project, ...). */
function projectSummary(core: Core, p: ProjectRec): Json {
  return {
    id: p.id,
    name: p.name,
    path: p.path.split('/').pop(),
    path_with_namespace: p.path,
    name_with_namespace: p.path.split('/').join(' / '),
    web_url: projectWebUrl(core.baseUrl, p),
    http_url_to_repo: gitHttpUrl(core.baseUrl, p),
    default_branch: p.defaultBranch,
  };
}

export function project(core: Core, p: ProjectRec, viewer: UserRec): Json {
  const [namespace] = p.path.split('/').slice(-2);
  const upstream = p.forkedFromId !== null ? core.store.projects.get(p.forkedFromId) : undefined;
  return {
    id: p.id,
    description: '',
    name: p.name,
    name_with_namespace: p.path.split('/').join(' / '),
    path: p.path.split('/').pop(),
    path_with_namespace: p.path,
    created_at: p.createdAt,
    last_activity_at: p.createdAt,
    default_branch: p.defaultBranch,
    visibility: p.visibility,
    web_url: projectWebUrl(core.baseUrl, p),
    http_url_to_repo: gitHttpUrl(core.baseUrl, p),
    ssh_url_to_repo: core.sshPort ? gitSshPortUrl(core.sshPort, p) : gitSshUrl(core.baseUrl, p),
    namespace: { id: p.id + 100, name: namespace, path: namespace, kind: 'group', full_path: p.namespace },
    archived: false,
    merge_method: p.mergeMethod,
    squash_option: 'default_off',
    only_allow_merge_if_pipeline_succeeds: p.onlyAllowMergeIfPipelineSucceeds,
    allow_merge_on_skipped_pipeline: p.allowMergeOnSkippedPipeline,
    only_allow_merge_if_all_discussions_are_resolved: p.onlyAllowMergeIfAllDiscussionsAreResolved,
    approvals_before_merge: p.approvalsRequired,
    reset_approvals_on_push: p.resetApprovalsOnPush,
    merge_requests_enabled: true,
    ...(upstream ? { forked_from_project: projectSummary(core, upstream) } : {}),
    permissions: {
      project_access: p.members.has(viewer.id)
        ? { access_level: p.members.get(viewer.id), notification_level: 3 }
        : null,
      group_access: null,
    },
  };
}

export function commit(core: Core, p: ProjectRec, c: CommitInfo): Json {
  return {
    id: c.sha,
    short_id: c.sha.slice(0, 8),
    title: c.title,
    message: c.message,
    author_name: c.authorName,
    author_email: c.authorEmail,
    authored_date: c.timestamp,
    committer_name: c.authorName,
    committer_email: c.authorEmail,
    committed_date: c.timestamp,
    created_at: c.timestamp,
    parent_ids: c.parents,
    web_url: commitWebUrl(core.baseUrl, p, c.sha),
  };
}

/**
 * A commit as GET .../repository/commits lists it (Entities::Commit), with its own committer:
 * `committed_date` (and `created_at`, always the same) may differ from `authored_date`.
 */
export function repositoryCommit(core: Core, p: ProjectRec, c: RepositoryCommit): Json {
  return {
    ...commit(core, p, c),
    committer_name: c.committerName,
    committer_email: c.committerEmail,
    committed_date: c.committedDate,
    created_at: c.committedDate,
  };
}

export function branch(core: Core, p: ProjectRec, name: string, c: CommitInfo, viewer: UserRec): Json {
  const rules = matchingRules(p, name);
  const admits = (pick: (r: ProtectedBranchRec) => AccessRec[]): boolean =>
    rules.length === 0 || rules.some((r) => pick(r).some((a) => a.accessLevel === ACCESS_LEVEL.developer));
  return {
    name,
    merged: false,
    protected: isProtectedBranch(p, name),
    default: name === p.defaultBranch,
    developers_can_push: admits((r) => r.push),
    developers_can_merge: admits((r) => r.merge),
    can_push: mayPushTo(core.store, p, viewer, name),
    web_url: `${projectWebUrl(core.baseUrl, p)}/-/tree/${name}`,
    commit: commit(core, p, c),
  };
}

const ROLE_DESCRIPTION: Record<number, string> = {
  0: 'No one',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
  60: 'Administrators',
};

function accessLevels(core: Core, list: AccessRec[]): Json[] {
  return list.map((a) => {
    const user = a.userId !== null ? core.store.userById(a.userId) : undefined;
    const group: GroupRec | undefined = a.groupId !== null ? core.store.groups.get(a.groupId) : undefined;
    return {
      id: a.id,
      access_level: a.accessLevel,
      access_level_description: user?.name ?? group?.name ?? ROLE_DESCRIPTION[a.accessLevel ?? 40] ?? 'Maintainers',
      user_id: a.userId,
      group_id: a.groupId,
      deploy_key_id: null,
    };
  });
}

/** GET /protected_branches[/:name]: one rule as GitLab serves it, under its own (wildcard) name. */
export function protectedBranch(core: Core, r: ProtectedBranchRec): Json {
  return {
    id: r.id,
    name: r.name,
    push_access_levels: accessLevels(core, r.push),
    merge_access_levels: accessLevels(core, r.merge),
    unprotect_access_levels: accessLevels(core, [{ id: r.id * 10, accessLevel: 40, userId: null, groupId: null }]),
    allow_force_push: r.allowForcePush,
    code_owner_approval_required: false,
    inherited: false,
  };
}

/** A pipeline as the pipelines API shows it; `p` is the project it ran in. */
export function pipeline(core: Core, p: ProjectRec, pl: PipelineRec): Json {
  return {
    id: pl.id,
    iid: pl.iid,
    project_id: p.id,
    sha: pl.sha,
    ref: pl.ref,
    status: pl.status,
    source: pl.kind === 'branch' ? 'push' : 'merge_request_event',
    created_at: pl.createdAt,
    updated_at: pl.updatedAt,
    web_url: pipelineWebUrl(core.baseUrl, p, pl.id),
  };
}

export function expandedPipeline(core: Core, p: ProjectRec, pl: PipelineRec): Json {
  const user = core.store.userById(pl.userId);
  const label = pl.status === 'success' ? 'passed' : pl.status;
  return {
    ...pipeline(core, p, pl),
    before_sha: pl.beforeSha,
    tag: false,
    yaml_errors: null,
    user: user ? basicUser(core, user) : null,
    started_at: pl.startedAt,
    finished_at: pl.finishedAt,
    committed_at: null,
    duration:
      pl.startedAt && pl.finishedAt ? Math.round((Date.parse(pl.finishedAt) - Date.parse(pl.startedAt)) / 1000) : null,
    queued_duration: null,
    coverage: null,
    detailed_status: {
      icon: `status_${pl.status}`,
      text: label,
      label,
      group: pl.status,
      tooltip: label,
      has_details: true,
      details_path: `/${p.path}/-/pipelines/${pl.id}`,
    },
  };
}

export function note(core: Core, p: ProjectRec, mr: MrRec, n: NoteRec): Json {
  const author = core.store.userById(n.authorId);
  const resolver = n.resolvedById ? core.store.userById(n.resolvedById) : undefined;
  return {
    id: n.id,
    type: n.resolvable ? 'DiscussionNote' : null,
    body: n.body,
    attachment: null,
    author: author ? basicUser(core, author) : null,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    system: n.system,
    noteable_id: mr.id,
    noteable_type: 'MergeRequest',
    project_id: p.id,
    noteable_iid: mr.iid,
    resolvable: n.resolvable,
    ...(n.resolvable ? { resolved: n.resolved, resolved_by: resolver ? basicUser(core, resolver) : null } : {}),
    confidential: false,
    internal: false,
    commands_changes: {},
  };
}

function users(core: Core, ids: number[]): Json[] {
  return ids
    .map((id) => core.store.userById(id))
    .filter((u): u is UserRec => u !== undefined)
    .map((u) => basicUser(core, u));
}

export interface MrJsonOptions {
  /** `include_rebase_in_progress=true` on GET /merge_requests/:iid. */
  includeRebaseInProgress?: boolean;
  /** `with_labels_details=true`: label objects instead of titles. */
  labelDetails?: boolean;
  /** List endpoints leave out what only the single-MR answer has (merge_error, pipelines, ...). */
  list?: boolean;
}

/** Fields GitLab's list endpoints do not include (MergeRequestBasic vs MergeRequest entity). */
const SINGLE_MR_ONLY = [
  'merge_error',
  'pipeline',
  'head_pipeline',
  'diff_refs',
  'user',
  'subscribed',
  'changes_count',
  'first_contribution',
];

export function label(p: ProjectRec, l: LabelRec): Json {
  return {
    id: l.id,
    name: l.title,
    color: l.color,
    text_color: '#FFFFFF',
    description: l.description,
    description_html: '',
    project_id: p.id,
  };
}

export function mergeRequest(
  core: Core,
  p: ProjectRec,
  mr: MrRec,
  view: MergeView,
  viewer: UserRec,
  opts: MrJsonOptions = {},
): Json {
  const out = fullMergeRequest(core, p, mr, view, viewer, opts);
  if (opts.includeRebaseInProgress) out.rebase_in_progress = mr.rebaseInProgress;
  if (opts.list) for (const key of SINGLE_MR_ONLY) delete out[key];
  return out;
}

function fullMergeRequest(
  core: Core,
  p: ProjectRec,
  mr: MrRec,
  view: MergeView,
  viewer: UserRec,
  opts: MrJsonOptions,
): Json {
  const author = core.store.userById(mr.authorId);
  const assignees = users(core, mr.assigneeIds);
  const head = headPipeline(core.store, p, mr);
  const headProject = head ? (core.store.projects.get(head.projectId) ?? p) : p;
  const source = core.store.projects.get(mr.sourceProjectId) ?? p;
  const forFork = source.id !== p.id;
  const mergedBy = mr.mergedById ? core.store.userById(mr.mergedById) : undefined;
  const closedBy = mr.closedById ? core.store.userById(mr.closedById) : undefined;
  const draft = isDraft(mr);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merged_by: mergedBy ? basicUser(core, mergedBy) : null,
    merge_user: mergedBy ? basicUser(core, mergedBy) : null,
    merged_at: mr.mergedAt,
    closed_by: closedBy ? basicUser(core, closedBy) : null,
    closed_at: mr.closedAt,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: core.store.notesOf(mr).filter((n) => !n.system).length,
    upvotes: 0,
    downvotes: 0,
    author: author ? basicUser(core, author) : null,
    assignees,
    assignee: assignees[0] ?? null,
    reviewers: [],
    source_project_id: source.id,
    target_project_id: p.id,
    labels: opts.labelDetails ? mr.labels.map((t) => label(p, core.store.label(p, t))) : [...mr.labels],
    draft,
    work_in_progress: draft,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: view.mergeStatus,
    detailed_merge_status: view.detailedMergeStatus,
    sha: mr.headSha,
    merge_commit_sha: mr.mergeCommitSha,
    squash_commit_sha: mr.squashCommitSha,
    merged_commit_sha: mr.mergedCommitSha,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: false,
    // GitLab shows these only for MRs from forks.
    ...(forFork ? { allow_collaboration: mr.allowCollaboration, allow_maintainer_to_push: mr.allowCollaboration } : {}),
    reference: `!${mr.iid}`,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${p.path}!${mr.iid}` },
    web_url: mrWebUrl(core.baseUrl, p, mr.iid),
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    squash: mr.squash,
    squash_on_merge: mr.squash,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: view.hasConflicts,
    blocking_discussions_resolved: view.blockingDiscussionsResolved,
    approvals_before_merge: null,
    subscribed: false,
    changes_count: null,
    pipeline: head ? pipeline(core, headProject, head) : null,
    head_pipeline: head ? expandedPipeline(core, headProject, head) : null,
    diff_refs: view.git
      ? { base_sha: view.git.baseSha ?? null, head_sha: mr.headSha, start_sha: view.git.targetHead ?? null }
      : null,
    merge_error: mr.mergeError,
    first_contribution: false,
    user: { can_merge: mayMergeInto(core.store, p, viewer, mr.targetBranch) },
  };
}

export function approvals(core: Core, p: ProjectRec, mr: MrRec, viewer: UserRec): Json {
  const left = approvalsLeft(p, mr);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merge_status: 'can_be_merged',
    approved: left === 0,
    approvals_required: approvalsRequired(p),
    approvals_left: left,
    require_password_to_approve: false,
    approved_by: users(core, mr.approverIds).map((user) => ({ user })),
    suggested_approvers: [],
    approvers: [],
    approver_groups: [],
    user_has_approved: mr.approverIds.includes(viewer.id),
    user_can_approve: !mr.approverIds.includes(viewer.id) && viewer.id !== mr.authorId,
    approval_rules_left: p.approvalRules
      .filter((r) => ruleApprovalsLeft(r, mr) > 0)
      .map((r) => ({ id: r.id, name: r.name, rule_type: 'regular' })),
    has_approval_rules: p.approvalRules.length > 0 || p.approvalsRequired > 0,
    merge_request_approvers_available: true,
    multiple_approval_rules_available: p.approvalRules.length > 0,
    invalid_approvers_rules: [],
  };
}

/**
 * GET .../approval_state: the project's approval rules as they apply to this MR (GitLab copies
 * them onto the MR). Without rules, `rules: []`.
 */
export function approvalState(core: Core, p: ProjectRec, mr: MrRec): Json {
  return {
    approval_rules_overwritten: false,
    rules: p.approvalRules.map((r) => {
      const eligible = users(core, r.eligibleIds);
      return {
        id: r.id,
        name: r.name,
        rule_type: 'regular',
        eligible_approvers: eligible,
        approvals_required: r.approvalsRequired,
        users: eligible,
        groups: [],
        contains_hidden_groups: false,
        approved_by: users(core, mr.approverIds.filter((id) => r.eligibleIds.includes(id))),
        source_rule: null,
        approved: ruleApprovalsLeft(r, mr) === 0,
        overridden: false,
      };
    }),
  };
}

export function discussion(core: Core, p: ProjectRec, mr: MrRec, d: MrRec['discussions'][number]): Json {
  return { id: d.id, individual_note: d.individualNote, notes: d.notes.map((n) => note(core, p, mr, n)) };
}
