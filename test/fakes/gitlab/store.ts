// In-memory records of the fake GitLab. Git data (branches, commits) is NOT kept here: the bare
// repositories are the truth for that, so a real `git push` and the API always agree.
import crypto from 'node:crypto';
import {
  ACCESS_LEVEL,
  type AddUserOptions,
  type ApprovalRule,
  type BranchAccess,
  type FakePipelineStatus,
  type MergeMethod,
  type MergeRequestState,
  type PipelineKind,
  type PipelineMode,
  type ProtectedBranchOptions,
  type PushRule,
  type Visibility,
} from './types';

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

/** One entry of a protected branch's push_access_levels / merge_access_levels. */
export interface AccessRec {
  id: number;
  /** Role-based entries: 0 no one, 30 developers, 40 maintainers, 60 admins; null otherwise. */
  accessLevel: number | null;
  userId: number | null;
  groupId: number | null;
}

export interface ProtectedBranchRec {
  id: number;
  /** A branch name or a wildcard such as `release/*`. */
  name: string;
  push: AccessRec[];
  merge: AccessRec[];
  allowForcePush: boolean;
}

export interface GroupRec {
  id: number;
  path: string;
  name: string;
  /** userId → access level in the group */
  members: Map<number, number>;
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
  visibility: Visibility;
  /** The project this is a fork of. */
  forkedFromId: number | null;
  pipelineMode: PipelineMode;
  approvalsRequired: number;
  /** When non-empty, replaces approvalsRequired. */
  approvalRules: ApprovalRuleRec[];
  mergeMethod: MergeMethod;
  /** GitLab's "automatic rebase before merge" (see AddProjectOptions.rebaseOnMerge). */
  rebaseOnMerge: boolean;
  protectedBranches: ProtectedBranchRec[];
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

/** A test's instruction for the next merge of an MR (failNextMerge / holdNextMerge). */
export type MergeInterference =
  | { kind: 'fail'; message: string; answer: 200 | 422 | undefined }
  | { kind: 'hold'; accepted: () => void; outcome: Promise<{ error: string | null }> };

export interface MrRec {
  id: number;
  iid: number;
  /** The target project, which the MR belongs to. */
  projectId: number;
  /** Where the source branch lives: projectId, or a fork's id. */
  sourceProjectId: number;
  allowCollaboration: boolean;
  /** Pushes to the source branch GitLab has not applied to the MR yet; > 0 means "checking". */
  pendingUpdates: number;
  /** Set by a test to make the next merge fail or wait; consumed by that merge. */
  nextMerge: MergeInterference | null;
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
  /**
   * The target head the MR was merged onto; its commits (GET .../commits) are the source head's
   * commits not in this one, as GitLab's last MR diff keeps them once the target contains them.
   */
  targetShaAtMerge: string | null;
}

export interface PipelineRec {
  id: number;
  iid: number;
  projectId: number;
  sha: string;
  beforeSha: string;
  ref: string;
  kind: PipelineKind;
  /** The MR of a merge request / merged results pipeline (in its target project). */
  mrIid: number | null;
  mrProjectId: number | null;
  /** Merged results: the source head merged into targetSha to make `sha`. */
  sourceSha: string | null;
  targetSha: string | null;
  status: FakePipelineStatus;
  /** 1 when created; each retry that restarts failed or canceled jobs adds one. */
  runs: number;
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
  readonly groups = new Map<number, GroupRec>();
  // Distinct ranges make id/iid mix-ups in callers fail loudly instead of passing by luck.
  private nextUserId = 1;
  private nextProjectId = 1;
  private nextMrId = 1001;
  private nextNoteId = 5001;
  private nextPipelineId = 101;
  private nextLabelId = 201;
  private nextApprovalRuleId = 301;
  private nextGroupId = 401;
  private nextProtectedBranchId = 501;
  private nextAccessId = 601;

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

  /** Open MRs whose source branch is `branch` of project `sourceProjectId` (forks included). */
  openMrsFromBranch(sourceProjectId: number, branch: string): MrRec[] {
    return this.mrs.filter(
      (m) => m.state === 'opened' && m.sourceProjectId === sourceProjectId && m.sourceBranch === branch,
    );
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

  newGroupId(): number {
    return this.nextGroupId++;
  }

  groupByPath(path: string): GroupRec | undefined {
    for (const g of this.groups.values()) if (g.path === path) return g;
    return undefined;
  }

  /** Protected branch records for these options (unknown users and groups throw). */
  protectedBranchRules(rules: Array<string | ProtectedBranchOptions>): ProtectedBranchRec[] {
    const access = (list: BranchAccess[] | undefined): AccessRec[] =>
      (list ?? [{ role: 'maintainer' }]).map((a) => {
        const id = this.nextAccessId++;
        if ('user' in a) return { id, accessLevel: null, userId: this.requireUser(a.user).id, groupId: null };
        if ('group' in a) {
          const g = this.groupByPath(a.group);
          if (!g) throw new Error(`unknown group ${a.group}`);
          return { id, accessLevel: null, userId: null, groupId: g.id };
        }
        const level = { developer: ACCESS_LEVEL.developer, maintainer: ACCESS_LEVEL.maintainer, 'no one': 0, admin: 60 }[
          a.role
        ];
        return { id, accessLevel: level, userId: null, groupId: null };
      });
    return rules.map((r) => {
      const o: ProtectedBranchOptions = typeof r === 'string' ? { name: r } : r;
      return {
        id: this.nextProtectedBranchId++,
        name: o.name,
        push: access(o.push),
        merge: access(o.merge),
        allowForcePush: o.allowForcePush ?? false,
      };
    });
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
