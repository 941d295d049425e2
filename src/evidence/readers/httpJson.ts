import http from 'node:http';
import https from 'node:https';

/** An HTTP answer: its status and its body, parsed when it was JSON, else undefined. */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

export interface JsonRequest {
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  /** A form or JSON body, already encoded. */
  body?: string;
  /** The longest the request may wait for the server (connect, then any pause in the answer). */
  timeoutMs: number;
}

/**
 * Requests over node:http(s) with kept-alive connections. A month's report makes a thousand
 * page requests or more; Node's fetch spends about twice the CPU per request (web streams, a
 * timer per signal), and reading many repositories at once is CPU-bound on a small worker.
 */
export class JsonClient {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };

  request(url: string, req: JsonRequest): Promise<JsonAnswer> {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (!transport) return Promise.reject(new Error(`unsupported URL scheme: ${target.protocol}`));
    const agent = this.agents[target.protocol as 'http:' | 'https:'];
    return new Promise<JsonAnswer>((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
      const call = transport.request(target, { method: req.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (/\bjson\b/i.test(res.headers['content-type'] ?? '') || /^\s*[{[]/.test(text)) {
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined; // a proxy's HTML error page, cut short: the status says enough
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      call.setTimeout(req.timeoutMs, () => call.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
      call.on('error', reject);
      call.end(req.body);
    });
  }

  /** Closes the idle kept-alive connections (a worker shutting down). */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}
