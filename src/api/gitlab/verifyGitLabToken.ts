import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * GitLab sends the configured secret as is in `X-Gitlab-Token`. Compared in constant time so the
 * answer's timing tells an attacker nothing about how much of a guess was right.
 */
export function verifyGitLabToken(expected: string, received: string | undefined): boolean {
  if (received === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Refuses (401) a request whose `X-Gitlab-Token` is not the secret, or any request when no secret
 * is configured. It looks at headers only, so it goes before the body parser: an unauthenticated
 * sender never gets its body read, buffered or parsed.
 */
export function requireGitLabToken(secret: string | undefined): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!secret) {
      res.status(401).json({
        error:
          'GitLab webhooks are refused: no webhook secret is configured. Set SHEPHERD_GITLAB_WEBHOOK_SECRET or gitlab-webhook-secret-file, and the same secret token in the GitLab webhook.',
      });
      return;
    }
    if (!verifyGitLabToken(secret, req.get('X-Gitlab-Token'))) {
      res.status(401).json({ error: 'X-Gitlab-Token is missing or does not match the configured webhook secret.' });
      return;
    }
    next();
  };
}
