import type { DomainEvent } from '../domain/events';

/** Where the api hands normalised events. Temporal in production; anything in unit tests. */
export interface EventSink {
  deliver(event: DomainEvent): Promise<DeliveryResult>;
  /** Resolves when the sink can take events (Temporal reachable); rejects otherwise. */
  health(): Promise<void>;
}

export type DeliveryResult =
  | { status: 'accepted'; workflowId: string }
  | { status: 'ignored'; reason: string };
