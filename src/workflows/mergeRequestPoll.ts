import { continueAsNew, sleep } from '@temporalio/workflow';
import type { ForgeKind } from '../domain/types';
import { poll } from './activities';

export interface MergeRequestPollInput {
  forge: ForgeKind;
}

/** Rounds per run: each is an activity and a timer, so a run's history stays around a thousand events. */
const ROUNDS_PER_RUN = 100;

/**
 * The fallback for lost hooks: every merge-request-poll-interval, the MRs that ask the bot are
 * listed and those whose workflow is not queued are told to look (webhooks stay the fast path).
 * Ends when polling is turned off; the worker starts it again when it is turned on.
 */
export async function mergeRequestPollWorkflow(input: MergeRequestPollInput): Promise<void> {
  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    const { nextInMs } = await poll.lookForLostRequests({ forge: input.forge });
    if (nextInMs <= 0) return;
    await sleep(nextInMs);
  }
  await continueAsNew<typeof mergeRequestPollWorkflow>(input);
}
