// A tiny webhook receiver for tests: records every POST and lets a test wait for one.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  event: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface HookReceiver {
  /** e.g. http://127.0.0.1:PORT/hooks/gitlab */
  url: string;
  received: ReceivedHook[];
  /** Resolves with the first hook (already received or future) that matches. */
  waitFor(predicate: (h: ReceivedHook) => boolean, timeoutMs?: number): Promise<ReceivedHook>;
  /** Status code to answer with from now on (default 200). */
  respondWith(status: number): void;
  close(): Promise<void>;
}

export async function startHookReceiver(): Promise<HookReceiver> {
  const received: ReceivedHook[] = [];
  const waiters = new Set<(h: ReceivedHook) => void>();
  let status = 200;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // keep {}: a test asserting on the body will notice
      }
      const hook = { event: String(req.headers['x-gitlab-event'] ?? ''), headers: req.headers, body };
      received.push(hook);
      for (const w of [...waiters]) w(hook);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/gitlab`,
    received,
    respondWith(s: number) {
      status = s;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      const hit = received.find(predicate);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no matching webhook within ${timeoutMs} ms (got ${received.map((h) => h.event).join(', ')})`),
          );
        }, timeoutMs);
        const check = (h: ReceivedHook): void => {
          if (!predicate(h)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(h);
        };
        waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
