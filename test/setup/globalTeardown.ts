import type { DevServer } from '../../src/temporal/devServer';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__SHEPHERD_TEMPORAL__ as DevServer | undefined;
  await server?.stop();
}
