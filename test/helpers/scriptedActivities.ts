import { mergeQueueSettings, type MergeQueueSettings } from '../../src/activities';
import type { ForgeActivities, GitActivities, RebaseResult } from '../../src/activities/types';
import type { Approvals, MergeRequest, MergeResult, Pipeline } from '../../src/domain/types';
import { aMergeRequest, approved } from './mergeRequests';

/**
 * Activities for workflow tests: an in-memory merge request whose behaviour each test scripts.
 * Records what the workflow did, the way a person would see it on the MR.
 */
export interface Script {
  mr: MergeRequest;
  approvals: Approvals;
  /** Successive answers of the rebase; the last one repeats. */
  rebases: RebaseResult[];
  /** Pipeline per pushed SHA, as the forge would answer. */
  pipelines: Map<string, Pipeline>;
  /** Successive answers for the target head; the last one repeats. */
  targetHeads: string[];
  merges: MergeResult[];
  comments: { key: string; body: string }[];
  unassigned: number;
  rebaseCalls: number;
  mergeCalls: number;
  ciCalls: number;
  reapproved: string[][];
  rebaseArgs: Parameters<GitActivities['rebaseMergeRequest']>[0][];
  /** Who may ask the bot (default: everyone). */
  mayRequest: Record<string, boolean>;
  /** Who may merge into the target branch (default: everyone). */
  mayMerge: Record<string, boolean>;
  /** Counts forge reads of the MR, so each hand-back makes a newer updatedAt. */
  clock: number;
}

export function newScript(over: Partial<Script> = {}): Script {
  return {
    mr: aMergeRequest(),
    approvals: approved(),
    rebases: [{ kind: 'pushed', sha: 'rebased1', targetSha: 'target1' }],
    pipelines: new Map(),
    targetHeads: ['target1'],
    merges: [{ kind: 'merged' }],
    comments: [],
    unassigned: 0,
    rebaseCalls: 0,
    mergeCalls: 0,
    ciCalls: 0,
    reapproved: [],
    rebaseArgs: [],
    mayRequest: {},
    mayMerge: {},
    clock: 0,
    ...over,
  };
}

function nth<T>(list: T[], i: number): T {
  return list[Math.min(i, list.length - 1)];
}

/** Changes the scripted MR as a person would on the forge: it gets a newer updatedAt. */
export function personChanges(s: Script, change: Partial<MergeRequest>): void {
  s.clock++;
  s.mr = { ...s.mr, ...change, updatedAt: new Date(Date.parse('2026-11-05T00:00:00Z') + s.clock * 1000).toISOString() };
}

export type ScriptOptions = Partial<MergeQueueSettings> & { botName?: string };
export type ScriptedActivities = ForgeActivities & GitActivities;

export function scriptedActivities(s: Script, opts: ScriptOptions = {}): ScriptedActivities {
  let heads = 0;
  return {
    async settingsFor() {
      return { ...mergeQueueSettings(opts), botUsername: 'shepherd-bot', botName: opts.botName ?? 'Shepherd' };
    },
    async getMergeRequest() {
      return { ...s.mr };
    },
    async loadMergeRequest() {
      return { mr: { ...s.mr }, approvals: s.approvals };
    },
    async rebaseMergeRequest(args) {
      s.rebaseArgs.push(args);
      const out = nth(s.rebases, s.rebaseCalls++);
      if (out.kind === 'pushed' || out.kind === 'up-to-date') s.mr = { ...s.mr, headSha: out.sha };
      return out;
    },
    async rebaseRemotely() {
      const out = nth(s.rebases, s.rebaseCalls++);
      if (out.kind === 'pushed' || out.kind === 'up-to-date') s.mr = { ...s.mr, headSha: out.sha };
      return out;
    },
    async reapprove({ usernames }) {
      s.reapproved.push(usernames);
      return 'approved';
    },
    async mayRequest({ username }) {
      return s.mayRequest[username] ?? true;
    },
    async mayMerge({ username }) {
      return s.mayMerge[username] ?? true;
    },
    async ciStatus({ sha }) {
      s.ciCalls++;
      return { pipeline: s.pipelines.get(sha) ?? null };
    },
    async branchHead({ branch }) {
      if (branch === s.mr.sourceBranch) return s.mr.headSha;
      return nth(s.targetHeads, heads++);
    },
    async merge() {
      const out = nth(s.merges, s.mergeCalls++);
      if (out.kind === 'merged') s.mr = { ...s.mr, state: 'merged' };
      return out;
    },
    async commentOnce({ key, body }) {
      if (!s.comments.some((c) => c.key === key)) s.comments.push({ key, body });
    },
    async unassignBot() {
      s.unassigned++;
      s.clock++;
      s.mr = {
        ...s.mr,
        assignees: s.mr.assignees.filter((u) => u !== 'shepherd-bot'),
        updatedAt: new Date(Date.parse('2026-11-05T00:00:00Z') + s.clock * 1000).toISOString(),
      };
      return { updatedAt: s.mr.updatedAt };
    },
    async noLongerRequested({ entries }) {
      return s.mr.state === 'opened' ? [] : entries.map((e) => e.iid);
    },
  };
}

export function pipeline(sha: string, status: Pipeline['status'], id = 7): Pipeline {
  return { id, sha, ref: 'feature', status, webUrl: `http://gitlab.test/group/app/-/pipelines/${id}` };
}

/** Several scripted merge requests behind one set of activities, chosen by iid. */
export function scriptedActivitiesByIid(scripts: Map<number, Script>, opts: ScriptOptions = {}): ScriptedActivities {
  const per = new Map([...scripts].map(([iid, s]) => [iid, scriptedActivities(s, opts)] as const));
  const pick = (iid: number): ScriptedActivities => {
    const acts = per.get(iid);
    if (!acts) throw new Error(`no script for !${iid}`);
    return acts;
  };
  const any = per.values().next().value as ScriptedActivities;
  return {
    settingsFor: (a) => any.settingsFor(a),
    getMergeRequest: (ref) => pick(ref.iid).getMergeRequest(ref),
    loadMergeRequest: (ref) => pick(ref.iid).loadMergeRequest(ref),
    rebaseMergeRequest: (a) => pick(a.ref.iid).rebaseMergeRequest(a),
    rebaseRemotely: (a) => pick(a.ref.iid).rebaseRemotely(a),
    reapprove: (a) => pick(a.ref.iid).reapprove(a),
    mayRequest: (a) => pick(a.ref.iid).mayRequest(a),
    mayMerge: (a) => pick(a.ref.iid).mayMerge(a),
    ciStatus: (a) => pick(a.ref.iid).ciStatus(a),
    branchHead: (a) => pick(a.ref.iid).branchHead(a),
    merge: (a) => pick(a.ref.iid).merge(a),
    commentOnce: (a) => pick(a.ref.iid).commentOnce(a),
    unassignBot: (a) => pick(a.ref.iid).unassignBot(a),
    async noLongerRequested(a) {
      const gone: number[] = [];
      for (const e of a.entries) gone.push(...(await pick(e.iid).noLongerRequested({ ...a, entries: [e] })));
      return gone;
    },
  };
}

/** Comments other than the progress notes ("Merging now", "Merged"): the refusals and waits. */
export function explanations(s: Script): { key: string; body: string }[] {
  return s.comments.filter((c) => !/:(started|merged)$/.test(c.key));
}
