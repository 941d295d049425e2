import http, { type Server } from 'node:http';
import { createApp, type AppDeps } from '../../../src/api/createApp';
import type { DeliveryResult, EventSink } from '../../../src/api/eventSink';
import type { DomainEvent } from '../../../src/domain/events';
import { fixture } from '../../helpers/fixtures';

// The webhook API over real HTTP with a recording sink: what GitLab (or an attacker) sees.

class RecordingSink implements EventSink {
  delivered: DomainEvent[] = [];
  healthy = true;
  failing = false;
  async deliver(event: DomainEvent): Promise<DeliveryResult> {
    if (this.failing) throw new Error('connection refused');
    this.delivered.push(event);
    return { status: 'accepted', workflowId: 'wf' };
  }
  async health(): Promise<void> {
    if (!this.healthy) throw new Error('connection refused');
  }
}

let server: Server;
let base: string;
let sink: RecordingSink;
let logged: string[];

async function startApp(secret: string | undefined, deps: Partial<AppDeps> = {}): Promise<void> {
  sink = new RecordingSink();
  const lines: string[] = [];
  logged = lines;
  const app = createApp({ sink, gitlabWebhookSecret: secret, log: (line) => lines.push(line), ...deps });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

beforeEach(() => startApp('s3cret-token'));
afterEach(async () => {
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections(); // requests a test left unfinished
  await closed;
});

function post(event: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/webhooks/gitlab`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(event ? { 'x-gitlab-event': event } : {}),
      'x-gitlab-token': 's3cret-token',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test('a verified merge request hook is accepted with 202 and delivered once', async () => {
  const res = await post('Merge Request Hook', fixture('gitlab/merge-request-assigned.json'), { 'idempotency-key': 'k1' });
  expect(res.status).toBe(202);
  expect(sink.delivered).toHaveLength(1);
  expect(sink.delivered[0]).toMatchObject({ kind: 'merge-request', eventId: 'gitlab:k1', ref: { iid: 42 } });
});

test('a redelivery carries the same event id, so the workflow can recognise it', async () => {
  const body = fixture('gitlab/merge-request-assigned.json');
  await post('Merge Request Hook', body);
  await post('Merge Request Hook', body);
  expect(sink.delivered).toHaveLength(2);
  expect(sink.delivered[0].eventId).toBe(sink.delivered[1].eventId);
});

test('a wrong token gets 401 and starts nothing', async () => {
  const res = await post('Merge Request Hook', fixture('gitlab/merge-request-assigned.json'), { 'x-gitlab-token': 's3cret-tokeN' });
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: string }).error).toContain('X-Gitlab-Token');
  expect(sink.delivered).toEqual([]);
});

test('without a configured secret every hook is refused, naming the missing setting', async () => {
  await new Promise((r) => server.close(r));
  await startApp(undefined);
  const res = await post('Merge Request Hook', fixture('gitlab/merge-request-assigned.json'));
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: string }).error).toContain('SHEPHERD_GITLAB_WEBHOOK_SECRET');
  expect(sink.delivered).toEqual([]);
});

test('an invalid body gets 400 naming the field, and starts nothing', async () => {
  const body = fixture<{ object_attributes: Record<string, unknown> }>('gitlab/merge-request-assigned.json');
  delete body.object_attributes.target_branch;
  const res = await post('Merge Request Hook', body);
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toContain('object_attributes.target_branch');
  expect(sink.delivered).toEqual([]);
});

test('malformed JSON gets 400', async () => {
  const res = await post('Merge Request Hook', '{"object_kind": ');
  expect(res.status).toBe(400);
  expect(sink.delivered).toEqual([]);
});

test('a hook without X-Gitlab-Event gets 400', async () => {
  const res = await post(undefined, fixture('gitlab/merge-request-assigned.json'));
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toContain('X-Gitlab-Event');
});

test('events Shepherd does not use answer 202 "ignored" and start nothing', async () => {
  const res = await post('Issue Hook', { object_kind: 'issue' });
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ status: 'ignored', reason: 'Shepherd does not use "Issue Hook" events' });
  expect(sink.delivered).toEqual([]);
});

test('when Temporal is unreachable the hook gets 503 so GitLab retries it', async () => {
  sink.failing = true;
  const res = await post('Note Hook', fixture('gitlab/note-on-merge-request.json'));
  expect(res.status).toBe(503);
});

test('/healthz answers 200 when Temporal is reachable and 503 when not', async () => {
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  sink.healthy = false;
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(503);
});

/** The merge request fixture, padded to exactly `bytes` bytes of JSON. */
function hookOfSize(bytes: number): string {
  const body = fixture<Record<string, unknown>>('gitlab/merge-request-assigned.json');
  body.padding = '';
  const empty = JSON.stringify(body).length;
  body.padding = 'x'.repeat(bytes - empty);
  const text = JSON.stringify(body);
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

async function restartApp(deps: Partial<AppDeps>, secret: { secret: string | undefined } = { secret: 's3cret-token' }): Promise<void> {
  await new Promise((r) => server.close(r));
  await startApp(secret.secret, deps);
}

/**
 * Starts a POST, sends `sent` bytes of a body announced as `announced` bytes (chunked when
 * undefined), ends it only if `end`, and resolves with the answer as soon as one arrives.
 */
function postRaw(token: string, sent: number, { announced, end = false }: { announced?: number; end?: boolean } = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/webhooks/gitlab`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Merge Request Hook',
        'x-gitlab-token': token,
        ...(announced === undefined ? {} : { 'content-length': String(announced) }),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
      });
    });
    req.write(`{"object_kind": "merge_request", "padding": "${'x'.repeat(sent)}`);
    if (end) req.end('"}');
  });
}

