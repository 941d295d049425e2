import { Context } from '@temporalio/activity';
import { commentMarker, withMarker } from '../domain/comments';
import { ForgeError } from '../forges/forge';
import { guarded, type ActivityDeps, type Forges } from './deps';
import type { ForgeActivities, WorkerSettings } from './types';

/** How long reapprove waits for the forge to see the bot's push as the MR's head. */
const HEAD_CATCH_UP_MS = 60_000;

export function createForgeActivities(deps: ActivityDeps, forges: Forges): ForgeActivities {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const isRequestedByForge = (mr: { assignees: string[]; labels: string[] }, bot: string): boolean =>
    mr.assignees.includes(bot) || (deps.settings.mergeLabel !== undefined && mr.labels.includes(deps.settings.mergeLabel));

  return {
    settingsFor: ({ forge }) =>
      guarded(async (): Promise<WorkerSettings> => {
        const bot = await forges.bot(forge);
        return { ...deps.settings, botUsername: bot.username, botName: deps.settings.botName ?? bot.name };
      }),

    getMergeRequest: (ref) => guarded(() => forges.of(ref.forge).getMergeRequest(ref.project, ref.iid)),

    loadMergeRequest: (ref) =>
      guarded(async () => {
        const forge = forges.of(ref.forge);
        // Right after a push the forge updates the MR's head asynchronously: a view whose head is
        // not the branch's yet would make the bot's own rebase look like someone else's push.
        const started = Date.now();
        for (;;) {
          const [mr, approvals] = await Promise.all([forge.getMergeRequest(ref.project, ref.iid), forge.getApprovals(ref.project, ref.iid)]);
          if (mr.state !== 'opened' || Date.now() - started > HEAD_CATCH_UP_MS) return { mr, approvals };
          const head = await forge.branchHead(mr.sourceProject, mr.sourceBranch);
          if (head === null || head === mr.headSha) return { mr, approvals };
          Context.current().heartbeat();
          await sleep(500);
        }
      }),

    ciStatus: ({ ref, sha }) =>
      guarded(async () => {
        const forge = forges.of(ref.forge);
        const [exact] = await forge.pipelinesForSha(ref.project, sha);
        const mr = await forge.getMergeRequest(ref.project, ref.iid);
        const head = mr.headPipeline;
        // A merged-results pipeline tests a merge commit of `sha` into the target: another SHA,
        // on the MR's merge ref. A commit pushed on top of `sha` is not that.
        if (mr.headSha === sha && head && head.sha !== sha && /\/merge$/.test(head.ref) && (!exact || head.id > exact.id)) {
          const parents = await forge.commitParents(ref.project, head.sha);
          if (parents.length === 2 && parents.includes(sha)) return { pipeline: head };
        }
        return { pipeline: exact ?? null };
      }),

    branchHead: ({ ref, branch, project }) => guarded(async () => (await forges.of(ref.forge).branchHead(project ?? ref.project, branch)) ?? null),

    merge: ({ ref, sha }) =>
      guarded(async () => {
        const forge = forges.of(ref.forge);
        // Retried after a merge that went through: it is done, do not try again.
        const mr = await forge.getMergeRequest(ref.project, ref.iid);
        if (mr.state === 'merged') return { kind: 'merged' as const };
        return forge.merge(ref.project, ref.iid, sha);
      }),

    commentOnce: ({ ref, key, body }) =>
      guarded(async () => {
        const forge = forges.of(ref.forge);
        const bot = await forges.bot(ref.forge);
        const marker = commentMarker(key);
        const notes = await forge.listNotes(ref.project, ref.iid);
        // Only the bot's own notes count: someone quoting the marker must not silence it.
        if (notes.some((n) => n.authorUsername === bot.username && n.body.includes(marker))) return;
        await forge.createNote(ref.project, ref.iid, withMarker(key, body));
      }),

    unassignBot: ({ ref }) =>
      guarded(async () => {
        const forge = forges.of(ref.forge);
        const bot = await forges.bot(ref.forge);
        let mr = await forge.getMergeRequest(ref.project, ref.iid);
        // Handing back means taking off whatever asked for the merge: the bot and the merge label.
        const label = deps.settings.mergeLabel;
        let changed = false;
        if (label && mr.labels.includes(label)) {
          await forge.removeLabel(ref.project, ref.iid, label);
          changed = true;
        }
        if (mr.assignees.includes(bot.username)) {
          await forge.setAssignees(
            ref.project,
            ref.iid,
            mr.assignees.filter((u) => u !== bot.username),
          );
          changed = true;
        }
        if (changed) mr = await forge.getMergeRequest(ref.project, ref.iid);
        return { updatedAt: mr.updatedAt };
      }),

    mayRequest: ({ ref, username }) => guarded(() => forges.of(ref.forge).mayRequest(ref.project, username)),

    mayMerge: ({ ref, username, branch }) => guarded(() => forges.of(ref.forge).mayMerge(ref.project, username, branch)),

    reapprove: ({ ref, usernames, sha }) =>
      guarded(async () => {
        const forge = forges.of(ref.forge);
        const ctx = Context.current();
        for (const username of usernames) {
          const started = Date.now();
          for (;;) {
            try {
              await forge.approveAs(ref.project, ref.iid, username, sha);
              break;
            } catch (err) {
              if (!(err instanceof ForgeError) || err.status !== 409) throw err;
            }
            // 409: the MR's head is not `sha`. Right after a push that is the forge catching up;
            // if the branch itself has moved on, someone else pushed.
            const mr = await forge.getMergeRequest(ref.project, ref.iid);
            const head = await forge.branchHead(mr.sourceProject, mr.sourceBranch);
            if (head !== sha) return 'head-moved' as const;
            if (Date.now() - started > HEAD_CATCH_UP_MS) throw new Error(`the forge still does not show ${sha} as the head of !${ref.iid}`);
            ctx.heartbeat();
            await sleep(500);
          }
        }
        return 'approved' as const;
      }),

    noLongerRequested: ({ forge: kind, project, targetBranch, entries }) =>
      guarded(async () => {
        const forge = forges.of(kind);
        const bot = await forges.bot(kind);
        const gone: number[] = [];
        for (const { iid, trigger } of entries) {
          const mr = await forge.getMergeRequest(project, iid).catch((err: unknown) => {
            if (err instanceof ForgeError && err.kind === 'not-found') return undefined; // deleted
            throw err;
          });
          if (!mr) {
            gone.push(iid);
            continue;
          }
          // A `merge` command is a request the forge does not show; only state and target say otherwise.
          const asked = trigger.kind === 'command' || isRequestedByForge(mr, bot.username);
          if (mr.state !== 'opened' || mr.targetBranch !== targetBranch || !asked) gone.push(iid);
        }
        return gone;
      }),
  };
}
