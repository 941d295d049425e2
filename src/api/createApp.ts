import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { EventSink } from './eventSink';
import { gitlabRouter } from './gitlab/gitlabRouter';

/** The default of webhook-max-body: GitLab's hooks are a few KiB; 1 MiB leaves room for long descriptions. */
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

export interface AppDeps {
  sink: EventSink;
  gitlabWebhookSecret: string | undefined;
  /**
   * Largest webhook body in bytes (the webhook-max-body option, `ShepherdConfig.webhookMaxBodyBytes`);
   * larger bodies get 413 and start nothing. Default DEFAULT_WEBHOOK_MAX_BODY_BYTES (1 MiB).
   */
  webhookMaxBodyBytes?: number;
  log?: (line: string) => void;
}

/** The webhook API: stateless, it verifies and forwards; it never calls a forge itself. */
export function createApp(deps: AppDeps): Express {
  const maxBodyBytes = deps.webhookMaxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new RangeError(`webhookMaxBodyBytes must be a whole number of bytes above 0, not ${String(maxBodyBytes)}`);
  }
  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/webhooks/gitlab',
    gitlabRouter({ webhookSecret: deps.gitlabWebhookSecret, sink: deps.sink, maxBodyBytes, log: deps.log }),
  );
  app.get('/healthz', async (_req, res) => {
    try {
      await deps.sink.health();
      res.json({ status: 'ok' });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', error: `Temporal is not reachable: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  // Anything a router did not answer itself: say what is wrong, start nothing.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status ?? 500;
    const message = err instanceof Error ? err.message : 'internal error';
    res.status(status >= 400 && status < 600 ? status : 500).json({ error: status < 500 ? `bad request: ${message}` : 'internal error' });
  });
  return app;
}
