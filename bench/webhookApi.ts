// (b) Webhook API round trip over loopback HTTP with fetch: Shepherd's Express app (token check,
// JSON body, validation, normalisation, a no-op sink) against a bare node:http server that reads
// the body and answers 202. The ratio is our overhead per hook, transport cost shared.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/api/createApp';
import type { EventSink } from '../src/api/eventSink';
import { loadHookFixtures } from './fixtures';
import { compare, measureAsync, type Budget, type Comparison } from './harness';

const SECRET = 'bench-webhook-secret';

const noopSink: EventSink = {
  deliver: (event) => Promise.resolve({ status: 'accepted', workflowId: `noop:${event.kind}` }),
  health: () => Promise.resolve(),
};

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function benchWebhookApi(budget: Budget, concurrencies: number[]): Promise<Comparison[]> {
  const fx = loadHookFixtures().find((f) => f.eventName === 'Merge Request Hook');
  if (!fx) throw new Error('no Merge Request Hook fixture in test/fixtures/gitlab');

  const bare = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end('{"status":"accepted"}');
    });
  });
  const ours = http.createServer(createApp({ sink: noopSink, gitlabWebhookSecret: SECRET }));
  const bareUrl = await listen(bare);
  const oursUrl = `${await listen(ours)}/webhooks/gitlab`;

  let delivery = 0;
  const post = async (url: string): Promise<number> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Gitlab-Event': fx.eventName,
        'X-Gitlab-Token': SECRET,
        'Idempotency-Key': `bench-${delivery++}`,
      },
      body: fx.text,
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`${url} answered ${res.status}`);
    return res.status;
  };

  try {
    await post(bareUrl);
    await post(oursUrl);
    const rows: Comparison[] = [];
    for (const c of concurrencies) {
      rows.push(
        await compare(
          `webhook API ${fx.name}, ${c} in flight`,
          'bare node:http 202',
          (ms, max) => measureAsync(() => post(bareUrl), ms, max, c),
          (ms, max) => measureAsync(() => post(oursUrl), ms, max, c),
          budget,
        ),
      );
    }
    return rows;
  } finally {
    await close(bare);
    await close(ours);
  }
}
