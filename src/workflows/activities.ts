import type { Duration } from '@temporalio/common';
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { BackportActivities, ForgeActivities, GitActivities, QueueActivities, PollActivities, TrainActivities } from '../activities/types';

// Each activity group proxied once, with timeouts that fit what it touches. No attempt limit:
// a forge or git outage delays the merge, it never fails it. Expected failures (404, 403, a bad
// request) are thrown non-retryable by the activities themselves.

const forever = (maximumInterval: Duration): ActivityOptions['retry'] => ({
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval,
});

/** One forge call or a few: the client's own timeout (30 s) keeps an attempt inside this. */
export const forge = proxyActivities<ForgeActivities>({
  startToCloseTimeout: '2 minutes',
  retry: forever('1 minute'),
});

/** Clone, rebase, push: long, so it heartbeats and a lost worker is noticed within a minute. */
export const git = proxyActivities<GitActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: forever('2 minutes'),
});

/** Temporal itself (update-with-start of a queue, describing jobs). */
export const queue = proxyActivities<QueueActivities>({
  startToCloseTimeout: '1 minute',
  retry: forever('30 seconds'),
});

/** Listing the bot's merge requests and looking at each: heartbeats per MR. */
export const poll = proxyActivities<PollActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: forever('1 minute'),
});

/** Batches and trains: building states and landing them is git work (heartbeats); the rest is quick. */
export const train = proxyActivities<TrainActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: forever('1 minute'),
});

/** Backports: reading what landed, cherry-picking (git work, heartbeats), opening the MR. */
export const backport = proxyActivities<BackportActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: forever('2 minutes'),
});
