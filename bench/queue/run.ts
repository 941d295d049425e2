// `npm run bench:queue` (also part of `npm run bench`): the queue strategies of
// src/domain/mergeTrain.ts, driven by the discrete-event simulator, compared with serial
// (marge-bot) and with a GitLab-style merge train as the peer. Every number is measured in this
// run; ratios are to serial on the same seeds (common random numbers).
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../src/domain/mergeTrain';
import { simulate, type Scenario } from './simulate';

export const STRATEGIES: Array<{ name: string; settings: TrainSettings }> = [
  { name: 'serial (marge-bot)', settings: { ...DEFAULT_TRAIN_SETTINGS, mode: 'serial' } },
  { name: 'batch + bisection', settings: { ...DEFAULT_TRAIN_SETTINGS, mode: 'batch', maxBatchSize: 8 } },
  { name: 'train, fixed K', settings: { ...DEFAULT_TRAIN_SETTINGS, mode: 'train', maxParallelPipelines: 8 } },
  { name: 'train, adaptive', settings: { ...DEFAULT_TRAIN_SETTINGS, mode: 'train', maxParallelPipelines: 8, window: 'adaptive' } },
  {
    name: 'GitLab-style train (peer)',
    settings: { ...DEFAULT_TRAIN_SETTINGS, mode: 'train', maxParallelPipelines: 8, style: 'gitlab', optimistic: false },
  },
];

