// In-memory records of the fake GitLab. Git data (branches, commits) is NOT kept here: the bare
// repositories are the truth for that, so a real `git push` and the API always agree.
import crypto from 'node:crypto';
import type { AddUserOptions, ApprovalRule, FakePipelineStatus, MergeMethod, MergeRequestState, PushRule } from './types';

export interface UserRec {
  id: number;
  username: string;
  name: string;
  email: string;
  token: string;
  admin: boolean;
  publicEmail: string | null;
  createdAt: string;
}

export interface LabelRec {
  id: number;
  title: string;
  color: string;
  description: string | null;
  createdAt: string;
}

export interface ApprovalRuleRec {
  id: number;
  name: string;
  approvalsRequired: number;
  /** User ids, in the order given. */
  eligibleIds: number[];
}

export interface ProjectRec {
  id: number;
  /** `group/app` */
  path: string;
  name: string;
  namespace: string;
  defaultBranch: string;
  /** userId → access level */
  members: Map<number, number>;
  approvalsRequired: number;
  /** When non-empty, replaces approvalsRequired. */
  approvalRules: ApprovalRuleRec[];
  mergeMethod: MergeMethod;
  protectedBranches: Set<string>;
  onlyAllowMergeIfPipelineSucceeds: boolean;
  allowMergeOnSkippedPipeline: boolean;
  onlyAllowMergeIfAllDiscussionsAreResolved: boolean;
  resetApprovalsOnPush: boolean;
  approvalResetDelayMs: number;
  pushRule: PushRule | undefined;
  /** Project labels by title, created on first use. */
  labels: Map<string, LabelRec>;
  repoDir: string;
  createdAt: string;
  nextMrIid: number;
  nextPipelineIid: number;
}

export interface NoteRec {
  id: number;
  body: string;
  authorId: number;
  createdAt: string;
  updatedAt: string;
  system: boolean;
  discussionId: string;
  resolvable: boolean;
  resolved: boolean;
  resolvedById: number | null;
}

export interface DiscussionRec {
  id: string;
  /** A plain comment (not a thread). */
  individualNote: boolean;
  notes: NoteRec[];
}

export interface MrRec {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: MergeRequestState;
  sourceBranch: string;
  targetBranch: string;
  authorId: number;
  assigneeIds: number[];
  squash: boolean;
  headSha: string;
  /** Every head the MR had, oldest first: the MR's pipelines are those for these SHAs. */
  headHistory: string[];
  approverIds: number[];
  /** Label titles, sorted like GitLab lists them. */
  labels: string[];
  /** Set while an API rebase is queued or running (GitLab's rebase_jid). */
  rebaseInProgress: boolean;
  /** GitLab's merge_error: why the last rebase or merge failed. */
  mergeError: string | null;
  /** Heads written by API rebases: pushes of these do not reset approvals (GitLab's rebase_commit_sha). */
  rebaseCommitSha: string | null;
  discussions: DiscussionRec[];
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
  mergedById: number | null;
  closedAt: string | null;
  closedById: number | null;
  mergeCommitSha: string | null;
  squashCommitSha: string | null;
  mergedCommitSha: string | null;
}

export interface PipelineRec {
  id: number;
  iid: number;
  projectId: number;
  sha: string;
  beforeSha: string;
  ref: string;
  status: FakePipelineStatus;
  userId: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What hooks and API answers say about a commit; cached because commits never change. */
export interface CommitInfo {
  sha: string;
  message: string;
  title: string;
  authorName: string;
  authorEmail: string;
  timestamp: string;
  parents: string[];
}

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export function now(): string {
  return new Date().toISOString();
}

/** GitLab derives "draft" from the title prefix; so does the fake. */
const DRAFT_PREFIX = /^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s)\s*/i;

export function isDraftTitle(title: string): boolean {
  return DRAFT_PREFIX.test(title);
}

export function withDraft(title: string, draft: boolean): string {
  const bare = title.replace(DRAFT_PREFIX, '');
  return draft ? `Draft: ${bare}` : bare;
}

