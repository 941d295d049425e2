// A small benchmark harness that only ever reports RATIOS against a baseline measured in the same
// process, interleaved round by round, so machine speed and noise cancel out as far as possible.
// Every loop is bounded both by time and by a maximum number of operations.

export interface Budget {
  /** Measuring time per round and side. */
  durationMs: number;
  /** Hard cap on operations per round and side. */
  maxOps: number;
  /** Rounds; each measures the baseline and ours once, alternating which goes first. */
  rounds: number;
  /** Unmeasured warm-up per side before the first round. */
  warmupMs: number;
}

export interface Comparison {
  name: string;
  baselineName: string;
  baselineOpsPerSec: number;
  oursOpsPerSec: number;
  /** ours / baseline, in operations per second: 1 = as fast as the baseline, 0.25 = 4x slower. */
  ratio: number;
}

/** Keeps results alive so the JIT cannot drop the measured work. */
let blackhole = 0;
export function consume(value: unknown): void {
  blackhole = (blackhole + (typeof value === 'object' && value !== null ? 1 : String(value).length)) % 1_000_000_007;
}
export function blackholeValue(): number {
  return blackhole;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Operations per second of a synchronous function, run in batches between clock reads. */
export function measureSync(fn: () => unknown, durationMs: number, maxOps: number): number {
  const batch = 64;
  let ops = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(durationMs * 1e6));
  let elapsed = 0n;
  while (ops < maxOps) {
    for (let i = 0; i < batch; i++) consume(fn());
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed >= limit) break;
  }
  return ops / (Number(elapsed) / 1e9);
}

/** Operations per second of an async function with `concurrency` calls in flight. */
export async function measureAsync(
  fn: () => Promise<unknown>,
  durationMs: number,
  maxOps: number,
  concurrency = 1,
): Promise<number> {
  let started = 0;
  let done = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  const lane = async (): Promise<void> => {
    while (started < maxOps && process.hrtime.bigint() < deadline) {
      started++;
      consume(await fn());
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return done / elapsed;
}

export type Measure = (durationMs: number, maxOps: number) => Promise<number> | number;

/** Measures both sides `rounds` times, alternating the order, and compares their medians. */
export async function compare(
  name: string,
  baselineName: string,
  baseline: Measure,
  ours: Measure,
  budget: Budget,
): Promise<Comparison> {
  await baseline(budget.warmupMs, budget.maxOps);
  await ours(budget.warmupMs, budget.maxOps);
  const b: number[] = [];
  const o: number[] = [];
  for (let round = 0; round < budget.rounds; round++) {
    if (round % 2 === 0) {
      b.push(await baseline(budget.durationMs, budget.maxOps));
      o.push(await ours(budget.durationMs, budget.maxOps));
    } else {
      o.push(await ours(budget.durationMs, budget.maxOps));
      b.push(await baseline(budget.durationMs, budget.maxOps));
    }
  }
  const baselineOpsPerSec = median(b);
  const oursOpsPerSec = median(o);
  return { name, baselineName, baselineOpsPerSec, oursOpsPerSec, ratio: oursOpsPerSec / baselineOpsPerSec };
}

function fmtOps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** A plain-text table: name, baseline ops/s, ours ops/s, ratio. */
export function table(rows: Comparison[]): string {
  const header = ['benchmark', 'baseline', 'baseline ops/s', 'ours ops/s', 'ours/baseline'];
  const body = rows.map((r) => [
    r.name,
    r.baselineName,
    fmtOps(r.baselineOpsPerSec),
    fmtOps(r.oursOpsPerSec),
    `${r.ratio.toFixed(3)}${r.ratio < 1 ? `  (${(1 / r.ratio).toFixed(1)}x slower)` : ''}`,
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    row.map((cell, i) => (i >= 2 && i <= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].map((l) => l.trimEnd()).join('\n');
}
