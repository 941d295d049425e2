// Runs the fake GitLab as its own process (for the demo and manual poking):
//   npx tsx test/fakes/gitlab/main.ts --port 0 --webhook-url URL --webhook-secret S [--data-dir D] [--seed M]
// Prints one JSON line: {"url": "...", "dataDir": "...", "seed": <what the seed returned>}.
// --seed loads a module (a path, or a name under ./seeds/) exporting `seed(fake)`; whatever it
// returns (users, tokens, projects) is included in the JSON line.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FakeGitLab } from './fakeGitLab';

type SeedFn = (fake: FakeGitLab) => unknown;

async function loadSeed(name: string): Promise<SeedFn> {
  const spec = name.includes('/') || name.includes('.') ? path.resolve(name) : path.join(__dirname, 'seeds', name);
  const mod = (await import(spec)) as { seed?: SeedFn; default?: SeedFn | { seed?: SeedFn } };
  const fn = mod.seed ?? (typeof mod.default === 'function' ? mod.default : mod.default?.seed);
  if (!fn) throw new Error(`seed module ${spec} exports no seed(fake) function`);
  return fn;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'data-dir': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const fake = await FakeGitLab.start({
    port: Number(values.port),
    webhookUrl: values['webhook-url'],
    webhookSecret: values['webhook-secret'],
    dataDir: values['data-dir'],
  });
  const seeded = values.seed ? await (await loadSeed(values.seed))(fake) : undefined;
  process.stdout.write(`${JSON.stringify({ url: fake.url, dataDir: fake.dataDir, seed: seeded ?? null })}\n`);
  const shutdown = (): void => {
    fake.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