export class Store {
  readonly users = new Map<number, UserRec>();
  readonly projects = new Map<number, ProjectRec>();
  readonly mrs: MrRec[] = [];
  readonly pipelines: PipelineRec[] = [];
  readonly commits = new Map<string, CommitInfo>();
  // Distinct ranges make id/iid mix-ups in callers fail loudly instead of passing by luck.
  private nextUserId = 1;
  private nextProjectId = 1;
  private nextMrId = 1001;
  private nextNoteId = 5001;
  private nextPipelineId = 101;
  private nextLabelId = 201;
  private nextApprovalRuleId = 301;

  addUser(u: AddUserOptions): UserRec {
    if (this.userByUsername(u.username)) throw new Error(`user ${u.username} exists`);
    const rec: UserRec = {
      id: this.nextUserId++,
      username: u.username,
      name: u.name,
      email: u.email ?? `${u.username}@example.test`,
      token: `glpat-${crypto.randomBytes(15).toString('base64url')}`,
      admin: u.admin ?? false,
      publicEmail: u.publicEmail ?? null,
      createdAt: now(),
    };
    this.users.set(rec.id, rec);
    return rec;
  }

  userByUsername(username: string): UserRec | undefined {
    for (const u of this.users.values()) if (u.username === username) return u;
    return undefined;
  }

  requireUser(username: string): UserRec {
    const u = this.userByUsername(username);
    if (!u) throw new Error(`unknown user ${username}`);
    return u;
  }

  userById(id: number): UserRec | undefined {
    return this.users.get(id);
  }

  userByToken(token: string): UserRec | undefined {
    if (!token) return undefined;
    for (const u of this.users.values()) if (u.token === token) return u;
    return undefined;
  }

  newProjectId(): number {
    return this.nextProjectId++;
  }

  projectByPath(path: string): ProjectRec | undefined {
    for (const p of this.projects.values()) if (p.path === path) return p;
    return undefined;
  }

  /** By numeric id or by full path, the two ways the API names a project. */
  projectByRef(ref: string): ProjectRec | undefined {
    return /^\d+$/.test(ref) ? this.projects.get(Number(ref)) : this.projectByPath(ref);
  }

  requireProject(path: string): ProjectRec {
    const p = this.projectByPath(path);
    if (!p) throw new Error(`unknown project ${path}`);
    return p;
  }

  mrsOf(projectId: number): MrRec[] {
    return this.mrs.filter((m) => m.projectId === projectId);
  }

  mr(projectId: number, iid: number): MrRec | undefined {
    return this.mrs.find((m) => m.projectId === projectId && m.iid === iid);
  }

  requireMr(projectId: number, iid: number): MrRec {
    const mr = this.mr(projectId, iid);
    if (!mr) throw new Error(`unknown merge request !${iid}`);
    return mr;
  }

  newMrId(): number {
    return this.nextMrId++;
  }

  newNote(fields: Omit<NoteRec, 'id'>): NoteRec {
    return { id: this.nextNoteId++, ...fields };
  }

  /** The project's label with this title, created (GitLab's default color) when missing. */
  label(p: ProjectRec, title: string): LabelRec {
    let l = p.labels.get(title);
    if (!l) {
      l = { id: this.nextLabelId++, title, color: '#6699cc', description: null, createdAt: now() };
      p.labels.set(title, l);
    }
    return l;
  }

  /** Approval rule records for these rules (unknown usernames throw). */
  approvalRules(rules: ApprovalRule[]): ApprovalRuleRec[] {
    return rules.map((r) => ({
      id: this.nextApprovalRuleId++,
      name: r.name,
      approvalsRequired: r.approvalsRequired,
      eligibleIds: [...new Set(r.eligible.map((u) => this.requireUser(u).id))],
    }));
  }

  newPipelineId(): number {
    return this.nextPipelineId++;
  }

  pipelinesOf(projectId: number): PipelineRec[] {
    return this.pipelines.filter((p) => p.projectId === projectId);
  }

  /** All notes of an MR in creation order (the notes API lists thread replies too). */
  notesOf(mr: MrRec): NoteRec[] {
    return mr.discussions.flatMap((d) => d.notes).sort((a, b) => a.id - b.id);
  }
}
