// Webhook delivery as GitLab's background workers do it (setHookDelivery): out of order,
// concurrently, some twice with the same Idempotency-Key, some never; replayable by seed. And
// the fake's outage switches for REST (failNextRequests, stallNextRequests).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGitLab, type HookDeliveryOptions } from '../../fakes/gitlab';
import { api, projectPath } from './http';

interface Received {
  index: number;
  idempotencyKey: string;
  body: Record<string, unknown>;
}

/** A receiver that counts requests in flight and can hold its answers until released. */
async function startReceiver() {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let holding = false;
  const held: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      received.push({ index: received.length, idempotencyKey: String(req.headers['idempotency-key']), body });
      const answer = (): void => {
        inFlight--;
        res.writeHead(200).end('{}');
      };
      if (holding) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const a of held.splice(0)) a();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
let receiver: Receiver;

beforeEach(async () => {
  receiver = await startReceiver();
});

afterEach(async () => {
  receiver.release();
  await receiver.close();
});

/**
 * A fake with `n` comments on one MR queued (each a Note Hook), delivered with `delivery`; the
 * setup's own hooks (push, MR opened) go serially before, and `beforeComments` runs then.
 */
async function fakeWithComments(delivery: HookDeliveryOptions | undefined, n: number, beforeComments = (): void => {}) {
  const fake = await FakeGitLab.start({ webhookUrl: receiver.url, log: () => undefined });
  fake.addUser({ username: 'dev', name: 'Dee' });
  fake.addProject('hooks/app', { members: { dev: 'maintainer' } });
  await fake.commit('hooks/app', 'topic', { files: { 't.txt': 't\n' }, message: 't', author: 'dev' });
  const { iid } = fake.createMergeRequest('hooks/app', { sourceBranch: 'topic', title: 'T', author: 'dev' });
  await fake.webhooksIdle();
  receiver.received.length = 0;
  fake.setHookDelivery(delivery);
  beforeComments();
  const first = fake.webhookDeliveries.length;
  for (let i = 1; i <= n; i++) fake.comment('hooks/app', iid, 'dev', `comment ${i}`);
  return { fake, deliveries: () => fake.webhookDeliveries.slice(first) };
}

const noteOf = (r: Received): string => String((r.body.object_attributes as { note?: string }).note);

test('by default hooks go one at a time, in event order, each exactly once', async () => {
  const { fake } = await fakeWithComments(undefined, 10);
  try {
    await fake.webhooksIdle();
    expect(receiver.received.map(noteOf)).toEqual(Array.from({ length: 10 }, (_, i) => `comment ${i + 1}`));
    expect(receiver.maxInFlight).toBe(1);
    expect(fake.hookDeliverySeed).toBeUndefined();
  } finally {
    await fake.stop();
  }
});

test('GitLab-like delivery: out of order, some dropped (marked), some twice with the same Idempotency-Key', async () => {
  const { fake, deliveries } = await fakeWithComments(
    { seed: 7, maxDelayMs: 100, concurrency: 4, dropRate: 0.2, repeatRate: 0.2 },
    30,
  );
  try {
    await fake.webhooksIdle();
    const all = deliveries();
    const dropped = all.filter((d) => d.dropped);
    const duplicates = all.filter((d) => d.duplicateOf !== undefined);
    expect(dropped.length).toBeGreaterThan(0);
    expect(duplicates.length).toBeGreaterThan(0);
    expect(dropped.every((d) => d.status === null)).toBe(true);

    const notes = receiver.received.map(noteOf);
    const sent = all.filter((d) => !d.dropped && d.duplicateOf === undefined);
    expect(notes).toHaveLength(sent.length + duplicates.length);
    // Every hook not dropped arrived, the lost ones never did, and not in event order.
    const expected = sent.map((d) => String((d.body.object_attributes as { note: string }).note));
    expect(new Set(notes)).toEqual(new Set(expected));
    for (const d of dropped) expect(notes).not.toContain((d.body.object_attributes as { note: string }).note);
    expect(notes.slice(0, expected.length)).not.toEqual(expected);
    // A repeat carries the Idempotency-Key of its original.
    for (const d of duplicates) {
      const original = fake.webhookDeliveries[d.duplicateOf as number];
      expect(d.headers['Idempotency-Key']).toBe(original.headers['Idempotency-Key']);
      const keyed = receiver.received.filter((r) => r.idempotencyKey === original.headers['Idempotency-Key']);
      expect(keyed).toHaveLength(2);
    }
    expect(fake.hookDeliverySeed).toBe(7);
  } finally {
    await fake.stop();
  }
});