export interface Summary {
  mergesPerT: number;
  p50: number;
  p95: number;
  ciRunsPerMerge: number;
  ciTimePerMerge: number;
  goodRejectedShare: number;
  brokenMain: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function summarise(settings: TrainSettings, scenario: Omit<Scenario, 'seed'>, seeds: number): Summary {
  let merges = 0;
  let ciRuns = 0;
  let ciTime = 0;
  let goodRejected = 0;
  let goodSubmitted = 0;
  let brokenMain = 0;
  const times: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = simulate(settings, { ...scenario, seed });
    merges += r.merged;
    ciRuns += r.ciRuns;
    ciTime += r.ciTime;
    goodRejected += r.goodRejected;
    goodSubmitted += r.goodSubmitted;
    brokenMain += r.brokenMain;
    for (const t of r.timesToMerge) times.push(t);
  }
  times.sort((a, b) => a - b);
  return {
    mergesPerT: merges / (scenario.horizon * seeds),
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    ciRunsPerMerge: ciRuns / Math.max(1, merges),
    ciTimePerMerge: ciTime / Math.max(1, merges),
    goodRejectedShare: goodRejected / Math.max(1, goodSubmitted),
    brokenMain,
  };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function benchQueue(opts: { quick: boolean; write: (s: string) => void }): { goalsMet: boolean } {
  const { write } = opts;
  const seeds = opts.quick ? 5 : 30;
  const horizon = opts.quick ? 40 : 100;
  const flaky = 0.02;
  const base = (lambda: number, p: number): Omit<Scenario, 'seed'> => ({ lambda, p, flaky, horizon });
  write(
    `queue strategies, simulated: ${seeds} seeds x ${horizon} T, CI lognormal (median 1 T, sigma 0.3), failing runs stop part-way, ` +
      `flaky runs ${flaky * 100}%, rejected MRs back after 2 T up to 3 times, K = 8, max-batch-size 8\n\n`,
  );

  // The headline configuration.
  const head = STRATEGIES.map((s) => ({ name: s.name, r: summarise(s.settings, base(6, 0.1), seeds) }));
  const serial = head[0].r;
  const cols = ['merges/T', 'x serial', 'p50 T', 'p95 T', 'CI runs/merge', 'CI T/merge', 'good rejected', 'broken main'];
  write(`lambda = 6/T, p = 0.1\n${pad('strategy', 27)}${cols.map((c) => lpad(c, 14)).join('')}\n`);
  for (const { name, r } of head) {
    const cells = [
      r.mergesPerT.toFixed(2),
      (r.mergesPerT / serial.mergesPerT).toFixed(2),
      r.p50.toFixed(2),
      r.p95.toFixed(2),
      r.ciRunsPerMerge.toFixed(2),
      r.ciTimePerMerge.toFixed(2),
      `${(r.goodRejectedShare * 100).toFixed(2)}%`,
      String(r.brokenMain),
    ];
    write(`${pad(name, 27)}${cells.map((c) => lpad(c, 14)).join('')}\n`);
  }

  // The goals, each measured here.
  const [, , fixed, adaptive] = head.map((h) => h.r);
  const low = summarise(STRATEGIES[2].settings, base(1, 0.05), seeds);
  const retried = summarise({ ...STRATEGIES[2].settings, ciRetries: 1 }, base(6, 0.1), seeds);
  const retriedAdaptive = summarise({ ...STRATEGIES[3].settings, ciRetries: 1 }, base(6, 0.1), seeds);
  const goals: Array<[string, boolean]> = [
    [`fixed train ${(fixed.mergesPerT / serial.mergesPerT).toFixed(2)}x serial (goal >= 3.5x)`, fixed.mergesPerT >= 3.5 * serial.mergesPerT],
    [`adaptive train ${(adaptive.mergesPerT / serial.mergesPerT).toFixed(2)}x serial (goal >= 4.5x)`, adaptive.mergesPerT >= 4.5 * serial.mergesPerT],
    [
      `adaptive CI time per merge ${adaptive.ciTimePerMerge.toFixed(2)} T vs fixed ${fixed.ciTimePerMerge.toFixed(2)} T (goal: no more)`,
      adaptive.ciTimePerMerge <= fixed.ciTimePerMerge,
    ],
    [`lambda = 1/T, p = 0.05: train p50 time to merge ${low.p50.toFixed(2)} T (goal <= 1.3 T)`, low.p50 <= 1.3],
    [
      `ci-retries 1: good MRs wrongly rejected ${(retried.goodRejectedShare * 100).toFixed(2)}% fixed, ${(retriedAdaptive.goodRejectedShare * 100).toFixed(2)}% adaptive (goal <= 0.5%)`,
      retried.goodRejectedShare <= 0.005 && retriedAdaptive.goodRejectedShare <= 0.005,
    ],
    [`broken main: ${head.reduce((n, h) => n + h.r.brokenMain, 0)} (must be 0)`, head.every((h) => h.r.brokenMain === 0)],
  ];
  write('\n');
  for (const [text, ok] of goals) write(`  ${ok ? 'met ' : 'MISS'}  ${text}\n`);

  // The grid, compactly: merges per T as a multiple of serial, and p50 time to merge.
  const lambdas = opts.quick ? [1, 6] : [1, 2, 6];
  const ps = opts.quick ? [0.05, 0.1] : [0.02, 0.05, 0.1, 0.2];
  write(`\ngrid: merges/T as x serial (p50 time to merge in T)\n${pad('lambda  p', 12)}${STRATEGIES.map((s) => lpad(s.name.replace(' (marge-bot)', '').replace(' (peer)', ''), 20)).join('')}\n`);
  for (const lambda of lambdas) {
    for (const p of ps) {
      const rs = STRATEGIES.map((s) => summarise(s.settings, base(lambda, p), seeds));
      const cells = rs.map((r) => `${(r.mergesPerT / rs[0].mergesPerT).toFixed(2)}x (${r.p50.toFixed(1)})`);
      write(`${pad(`${lambda}     ${p}`, 12)}${cells.map((c) => lpad(c, 20)).join('')}\n`);
    }
  }
  return { goalsMet: goals.every(([, ok]) => ok) };
}

if (require.main === module) {
  const started = Date.now();
  const { goalsMet } = benchQueue({ quick: process.argv.includes('--quick'), write: (s) => process.stdout.write(s) });
  process.stdout.write(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s${goalsMet ? '' : ' (some goals missed)'}\n`);
}
