// `npm run bench`: small benchmarks that print RATIOS against a baseline measured in the same
// process (never absolute pass/fail thresholds: machines differ, ratios travel).
//   npm run bench             about three minutes
//   npm run bench -- --quick  about a minute, for a smoke test
import os from 'node:os';
import { benchEvidence, formatEvidenceReport } from './evidence';
import { benchMergeLatency } from './mergeLatency';
import { benchQueue } from './queue/run';
import { benchNormalise } from './normalise';
import { blackholeValue, table, type Budget, type Comparison } from './harness';
import { benchWebhookApi } from './webhookApi';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const started = Date.now();
  const cpuBudget: Budget = quick
    ? { durationMs: 100, maxOps: 200_000, rounds: 1, warmupMs: 50 }
    : { durationMs: 400, maxOps: 5_000_000, rounds: 3, warmupMs: 200 };
  const httpBudget: Budget = quick
    ? { durationMs: 300, maxOps: 5_000, rounds: 1, warmupMs: 100 }
    : { durationMs: 1500, maxOps: 100_000, rounds: 3, warmupMs: 500 };

  process.stdout.write(
    `Shepherd benchmarks (node ${process.version}, ${os.cpus().length} CPUs${quick ? ', --quick' : ''}); ` +
      'ours/baseline compares operations per second: 1.000 = as fast as the baseline.\n\n',
  );
  const rows: Comparison[] = [];
  process.stdout.write('(a) webhook normalisation...\n');
  rows.push(...(await benchNormalise(cpuBudget)));
  process.stdout.write('(b) webhook API round trip over loopback...\n');
  rows.push(...(await benchWebhookApi(httpBudget, [1, 8])));
  process.stdout.write(`\n${table(rows)}\n\n`);
  process.stdout.write('(c) merge queue strategies (also `npm run bench:queue`)...\n');
  benchQueue({ quick, write: (text) => process.stdout.write(text) });
  process.stdout.write('\n(d) pipeline success hook -> merge call, end to end on a Temporal dev server...\n');
  const latency = await benchMergeLatency(quick ? 3 : 11);
  process.stdout.write(
    `    ${latency.samples} merges: median ${latency.oursMedianMs.toFixed(0)} ms (max ${latency.oursMaxMs.toFixed(0)} ms; goal: median under 1000 ms); ` +
      `bare receiver calling merge at once: median ${latency.baselineMedianMs.toFixed(0)} ms; ours/baseline latency ${latency.ratio.toFixed(2)}x\n\n`,
  );
  const evidence = quick
    ? { repos: 10, commitsPerRepo: 300, latencyMs: 20, runs: 1, concurrencies: [30] }
    : { repos: 30, commitsPerRepo: 1000, latencyMs: 20, runs: 3, concurrencies: [30, 8] };
  process.stdout.write(
    `(e) monthly evidence report, ${evidence.repos} repositories x ${evidence.commitsPerRepo} commits (30 a page, ${evidence.latencyMs} ms a request), seed's serial loop vs the workflow on a Temporal dev server...\n`,
  );
  const report = await benchEvidence(evidence);
  process.stdout.write(`${formatEvidenceReport(report)}\n`);
  if (report.mismatches.length) throw new Error(`the evidence report's results differ from the baseline's: ${report.mismatches.join('; ')}`);
  process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s (checksum ${blackholeValue()})\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
