import { mergeQueueSettings, type MergeQueueSettings } from '../../src/activities/mergeQueue';
import type { MergeQueueActivities } from '../../src/activities/types';
import type { RebaseResult } from '../../src/activities/types';
import type { Approvals, MergeAttemptResult, MergeRequest, Pipeline } from '../../src/domain/types';
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
  /** Pipeline per pushed SHA, as the forge would answer a poll. */
  pipelines: Map<string, Pipeline>;
  /** Successive answers for the target head; the last one repeats. */
  targetHeads: string[];
  merges: MergeAttemptResult[];
  comments: { key: string; body: string }[];
  unassigned: number;
  rebaseCalls: number;
  mergeCalls: number;
  enqueued: { iid: number; attempt: number }[];
  reapproved: string[][];
  rebaseArgs: Parameters<MergeQueueActivities['rebaseMergeRequest']>[0][];
  /** Access level per username for comment commands (default Developer). */
  accessLevels: Record<string, number>;
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
    enqueued: [],
    reapproved: [],
    rebaseArgs: [],
    accessLevels: {},
    ...over,
  };
}

function nth<T>(list: T[], i: number): T {
  return list[Math.min(i, list.length - 1)];
}

export type ScriptOptions = Partial<MergeQueueSettings>;

export function scriptedActivities(s: Script, opts: ScriptOptions = {}): MergeQueueActivities {
  let heads = 0;
  return {
    async workerSettings() {
      return { ...mergeQueueSettings(opts), botUsername: 'shepherd-bot', botName: opts.botName ?? 'Shepherd' };
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
    },
    async accessLevel({ username }) {
      return s.accessLevels[username] ?? 30;
    },
    async latestPipeline({ sha }) {
      return s.pipelines.get(sha) ?? null;
    },
    async branchHead() {
      return nth(s.targetHeads, heads++);
    },
    async mergeMergeRequest() {
      const out = nth(s.merges, s.mergeCalls++);
      if (out.kind === 'merged') s.mr = { ...s.mr, state: 'merged' };
      return out;
    },
    async commentOnce({ key, body }) {
      if (!s.comments.some((c) => c.key === key)) s.comments.push({ key, body });
    },
    async unassignBot() {
      s.unassigned++;
      s.mr = { ...s.mr, assignees: s.mr.assignees.filter((u) => u !== 'shepherd-bot') };
    },
    async enqueueMergeRequest({ ref, entry }) {
      s.enqueued.push({ iid: ref.iid, attempt: entry.attempt });
      return { position: s.enqueued.length };
    },
  };
}

export function pipeline(sha: string, status: Pipeline['status'], id = 7): Pipeline {
  return { id, sha, ref: 'feature', status, webUrl: `http://gitlab.test/group/app/-/pipelines/${id}` };
}

/** Several scripted merge requests behind one set of activities, chosen by iid. */
export function scriptedActivitiesByIid(
  scripts: Map<number, Script>,
  opts: ScriptOptions = {},
): MergeQueueActivities {
  const per = new Map([...scripts].map(([iid, s]) => [iid, scriptedActivities(s, opts)] as const));
  const pick = (iid: number): MergeQueueActivities => {
    const acts = per.get(iid);
    if (!acts) throw new Error(`no script for !${iid}`);
    return acts;
  };
  const any = per.values().next().value as MergeQueueActivities;
  return {
    workerSettings: () => any.workerSettings(),
    loadMergeRequest: (ref) => pick(ref.iid).loadMergeRequest(ref),
    rebaseMergeRequest: (a) => pick(a.ref.iid).rebaseMergeRequest(a),
    rebaseRemotely: (a) => pick(a.ref.iid).rebaseRemotely(a),
    reapprove: (a) => pick(a.ref.iid).reapprove(a),
    accessLevel: (a) => pick(a.ref.iid).accessLevel(a),
    latestPipeline: (a) => pick(a.ref.iid).latestPipeline(a),
    branchHead: (a) => pick(a.ref.iid).branchHead(a),
    mergeMergeRequest: (a) => pick(a.ref.iid).mergeMergeRequest(a),
    commentOnce: (a) => pick(a.ref.iid).commentOnce(a),
    unassignBot: (a) => pick(a.ref.iid).unassignBot(a),
    enqueueMergeRequest: (a) => pick(a.ref.iid).enqueueMergeRequest(a),
  };
}

/** Comments other than the progress notes ("Merging now", "Merged"): the refusals and waits. */
export function explanations(s: Script): { key: string; body: string }[] {
  return s.comments.filter((c) => !/:(started|merged)$/.test(c.key));
}
