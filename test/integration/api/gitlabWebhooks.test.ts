import type { Server } from 'node:http';
import { createApp } from '../../../src/api/createApp';
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

async function startApp(secret: string | undefined): Promise<void> {
  sink = new RecordingSink();
  const app = createApp({ sink, gitlabWebhookSecret: secret });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

beforeEach(() => startApp('s3cret-token'));
afterEach(async () => {
  await new Promise((r) => server.close(r));
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
  const res = await post('Push Hook', fixture('gitlab/push.json'));
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ status: 'ignored', reason: 'Shepherd does not use "Push Hook" events' });
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
