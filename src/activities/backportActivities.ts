import { Context, log } from '@temporalio/activity';
import type { MergeAskedEvent } from '../domain/events';
import { mergeRequestWorkflowId } from '../domain/workflowIds';
import { MergeRequestExistsError } from '../forges/forge';
import { redactForMail } from '../notify/adminMail';
import { eventSignal } from '../temporal/messages';
import { mergeRequestSearchAttributes } from '../temporal/searchAttributeValues';
import { guarded, type ActivityDeps, type Forges } from './deps';
import type { BackportActivities } from './types';

/** The same clone as the merge queue's git work on this project. */
function projectKey(forge: string, project: string): string {
  return `${forge}/${project}`;
}

export function createBackportActivities(deps: ActivityDeps, forges: Forges): BackportActivities {
  return {
    landedChanges: ({ ref }) => guarded(() => forges.of(ref.forge).landedChanges(ref.project, ref.iid)),

    destinationHead: ({ forge, project, branch }) => guarded(async () => (await forges.of(forge).branchHead(project, branch)) ?? null),

    backportAndPush: ({ forge, project, destination, backportBranch, picks, onConflict }) =>
      guarded(async () => {
        const ctx = Context.current();
        const remoteUrl = await deps.authenticatedCloneUrl(forge, project);
        return deps.git.backportAndPush(
          { projectKey: projectKey(forge, project), remoteUrl, destinationBranch: destination, backportBranch, picks, onConflict },
          () => ctx.heartbeat(),
        );
      }),

    backportMergeRequests: ({ forge, project, backportBranch, destination }) =>
      guarded(() => forges.of(forge).mergeRequestsBetween(project, backportBranch, destination)),

    openBackportMergeRequest: ({ forge, project, mr }) =>
      guarded(async () => {
        const f = forges.of(forge);
        // Looked for first: a retry after the forge opened it, or an earlier run, finds it.
        const known = async () => (await f.mergeRequestsBetween(project, mr.sourceBranch, mr.targetBranch)).find((m) => m.state === 'opened' || m.state === 'merged');
        const before = await known();
        if (before) return { iid: before.iid, webUrl: before.webUrl, opened: false };
        try {
          return { ...(await f.openMergeRequest(project, mr)), opened: true };
        } catch (err) {
          if (!(err instanceof MergeRequestExistsError)) throw err;
          const meanwhile = await known();
          // Named but not listed yet: retried (a plain error), the next try finds it.
          if (!meanwhile) throw new Error(`an open merge request from ${mr.sourceBranch} into ${mr.targetBranch} exists but is not listed yet`);
          return { iid: meanwhile.iid, webUrl: meanwhile.webUrl, opened: false };
        }
      }),

    askToMerge: async ({ ref, by }) => {
      const mr = await guarded(() => forges.of(ref.forge).getMergeRequest(ref.project, ref.iid));
      // One id per backport MR: asked again (a retry), the MR's workflow recognises it.
      const event: MergeAskedEvent = { kind: 'merge-asked', eventId: `merge-asked:${ref.iid}`, ref, by };
      await deps.temporal.workflow.signalWithStart('mergeRequestWorkflow', {
        workflowId: mergeRequestWorkflowId(ref),
        taskQueue: deps.taskQueue,
        args: [{ ref }],
        signal: eventSignal,
        signalArgs: [event],
        typedSearchAttributes: mergeRequestSearchAttributes(ref, mr.targetBranch),
        memo: { title: mr.title, url: mr.webUrl },
      });
    },

    mailAdmin: async ({ key, ref, mergeRequestUrl, what, error }) => {
      // Scrubbed of anything shaped like a credential before it reaches the log, as before the mail.
      log.error(`${what} failed; not the merge request's fault`, { project: ref.project, iid: ref.iid, error: redactForMail(error, []) });
      if (!deps.adminMailer) return 'not-configured';
      await deps.adminMailer.send({
        key,
        subject: `Shepherd: ${what} of ${ref.project}!${ref.iid} keeps failing`,
        project: ref.project,
        iid: ref.iid,
        ...(mergeRequestUrl ? { mergeRequestUrl } : {}),
        what,
        error,
      });
      return 'sent';
    },
  };
}
