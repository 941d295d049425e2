import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { TrainSettings } from '../domain/mergeTrain';
import type { ForgeKind } from '../domain/types';
import { ForgeError, type Forge, type ForgeErrorKind } from '../forges/forge';
import type { GitWorkspace } from '../git/workspace';
import type { AdminMailer } from '../notify/adminMail';
import type { WorkerSettings } from './types';

/** The merge-queue part of the worker's configuration (everything but the bot's identity). */
export type MergeQueueSettings = Omit<WorkerSettings, 'botUsername' | 'botName'> & {
  botName?: string;
  /** Events after which a queue continues as new (Temporal's own suggestion otherwise); for tests. */
  queueHistoryLimit?: number;
};

export interface ActivityDeps {
  /** Configured forges; a merge request of a forge that is not configured fails with a clear reason. */
  forges: Partial<Record<ForgeKind, Forge>>;
  git: GitWorkspace;
  /** Clone URL with credentials, built in the worker so the token never enters Temporal. */
  authenticatedCloneUrl(forge: ForgeKind, project: string): Promise<string>;
  temporal: Client;
  taskQueue: string;
  settings: MergeQueueSettings;
  /**
   * The queue mode of a project's target branch (queue-mode and its overrides); absent: serial.
   * Read when a queue starts: a running queue keeps its mode until it has emptied and ended.
   */
  queueSettings?: (project: string, targetBranch: string) => TrainSettings;
  /** Mail to admin-email over smtp-url, when configured. */
  adminMailer?: AdminMailer;
}

/** Defaults for everything marge-bot users may leave unset; tests override what they need. */
export function mergeQueueSettings(over: Partial<MergeQueueSettings> = {}): MergeQueueSettings {
  return {
    ciTimeoutMs: 15 * 60_000,
    ciPollIntervalMs: 30_000,
    embargo: '',
    addTested: false,
    addPartOf: false,
    addReviewers: false,
    useMergeStrategy: false,
    rebaseRemotely: false,
    impersonateApprovers: false,
    approvalResetTimeoutMs: 0,
    scope: { projectRegexp: '.*', branchRegexp: '.*', sourceBranchRegexp: '.*' },
    mergeOrder: 'created_at',
    requireMergePermission: false,
    queueCheckIntervalMs: 10 * 60_000,
    mergeRequestPollIntervalMs: 2 * 60_000,
    ...over,
  };
}

const FAILURE_TYPES: Record<ForgeErrorKind, string> = {
  'not-found': 'ForgeNotFound',
  forbidden: 'ForgeForbidden',
  unauthorized: 'ForgeUnauthorized',
  invalid: 'ForgeInvalidRequest',
  'head-moved': 'ForgeHeadMoved',
};

/**
 * Expected failures are final: retrying a 404 or a 403 only delays the comment that explains it.
 * Everything else (5xx, 429, timeouts, connection errors) is thrown as is and retried.
 */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ForgeError && err.kind in FAILURE_TYPES) {
      throw ApplicationFailure.nonRetryable(err.message, FAILURE_TYPES[err.kind]);
    }
    throw err;
  }
}

/** The forges and the bot's identity on each, shared by the activity groups of one worker. */
export class Forges {
  private readonly bots = new Map<ForgeKind, Promise<{ username: string; name: string }>>();

  constructor(private readonly forges: Partial<Record<ForgeKind, Forge>>) {}

  of(kind: ForgeKind): Forge {
    const forge = this.forges[kind];
    if (!forge) {
      throw ApplicationFailure.nonRetryable(
        `Shepherd has no ${kind} configured (set ${kind}-url and auth-token / auth-token-file)`,
        'ForgeNotConfigured',
      );
    }
    return forge;
  }

  /** The bot on this forge: whoever the forge's configured token belongs to. */
  bot(kind: ForgeKind): Promise<{ username: string; name: string }> {
    let bot = this.bots.get(kind);
    if (!bot) {
      bot = this.of(kind).currentUser();
      this.bots.set(kind, bot);
      bot.catch(() => this.bots.delete(kind));
    }
    return bot;
  }
}
