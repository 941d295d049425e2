// What every request to a fake forge API (Bitbucket, GitHub) goes through before its own logic:
// the request log, the configured latency and the failures a test asked for.
import type { NextFunction, Request, Response } from 'express';

export interface RequestRecord {
  method: string;
  /** Path and query as sent, e.g. `/2.0/repositories/team/api/commits?page=...`. */
  url: string;
  /** The answer's status (0 if the connection closed without one). */
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

export interface FailureOptions {
  /** Only requests with this method. */
  method?: string;
  /** Only requests whose path (without the query) matches; a string must be contained in it. */
  path?: string | RegExp;
  /** Seconds, sent as `Retry-After` (429 and 503 usually carry one). */
  retryAfter?: number;
}

interface Failure extends FailureOptions {
  status: number;
  /** Requests left to fail; Infinity for a lasting failure. */
  remaining: number;
}

/** Writes the body the forge sends with an injected failure. */
export type OutageWriter = (res: Response, status: number) => void;

export class RequestControls {
  readonly requests: RequestRecord[] = [];
  latencyMs = 0;
  private failures: Failure[] = [];

  constructor(private readonly outage: OutageWriter) {}

  /** The next `count` matching requests get `status` instead of an answer. */
  failNext(count: number, status: number, opts: FailureOptions = {}): void {
    this.failures.push({ ...opts, status, remaining: count });
  }

  /** Every matching request gets `status` until clearFailures(). */
  failAlways(status: number, opts: FailureOptions = {}): void {
    this.failures.push({ ...opts, status, remaining: Number.POSITIVE_INFINITY });
  }

  clearFailures(): void {
    this.failures = [];
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const record: RequestRecord = { method: req.method, url: req.originalUrl, status: 0, at: Date.now() };
      this.requests.push(record);
      res.on('finish', () => (record.status = res.statusCode));
      const answer = (): void => {
        const f = this.failures.find((x) => matches(x, req));
        if (!f) return next();
        if (--f.remaining <= 0) this.failures.splice(this.failures.indexOf(f), 1);
        if (f.retryAfter !== undefined) res.set('Retry-After', String(f.retryAfter));
        this.outage(res, f.status);
      };
      if (this.latencyMs > 0) setTimeout(answer, this.latencyMs);
      else answer();
    };
  }
}

function matches(f: Failure, req: Request): boolean {
  if (f.method && f.method.toUpperCase() !== req.method) return false;
  if (f.path === undefined) return true;
  return typeof f.path === 'string' ? req.path.includes(f.path) : f.path.test(req.path);
}
