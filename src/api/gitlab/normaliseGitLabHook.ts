import { z } from 'zod';
import type { DomainEvent } from '../../domain/events';
import type { MergeRequestState, PipelineStatus } from '../../domain/types';

// Turns a GitLab webhook into one domain event. Validation names the first bad field, so
// whoever set up the hook (or wrote a test) sees what is wrong.

export type Normalised =
  | { kind: 'event'; event: DomainEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

const project = z.object({ path_with_namespace: z.string().min(1), web_url: z.string().optional() });
const user = z.object({ username: z.string().min(1) });
const mrStates = ['opened', 'closed', 'merged', 'locked'] as const;
const pipelineStatuses = [
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
] as const;

const mergeRequestHook = z.object({
  object_kind: z.literal('merge_request'),
  user,
  project,
  object_attributes: z.object({
    iid: z.number().int().positive(),
    title: z.string(),
    url: z.string(),
    state: z.enum(mrStates),
    action: z.string().optional(),
    source_branch: z.string().min(1),
    target_branch: z.string().min(1),
    last_commit: z.object({ id: z.string().min(1) }),
    draft: z.boolean().optional(),
    work_in_progress: z.boolean().optional(),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
  }),
  assignees: z.array(z.object({ username: z.string() })).optional(),
  labels: z.array(z.object({ title: z.string() })).optional(),
});

/** GitLab hooks write times as `2026-11-20 10:05:00 UTC`; the API as ISO 8601. Both become ISO. */
export function gitlabTimeToIso(text: string | undefined): string {
  if (!text) return new Date(0).toISOString();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  const parsed = m ? Date.parse(`${m[1]}T${m[2]}${!m[3] || m[3] === 'UTC' ? 'Z' : m[3]}`) : Date.parse(text);
  return Number.isNaN(parsed) ? new Date(0).toISOString() : new Date(parsed).toISOString();
}

const noteHook = z.object({
  object_kind: z.literal('note'),
  user,
  project,
  object_attributes: z.object({ id: z.number().int(), note: z.string(), noteable_type: z.string() }),
  merge_request: z.object({ iid: z.number().int().positive() }).optional(),
});

const pipelineHook = z.object({
  object_kind: z.literal('pipeline'),
  project,
  object_attributes: z.object({
    id: z.number().int(),
    sha: z.string().min(1),
    ref: z.string().optional(),
    status: z.enum(pipelineStatuses),
    url: z.string().optional(),
  }),
  merge_request: z
    .object({ iid: z.number().int().positive(), target_branch: z.string().min(1) })
    .nullable()
    .optional(),
});

const pushHook = z.object({
  object_kind: z.literal('push'),
  project,
  ref: z.string().min(1),
  after: z.string().min(1),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length ? issue.path.join('.') : '(body)';
  return `${path}: ${issue.message}`;
}

export function normaliseGitLabHook(eventName: string, body: unknown, eventId: string): Normalised {
  switch (eventName) {
    case 'Merge Request Hook': {
      const parsed = mergeRequestHook.safeParse(body);
      if (!parsed.success) return { kind: 'invalid', reason: firstIssue(parsed.error) };
      const { object_attributes: a, project: p } = parsed.data;
      return {
        kind: 'event',
        event: {
          kind: 'merge-request',
          eventId,
          ref: { forge: 'gitlab', project: p.path_with_namespace, iid: a.iid },
          action: a.action ?? 'update',
          state: a.state as MergeRequestState,
          title: a.title,
          url: a.url,
          sourceBranch: a.source_branch,
          targetBranch: a.target_branch,
          headSha: a.last_commit.id,
          draft: a.draft ?? a.work_in_progress ?? false,
          assignees: (parsed.data.assignees ?? []).map((u) => u.username),
          labels: (parsed.data.labels ?? []).map((l) => l.title),
          createdAt: gitlabTimeToIso(a.created_at),
          updatedAt: gitlabTimeToIso(a.updated_at),
          actor: parsed.data.user.username,
        },
      };
    }
    case 'Note Hook': {
      const parsed = noteHook.safeParse(body);
      if (!parsed.success) return { kind: 'invalid', reason: firstIssue(parsed.error) };
      const d = parsed.data;
      if (d.object_attributes.noteable_type !== 'MergeRequest' || !d.merge_request) {
        return { kind: 'ignored', reason: `comment on a ${d.object_attributes.noteable_type}, not a merge request` };
      }
      return {
        kind: 'event',
        event: {
          kind: 'comment',
          eventId,
          ref: { forge: 'gitlab', project: d.project.path_with_namespace, iid: d.merge_request.iid },
          noteId: d.object_attributes.id,
          author: d.user.username,
          body: d.object_attributes.note,
        },
      };
    }
    case 'Pipeline Hook': {
      const parsed = pipelineHook.safeParse(body);
      if (!parsed.success) return { kind: 'invalid', reason: firstIssue(parsed.error) };
      const d = parsed.data;
      const a = d.object_attributes;
      const projectPath = d.project.path_with_namespace;
      return {
        kind: 'event',
        event: {
          kind: 'pipeline',
          eventId,
          ref: d.merge_request ? { forge: 'gitlab', project: projectPath, iid: d.merge_request.iid } : undefined,
          targetBranch: d.merge_request?.target_branch,
          project: projectPath,
          pipelineId: a.id,
          sha: a.sha,
          status: a.status as PipelineStatus,
          url: a.url ?? (d.project.web_url ? `${d.project.web_url}/-/pipelines/${a.id}` : ''),
        },
      };
    }
    case 'Push Hook': {
      const parsed = pushHook.safeParse(body);
      if (!parsed.success) return { kind: 'invalid', reason: firstIssue(parsed.error) };
      const d = parsed.data;
      if (!d.ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `a push to ${d.ref}, not to a branch` };
      return {
        kind: 'event',
        event: {
          kind: 'branch-pushed',
          eventId,
          forge: 'gitlab',
          project: d.project.path_with_namespace,
          branch: d.ref.slice('refs/heads/'.length),
          sha: d.after,
        },
      };
    }
    default:
      return { kind: 'ignored', reason: `Shepherd does not use "${eventName}" events` };
  }
}
