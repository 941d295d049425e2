// (a) Webhook normalisation: normaliseGitLabHook on each recorded payload, against copying the
// same payload with JSON.parse(JSON.stringify(body)) (about the least any handler does with it).
import { normaliseGitLabHook } from '../src/api/gitlab/normaliseGitLabHook';
import { loadHookFixtures } from './fixtures';
import { compare, measureSync, type Budget, type Comparison } from './harness';

export async function benchNormalise(budget: Budget): Promise<Comparison[]> {
  const rows: Comparison[] = [];
  for (const fx of loadHookFixtures()) {
    // Sanity: the fixture must normalise as the tests expect, or the numbers mean nothing.
    const check = normaliseGitLabHook(fx.eventName, fx.body, 'bench:check');
    if (check.kind === 'invalid') throw new Error(`${fx.name}: ${check.reason}`);
    let n = 0;
    rows.push(
      await compare(
        `normalise ${fx.name} (${check.kind})`,
        'JSON copy',
        (ms, max) => measureSync(() => JSON.parse(JSON.stringify(fx.body)) as unknown, ms, max),
        (ms, max) => measureSync(() => normaliseGitLabHook(fx.eventName, fx.body, `bench:${n++}`), ms, max),
        budget,
      ),
    );
  }
  return rows;
}
