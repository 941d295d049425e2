// Signals, updates and queries live in src/temporal/messages.ts, shared with the api and activities.
export * from '../temporal/messages';
