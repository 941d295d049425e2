// Webhook delivery. By default one serial queue, in event order, each hook exactly once: what
// tests written against it expect. With HookDeliveryOptions it behaves like GitLab's Sidekiq
// workers: each hook after a random delay, several at once, so in any order, some twice (same
// Idempotency-Key) and some never. Failures are recorded and logged, never thrown: a broken
// receiver must not break the fake.
import crypto from 'node:crypto';
import type { HookDeliveryOptions, HookEvent, WebhookDelivery } from './types';

export interface WebhookTarget {
  url?: string;
  secret?: string;
}

/** GitLab gives a receiver 10 s before it counts the delivery as failed. */
const DELIVERY_TIMEOUT_MS = 10_000;

interface Chaos {
  concurrency: number;
  maxDelayMs: number;
  dropRate: (event: HookEvent) => number;
  repeatRate: number;
  seed: number;
  random: () => number;
}

/** mulberry32: small, fast and seedable, so a failing delivery order can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class WebhookQueue {
  readonly deliveries: WebhookDelivery[] = [];
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private chaos: Chaos | undefined;
  /** Chaos deliveries waiting for their random delay: stop() cancels them. */
  private readonly delayed = new Map<NodeJS.Timeout, WebhookDelivery>();
  private inFlight = 0;
  private slotWaiters: Array<() => void> = [];
  private readonly controllers = new Set<AbortController>();
  // One id per hook, as GitLab sends X-Gitlab-Webhook-UUID for the configured hook.
  private readonly hookUuid = crypto.randomUUID();

  constructor(
    private readonly target: () => WebhookTarget,
    private readonly instanceUrl: () => string,
    private readonly log: (message: string) => void,
    delivery?: HookDeliveryOptions,
  ) {
    this.setDelivery(delivery);
  }

  /** Switches between serial delivery (undefined) and GitLab-like delivery; logs the seed. */
  setDelivery(opts: HookDeliveryOptions | undefined): void {
    if (!opts) {
      this.chaos = undefined;
      return;
    }
    const seed = opts.seed ?? crypto.randomInt(2 ** 31);
    this.chaos = {
      concurrency: Math.max(1, opts.concurrency ?? 4),
      maxDelayMs: Math.max(0, opts.maxDelayMs ?? 200),
      dropRate: (event) => {
        const rate = opts.dropRate ?? 0;
        return typeof rate === 'number' ? rate : (rate[event] ?? 0);
      },
      repeatRate: opts.repeatRate ?? 0,
      seed,
      random: seededRandom(seed),
    };
    this.log(`fake gitlab: webhooks delivered out of order, seed ${seed} (replay with hookDelivery.seed)`);
  }

  /** The chaos delivery's seed; undefined while delivery is serial. */
  get seed(): number | undefined {
    return this.chaos?.seed;
  }

  enqueue(event: HookEvent, body: object): WebhookDelivery {
    // Snapshot now: later state changes must not leak into an already-fired event.
    const snapshot = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    const d = this.record({
      event,
      body: snapshot,
      headers: this.headers(event, crypto.randomUUID(), crypto.randomUUID()),
    });
    const chaos = this.chaos;
    if (!chaos) {
      this.sendSerially(d);
      return d;
    }
    if (chaos.random() < chaos.dropRate(event)) {
      d.dropped = true;
      d.error = 'dropped (GitLab-like delivery)';
      return d;
    }
    this.sendLater(d, chaos);
    if (chaos.random() < chaos.repeatRate) {
      // Sidekiq retried the job after the hook went out: the same request, sent again.
      this.sendLater(this.record({ event, body: d.body, headers: { ...d.headers }, duplicateOf: d.index }), chaos);
    }
    return d;
  }

  /** Sends delivery `index` again with the same Idempotency-Key, like "Resend request". */
  redeliver(index: number): WebhookDelivery {
    const original = this.deliveries[index];
    if (!original) throw new Error(`no webhook delivery #${index}`);
    const d = this.record({
      event: original.event,
      body: original.body,
      headers: { ...original.headers },
      redeliveryOf: index,
    });
    if (this.chaos) this.sendLater(d, { ...this.chaos, maxDelayMs: 0 });
    else this.sendSerially(d);
    return d;
  }

  /** Resolves once every hook not dropped has been sent (or failed). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels hooks still waiting and aborts those in flight; drain() then resolves promptly. */
  stop(): void {
    this.stopped = true;
    for (const [timer, d] of this.delayed) {
      clearTimeout(timer);
      d.error = 'fake stopped';
      this.settle();
    }
    this.delayed.clear();
    for (const c of this.controllers) c.abort();
  }

  drain(): Promise<void> {
    return this.idle();
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

  private record(d: Omit<WebhookDelivery, 'index' | 'status'>): WebhookDelivery {
    const delivery: WebhookDelivery = { ...d, index: this.deliveries.length, status: null };
    this.deliveries.push(delivery);
    return delivery;
  }

  private sendSerially(d: WebhookDelivery): void {
    this.pending++;
    this.tail = this.tail.then(() => this.send(d)).finally(() => this.settle());
  }

  private sendLater(d: WebhookDelivery, chaos: Chaos): void {
    this.pending++;
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      void this.withSlot(chaos.concurrency, () => this.send(d)).finally(() => this.settle());
    }, Math.floor(chaos.random() * chaos.maxDelayMs));
    this.delayed.set(timer, d);
  }

  private async withSlot(limit: number, fn: () => Promise<void>): Promise<void> {
    while (this.inFlight >= limit) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.inFlight++;
    try {
      await fn();
    } finally {
      this.inFlight--;
      this.slotWaiters.shift()?.();
    }
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
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: d.headers,
        body: JSON.stringify(d.body),
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      d.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) this.log(`fake gitlab: webhook #${d.index} (${d.event}) answered ${res.status}`);
    } catch (e) {
      d.error = this.stopped ? 'fake stopped' : e instanceof Error ? e.message : String(e);
      if (!this.stopped) this.log(`fake gitlab: webhook #${d.index} (${d.event}) failed: ${d.error}`);
    } finally {
      this.controllers.delete(controller);
    }
  }
}
