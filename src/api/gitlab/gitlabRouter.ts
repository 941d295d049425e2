import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { EventSink } from '../eventSink';
import { normaliseGitLabHook } from './normaliseGitLabHook';
import { verifyGitLabToken } from './verifyGitLabToken';

export interface GitLabRouterOptions {
  /** Undefined when not configured: then every hook is refused, never trusted. */
  webhookSecret: string | undefined;
  sink: EventSink;
  log?: (line: string) => void;
}

/** `POST /webhooks/gitlab`: verify, validate, normalise, hand over; answer fast (GitLab waits 10 s). */
export function gitlabRouter(opts: GitLabRouterOptions): Router {
  const router = express.Router();
  router.post('/', express.json({ limit: '5mb' }), async (req: Request, res: Response) => {
    if (!opts.webhookSecret) {
      res.status(401).json({
        error:
          'GitLab webhooks are refused: no webhook secret is configured. Set SHEPHERD_GITLAB_WEBHOOK_SECRET or gitlab-webhook-secret-file, and the same secret token in the GitLab webhook.',
      });
      return;
    }
    if (!verifyGitLabToken(opts.webhookSecret, req.get('X-Gitlab-Token'))) {
      res.status(401).json({ error: 'X-Gitlab-Token is missing or does not match the configured webhook secret.' });
      return;
    }
    const eventName = req.get('X-Gitlab-Event');
    if (!eventName) {
      res.status(400).json({ error: 'X-Gitlab-Event header is missing: is this a GitLab webhook?' });
      return;
    }
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
  });
  return router;
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
