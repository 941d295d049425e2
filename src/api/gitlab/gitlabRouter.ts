import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { EventSink } from '../eventSink';
import { normaliseGitLabHook } from './normaliseGitLabHook';
import { requireGitLabToken } from './verifyGitLabToken';

export interface GitLabRouterOptions {
  /** Undefined when not configured: then every hook is refused, never trusted. */
  webhookSecret: string | undefined;
  sink: EventSink;
  /** Largest body read (webhook-max-body); a larger one gets 413 and starts nothing. */
  maxBodyBytes: number;
  log?: (line: string) => void;
}

/**
 * `POST /webhooks/gitlab`: verify, validate, normalise, hand over; answer fast (GitLab waits 10 s).
 * Everything that needs only headers (the token, the event name) is checked before the body is
 * read, so a stranger's request costs no parsing and no memory.
 */
export function gitlabRouter(opts: GitLabRouterOptions): Router {
  const router = express.Router();
  router.post(
    '/',
    requireGitLabToken(opts.webhookSecret),
    (req: Request, res: Response, next: NextFunction) => {
      if (req.get('X-Gitlab-Event')) return next();
      res.status(400).json({ error: 'X-Gitlab-Event header is missing: is this a GitLab webhook?' });
    },
    express.json({ limit: opts.maxBodyBytes }),
    async (req: Request, res: Response) => {
      const eventName = req.get('X-Gitlab-Event') ?? '';
      if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
        res.status(400).json({ error: 'the body must be a JSON object (Content-Type: application/json)' });
        return;
      }
      const normalised = normaliseGitLabHook(eventName, req.body, eventIdOf(req));
      if (normalised.kind === 'invalid') {
        res.status(400).json({ error: `invalid ${eventName}: ${normalised.reason}` });
        return;
      }
      if (normalised.kind === 'ignored') {
        res.status(202).json({ status: 'ignored', reason: normalised.reason });
        return;
      }
      try {
        const result = await opts.sink.deliver(normalised.event);
        res.status(202).json(result);
      } catch (err) {
        opts.log?.(`could not hand ${eventName} to Temporal: ${err instanceof Error ? err.message : String(err)}`);
        // 503 makes GitLab retry later instead of losing the event.
        res.status(503).json({ error: 'Shepherd cannot reach Temporal right now; GitLab will retry this hook.' });
      }
    },
  );
  // Body errors (too large, malformed JSON, unsupported encoding): say what is wrong, start nothing.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || !isBodyError(err)) return next(err);
    if (err.type === 'entity.too.large') {
      const what = `a ${req.get('X-Gitlab-Event') ?? 'GitLab hook'}`;
      const limit = `webhook-max-body (${opts.maxBodyBytes} bytes)`;
      // Operators need to hear of this: GitLab does not retry a 4xx, so the event is lost.
      opts.log?.(`refused ${what} larger than ${limit}; raise webhook-max-body if GitLab's hooks are that big`);
      res.status(413).json({ error: `the body is larger than ${limit}; nothing was started. Raise webhook-max-body if hooks are this big.` });
      return;
    }
    res.status(err.status).json({ error: `bad request: ${err.message}` });
  });
  return router;
}

/** The errors body-parser raises: a 4xx status and a `type` such as 'entity.too.large'. */
function isBodyError(err: unknown): err is Error & { status: number; type: string } {
  if (!(err instanceof Error)) return false;
  const { status, type } = err as { status?: unknown; type?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string';
}

/**
 * Identifies one delivery across GitLab's retries: `Idempotency-Key` where GitLab sends it, else a
 * hash of the event, which is the same bytes on a redelivery.
 */
function eventIdOf(req: Request): string {
  const key = req.get('Idempotency-Key');
  if (key) return `gitlab:${key}`;
  const hash = createHash('sha256').update(req.get('X-Gitlab-Event') ?? '').update(JSON.stringify(req.body)).digest('hex');
  return `gitlab:sha256:${hash.slice(0, 32)}`;
}