describe('the token is checked before the body is read', () => {
  test('a wrong token with malformed JSON gets 401, not 400', async () => {
    const res = await post('Merge Request Hook', '{"object_kind": ', { 'x-gitlab-token': 'wrong-token!' });
    expect(res.status).toBe(401);
    expect(sink.delivered).toEqual([]);
  });

  test('a wrong token with a body far over any limit gets 401, not 413', async () => {
    const res = await post('Merge Request Hook', hookOfSize(6 * 1024 * 1024), { 'x-gitlab-token': 'wrong-token!' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toContain('X-Gitlab-Token');
    expect(sink.delivered).toEqual([]);
  });

  test('a wrong token is answered without waiting for the body', async () => {
    const answer = await postRaw('wrong-token!', 1024, { announced: 10 * 1024 * 1024 });
    expect(answer).toEqual({ status: 401, body: { error: expect.stringContaining('X-Gitlab-Token') } });
    expect(sink.delivered).toEqual([]);
  });

  test('without a configured secret even an unfinished body is refused at once', async () => {
    await restartApp({}, { secret: undefined });
    const answer = await postRaw('s3cret-token', 1024, { announced: 10 * 1024 * 1024 });
    expect(answer.status).toBe(401);
  });
});

describe('webhook-max-body', () => {
  test('a body over the limit gets 413 with a JSON reason, starts nothing, and is logged', async () => {
    await restartApp({ webhookMaxBodyBytes: 8 * 1024 });
    expect((await post('Merge Request Hook', hookOfSize(8 * 1024))).status).toBe(202);
    expect(sink.delivered).toHaveLength(1);

    const res = await post('Merge Request Hook', hookOfSize(8 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: expect.stringContaining('webhook-max-body (8192 bytes)') });
    expect(sink.delivered).toHaveLength(1);
    expect(logged).toEqual([expect.stringContaining('refused a Merge Request Hook larger than webhook-max-body (8192 bytes)')]);
  });

  test('a chunked body (no Content-Length) over the limit gets 413 too', async () => {
    await restartApp({ webhookMaxBodyBytes: 8 * 1024 });
    const answer = await postRaw('s3cret-token', 64 * 1024, { end: true });
    expect(answer).toEqual({ status: 413, body: { error: expect.stringContaining('webhook-max-body') } });
    expect(sink.delivered).toEqual([]);
  });

  test('defaults to 1 MiB', async () => {
    expect((await post('Merge Request Hook', hookOfSize(1024 * 1024))).status).toBe(202);
    expect((await post('Merge Request Hook', hookOfSize(1024 * 1024 + 1))).status).toBe(413);
    expect(sink.delivered).toHaveLength(1);
  });

  test('createApp refuses a limit that is not a positive whole number of bytes', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createApp({ sink, gitlabWebhookSecret: 'x', webhookMaxBodyBytes: bad })).toThrow(/webhookMaxBodyBytes/);
    }
  });
});
