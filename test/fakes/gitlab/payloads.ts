// Webhook bodies shaped like GitLab's (see @gitbeaker/core's Webhook*EventSchema and GitLab's
// "Webhook events" docs). Only fields a bot could reasonably read are filled with real values.
import { blockingDiscussionsResolved, isDraft, isProtectedBranch, stateBlocker } from './rules';
import type { CommitInfo, LabelRec, MrRec, NoteRec, PipelineRec, ProjectRec, Store, UserRec } from './store';
import { ZERO_SHA } from './store';
import type { MergeRequestState } from './types';
import { avatarUrl, commitWebUrl, gitHttpUrl, gitSshUrl, mrWebUrl, pipelineWebUrl, projectWebUrl } from './urls';

export interface PayloadContext {
  baseUrl: string;
  store: Store;
}

type Json = Record<string, unknown>;

/** Hooks print times like "2024-05-01 10:00:00 UTC", not ISO 8601. */
export function hookTime(iso: string | null): string | null {
  if (!iso) return null;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

const STATE_ID: Record<MergeRequestState, number> = { opened: 1, closed: 2, merged: 3, locked: 4 };

export function hookUser(ctx: PayloadContext, u: UserRec): Json {
  return { id: u.id, name: u.name, username: u.username, avatar_url: avatarUrl(ctx.baseUrl, u), email: '[REDACTED]' };
}

export function hookProject(ctx: PayloadContext, p: ProjectRec): Json {
  const web = projectWebUrl(ctx.baseUrl, p);
  return {
    id: p.id,
    name: p.name,
    description: '',
    web_url: web,
    avatar_url: null,
    git_ssh_url: gitSshUrl(ctx.baseUrl, p),
    git_http_url: gitHttpUrl(ctx.baseUrl, p),
    namespace: p.namespace,
    visibility_level: 0,
    path_with_namespace: p.path,
    default_branch: p.defaultBranch,
    ci_config_path: null,
    homepage: web,
    url: gitSshUrl(ctx.baseUrl, p),
    ssh_url: gitSshUrl(ctx.baseUrl, p),
    http_url: gitHttpUrl(ctx.baseUrl, p),
  };
}

function hookRepository(ctx: PayloadContext, p: ProjectRec): Json {
  return {
    name: p.name,
    url: gitSshUrl(ctx.baseUrl, p),
    description: '',
    homepage: projectWebUrl(ctx.baseUrl, p),
    git_http_url: gitHttpUrl(ctx.baseUrl, p),
    git_ssh_url: gitSshUrl(ctx.baseUrl, p),
    visibility_level: 0,
  };
}

function hookCommit(ctx: PayloadContext, p: ProjectRec, c: CommitInfo | undefined, sha: string): Json {
  return {
    id: sha,
    message: c?.message ?? '',
    title: c?.title ?? '',
    timestamp: c?.timestamp ?? null,
    url: commitWebUrl(ctx.baseUrl, p, sha),
    author: { name: c?.authorName ?? '', email: c?.authorEmail ?? '' },
  };
}

/** A label as hooks show it (MR hook `labels`, `object_attributes.labels`, `changes.labels`). */
export function hookLabel(_ctx: PayloadContext, p: ProjectRec, l: LabelRec): Json {
  return {
    id: l.id,
    title: l.title,
    color: l.color,
    project_id: p.id,
    created_at: l.createdAt,
    updated_at: l.createdAt,
    template: false,
    description: l.description,
    type: 'ProjectLabel',
    group_id: null,
  };
}

function mrLabels(ctx: PayloadContext, p: ProjectRec, mr: MrRec): Json[] {
  return mr.labels.map((t) => hookLabel(ctx, p, ctx.store.label(p, t)));
}

function users(ctx: PayloadContext, ids: number[]): UserRec[] {
  return ids.map((id) => ctx.store.userById(id)).filter((u): u is UserRec => u !== undefined);
}

/** The MR fields hooks share (MR hook object_attributes, Note hook merge_request). */
export function hookMrAttributes(ctx: PayloadContext, p: ProjectRec, mr: MrRec): Json {
  // Hooks cannot wait for a git mergeability check; GitLab sends "checking" in that case too.
  const blocker = stateBlocker(ctx.store, p, mr);
  const draft = isDraft(mr);
  const source = ctx.store.projects.get(mr.sourceProjectId) ?? p;
  return {
    id: mr.id,
    iid: mr.iid,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    source_project_id: source.id,
    target_project_id: p.id,
    author_id: mr.authorId,
    assignee_id: mr.assigneeIds[0] ?? null,
    assignee_ids: [...mr.assigneeIds],
    reviewer_ids: [],
    title: mr.title,
    description: mr.description,
    created_at: hookTime(mr.createdAt),
    updated_at: hookTime(mr.updatedAt),
    last_edited_at: null,
    last_edited_by_id: null,
    milestone_id: null,
    state_id: STATE_ID[mr.state],
    state: mr.state,
    blocking_discussions_resolved: blockingDiscussionsResolved(p, mr),
    work_in_progress: draft,
    draft,
    first_contribution: false,
    merge_commit_sha: mr.mergeCommitSha,
    merge_status: 'unchecked', // git mergeability, which hooks do not wait for
    detailed_merge_status: blocker ?? 'checking',
    merge_error: mr.mergeError,
    merge_when_pipeline_succeeds: false,
    merge_user_id: mr.mergedById,
    squash: mr.squash,
    url: mrWebUrl(ctx.baseUrl, p, mr.iid),
    source: hookProject(ctx, source),
    target: hookProject(ctx, p),
    last_commit: hookCommit(ctx, p, ctx.store.commits.get(mr.headSha), mr.headSha),
    labels: mrLabels(ctx, p, mr),
    time_estimate: 0,
    total_time_spent: 0,
    time_change: 0,
    human_total_time_spent: null,
    human_time_change: null,
    human_time_estimate: null,
  };
}

export interface MrHookExtras {
  action: string;
  /** Previous head when a push changed it. */
  oldrev?: string;
  changes?: Json;
}

export function mergeRequestHook(
  ctx: PayloadContext,
  p: ProjectRec,
  mr: MrRec,
  actor: UserRec,
  extras: MrHookExtras,
): Json {
  const attrs: Json = { ...hookMrAttributes(ctx, p, mr), action: extras.action };
  if (extras.oldrev) attrs.oldrev = extras.oldrev;
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: hookUser(ctx, actor),
    project: hookProject(ctx, p),
    object_attributes: attrs,
    labels: mrLabels(ctx, p, mr),
    changes: extras.changes ?? {},
    repository: hookRepository(ctx, p),
    assignees: users(ctx, mr.assigneeIds).map((u) => hookUser(ctx, u)),
    reviewers: [],
  };
}

