// Webhook delivery: one serial queue, in event order, like a single GitLab project hook.
// Failures are recorded and logged, never thrown: a broken receiver must not break the fake.
import crypto from 'node:crypto';
import type { HookEvent, WebhookDelivery } from './types';

export interface WebhookTarget {
  url?: string;
  secret?: string;
}

/** GitLab gives a receiver 10 s before it counts the delivery as failed. */
const DELIVERY_TIMEOUT_MS = 10_000;

export class WebhookQueue {
  readonly deliveries: WebhookDelivery[] = [];
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  // One id per hook, as GitLab sends X-Gitlab-Webhook-UUID for the configured hook.
  private readonly hookUuid = crypto.randomUUID();

  constructor(
    private readonly target: () => WebhookTarget,
    private readonly instanceUrl: () => string,
    private readonly log: (message: string) => void,
  ) {}

  enqueue(event: HookEvent, body: object): WebhookDelivery {
    // Snapshot now: later state changes must not leak into an already-fired event.
    const snapshot = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    return this.push({
      event,
      body: snapshot,
      headers: this.headers(event, crypto.randomUUID(), crypto.randomUUID()),
    });
  }

  /** Sends delivery `index` again with the same Idempotency-Key, like "Resend request". */
  redeliver(index: number): WebhookDelivery {
    const original = this.deliveries[index];
    if (!original) throw new Error(`no webhook delivery #${index}`);
    return this.push({
      event: original.event,
      body: original.body,
      headers: { ...original.headers },
      redeliveryOf: index,
    });
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
  }

  private headers(event: HookEvent, eventUuid: string, idempotencyKey: string): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      'User-Agent': 'GitLab/17.5.0',
      'X-Gitlab-Event': event,
      'X-Gitlab-Event-UUID': eventUuid,
      'X-Gitlab-Webhook-UUID': this.hookUuid,
      'X-Gitlab-Instance': this.instanceUrl(),
      'Idempotency-Key': idempotencyKey,
    };
  }

  private push(d: Omit<WebhookDelivery, 'index' | 'status'>): WebhookDelivery {
    const delivery: WebhookDelivery = { ...d, index: this.deliveries.length, status: null };
    this.deliveries.push(delivery);
    this.pending++;
    this.tail = this.tail.then(() => this.send(delivery)).finally(() => this.settle());
    return delivery;
  }

  private settle(): void {
    this.pending--;
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async send(d: WebhookDelivery): Promise<void> {
    const { url, secret } = this.target();
    if (this.stopped) {
      d.error = 'fake stopped';
      return;
    }
    if (!url) {
      d.error = 'no webhook url configured';
      return;
    }
    // The token is whatever the target says at send time, like GitLab reading the hook's config.
    if (secret !== undefined) d.headers['X-Gitlab-Token'] = secret;
    else delete d.headers['X-Gitlab-Token'];
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: d.headers,
        body: JSON.stringify(d.body),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      d.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) this.log(`fake gitlab: webhook #${d.index} (${d.event}) answered ${res.status}`);
    } catch (e) {
      d.error = e instanceof Error ? e.message : String(e);
      this.log(`fake gitlab: webhook #${d.index} (${d.event}) failed: ${d.error}`);
    }
  }
}
