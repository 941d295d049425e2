import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../../src/temporal/searchAttributes';

// docker-compose.yml as a user runs it: what it exposes, and what it sets up on Temporal.

interface Service {
  ports?: string[];
  entrypoint?: string[];
}
const compose = YAML.parse(fs.readFileSync(path.join(__dirname, '../../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

test('the Temporal frontend and Web UI are published on loopback only (neither asks who you are)', () => {
  for (const name of ['temporal', 'temporal-ui']) {
    const ports = compose.services[name].ports ?? [];
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  }
  // Only the webhook API, which checks every request's token, is reachable from elsewhere.
  const open = Object.entries(compose.services).filter(([, s]) => (s.ports ?? []).some((p) => !p.startsWith('127.0.0.1:')));
  expect(open.map(([name]) => name)).toEqual(['api']);
});

test('the setup registers every search attribute Shepherd uses (a missing one fails every merge job on a real cluster)', () => {
  const script = (compose.services['temporal-setup'].entrypoint ?? []).join('\n');
  const registered = /for attr in ([^;]+);/.exec(script)?.[1].trim().split(/\s+/) ?? [];
  expect([...registered].sort()).toEqual([...DEV_SERVER_SEARCH_ATTRIBUTES].sort());
});