export function noteHook(ctx: PayloadContext, p: ProjectRec, mr: MrRec, note: NoteRec, actor: UserRec): Json {
  return {
    object_kind: 'note',
    event_type: 'note',
    user: hookUser(ctx, actor),
    project_id: p.id,
    project: hookProject(ctx, p),
    repository: hookRepository(ctx, p),
    object_attributes: {
      id: note.id,
      note: note.body,
      noteable_type: 'MergeRequest',
      author_id: note.authorId,
      created_at: hookTime(note.createdAt),
      updated_at: hookTime(note.updatedAt),
      project_id: p.id,
      attachment: null,
      line_code: null,
      commit_id: '',
      noteable_id: mr.id,
      system: note.system,
      st_diff: null,
      discussion_id: note.discussionId,
      type: note.resolvable ? 'DiscussionNote' : null,
      action: 'create',
      internal: false,
      confidential: false,
      description: note.body,
      url: `${mrWebUrl(ctx.baseUrl, p, mr.iid)}#note_${note.id}`,
    },
    merge_request: hookMrAttributes(ctx, p, mr),
  };
}

const DETAILED_STATUS: Record<string, string> = { success: 'passed' };

/**
 * A Pipeline Hook. `merge_request` is filled only for merge request (and merged results)
 * pipelines; branch pipelines carry null even when an open MR has that branch, as on GitLab.
 */
export function pipelineHook(ctx: PayloadContext, p: ProjectRec, pl: PipelineRec, mr: MrRec | undefined): Json {
  const user = ctx.store.userById(pl.userId);
  const duration =
    pl.startedAt && pl.finishedAt ? Math.round((Date.parse(pl.finishedAt) - Date.parse(pl.startedAt)) / 1000) : null;
  const mrProject = mr ? (ctx.store.projects.get(mr.projectId) ?? p) : undefined;
  return {
    object_kind: 'pipeline',
    object_attributes: {
      id: pl.id,
      iid: pl.iid,
      name: null,
      ref: pl.ref,
      tag: false,
      sha: pl.sha,
      before_sha: pl.beforeSha,
      source: pl.kind === 'branch' ? 'push' : 'merge_request_event',
      status: pl.status,
      detailed_status: DETAILED_STATUS[pl.status] ?? pl.status,
      stages: ['test'],
      created_at: hookTime(pl.createdAt),
      finished_at: hookTime(pl.finishedAt),
      duration,
      queued_duration: null,
      variables: [],
      url: pipelineWebUrl(ctx.baseUrl, p, pl.id),
    },
    merge_request:
      mr && mrProject
        ? {
            id: mr.id,
            iid: mr.iid,
            title: mr.title,
            source_branch: mr.sourceBranch,
            source_project_id: mr.sourceProjectId,
            target_branch: mr.targetBranch,
            target_project_id: mr.projectId,
            state: mr.state,
            merge_status: 'unchecked',
            detailed_merge_status: stateBlocker(ctx.store, mrProject, mr) ?? 'checking',
            url: mrWebUrl(ctx.baseUrl, mrProject, mr.iid),
          }
        : null,
    user: user ? hookUser(ctx, user) : null,
    project: hookProject(ctx, p),
    commit: hookCommit(ctx, p, ctx.store.commits.get(pl.sha), pl.sha),
    builds: [],
  };
}

export function pushHook(
  ctx: PayloadContext,
  p: ProjectRec,
  change: { ref: string; before: string; after: string },
  commits: CommitInfo[],
  actor: UserRec,
): Json {
  const branch = change.ref.replace(/^refs\/heads\//, '');
  return {
    object_kind: 'push',
    event_name: 'push',
    before: change.before,
    after: change.after,
    ref: change.ref,
    ref_protected: isProtectedBranch(p, branch),
    checkout_sha: change.after === ZERO_SHA ? null : change.after,
    message: null,
    user_id: actor.id,
    user_name: actor.name,
    user_username: actor.username,
    user_email: '',
    user_avatar: avatarUrl(ctx.baseUrl, actor),
    project_id: p.id,
    project: hookProject(ctx, p),
    commits: commits.map((c) => ({ ...hookCommit(ctx, p, c, c.sha), added: [], modified: [], removed: [] })),
    total_commits_count: commits.length,
    push_options: {},
    repository: hookRepository(ctx, p),
  };
}