test('the same seed drops and repeats the same hooks: a failing run can be replayed', async () => {
  const decide = async (): Promise<string[]> => {
    const { fake, deliveries } = await fakeWithComments({ seed: 42, maxDelayMs: 5, dropRate: 0.3, repeatRate: 0.3 }, 20);
    try {
      await fake.webhooksIdle();
      return deliveries().map((d) => (d.dropped ? 'dropped' : d.duplicateOf !== undefined ? `again` : 'sent'));
    } finally {
      await fake.stop();
    }
  };
  const first = await decide();
  expect(await decide()).toEqual(first);
  expect(first).toContain('dropped');
});

test('at most `concurrency` hooks are in flight at once, and more than one', async () => {
  const { fake } = await fakeWithComments({ seed: 3, maxDelayMs: 0, concurrency: 3 }, 8, () => receiver.hold());
  try {
    const deadline = Date.now() + 5000;
    while (receiver.inFlight < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(receiver.inFlight).toBe(3);
    receiver.release();
    await fake.webhooksIdle();
    expect(receiver.received).toHaveLength(8);
    expect(receiver.maxInFlight).toBe(3);
  } finally {
    await fake.stop();
  }
});

test('redeliver in GitLab-like mode resends promptly with the same Idempotency-Key', async () => {
  const { fake, deliveries } = await fakeWithComments({ seed: 5, maxDelayMs: 50 }, 2);
  try {
    await fake.webhooksIdle();
    const original = deliveries()[0];
    const again = fake.redeliver(original.index);
    await fake.webhooksIdle();
    expect(again).toMatchObject({ redeliveryOf: original.index, status: 200 });
    const keyed = receiver.received.filter((r) => r.idempotencyKey === original.headers['Idempotency-Key']);
    expect(keyed).toHaveLength(2);
  } finally {
    await fake.stop();
  }
});

test('stop() cancels hooks still waiting for their delay instead of waiting for them', async () => {
  const { fake, deliveries } = await fakeWithComments({ seed: 11, maxDelayMs: 60_000, concurrency: 2 }, 5);
  await fake.stop();
  expect(deliveries().map((d) => d.error)).toEqual(Array(5).fill('fake stopped'));
  expect(receiver.received).toEqual([]);
  await fake.webhooksIdle();
});

describe('outages', () => {
  test('failNextRequests answers like a proxy (502 HTML) or like the GitLab throttle (429 Retry-After), then recovers', async () => {
    const fake = await FakeGitLab.start({ log: () => undefined });
    try {
      fake.addUser({ username: 'dev', name: 'Dee' });
      fake.addProject('down/app', { members: { dev: 'maintainer' } });
      fake.failNextRequests(1, 502);
      const bad = await api(fake, 'dev', 'GET', projectPath('down/app'));
      expect(bad.status).toBe(502);
      expect(bad.headers.get('content-type')).toContain('text/html');
      fake.failNextRequests(2, 429, { method: 'GET', path: /\/merge_requests$/ });
      expect((await api(fake, 'dev', 'GET', projectPath('down/app'))).status).toBe(200); // not matched
      const throttled = await api(fake, 'dev', 'GET', `${projectPath('down/app')}/merge_requests`);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('60');
      expect((await api(fake, 'dev', 'GET', `${projectPath('down/app')}/merge_requests`)).status).toBe(429);
      expect((await api(fake, 'dev', 'GET', `${projectPath('down/app')}/merge_requests`)).status).toBe(200);
      expect(fake.apiRequests.map((r) => r.status)).toEqual([502, 200, 429, 429, 200]);
    } finally {
      await fake.stop();
    }
  });

  test('stallNextRequests never answers; the client has to give up', async () => {
    const fake = await FakeGitLab.start({ log: () => undefined });
    try {
      fake.addUser({ username: 'dev', name: 'Dee' });
      fake.stallNextRequests(1);
      const stalled = fetch(`${fake.url}/api/v4/user`, {
        headers: { 'PRIVATE-TOKEN': fake.user('dev').token },
        signal: AbortSignal.timeout(300),
      });
      await expect(stalled).rejects.toThrow();
      expect((await api(fake, 'dev', 'GET', '/user')).status).toBe(200);
    } finally {
      await fake.stop();
    }
  });
});
