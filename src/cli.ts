#!/usr/bin/env node
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from './api/createApp';
import { embargoCommand } from './commands/embargoCommand';
import { evidenceCommand, monthArgument } from './commands/evidenceCommand';
import { ensureEvidenceSchedule } from './temporal/evidenceSchedule';
import { runOnce } from './commands/runOnce';
import { freePort } from './temporal/freePort';
import { temporalEventSink } from './api/temporalEventSink';
import { ConfigError, describeConfig, loadConfig, optionHelp, type ShepherdConfig } from './config';
import { startDevServer, type DevServer } from './temporal/devServer';
import { registerSearchAttributes } from './temporal/searchAttributes';
import { checkForgePermissions, queueModeWarnings, startMergeRequestPolling, startWorker, type RunningWorker } from './worker';

const USAGE = `Usage: shepherd <command> [options]

Commands:
  start     Temporal dev server (unless temporal-address is set), worker and webhook API in one process tree
  api       only the webhook API (connects to temporal-address)
  worker    only the worker (connects to temporal-address)
  run-once  marge-bot's --cli: merge every MR assigned to the bot once, print one line each, exit
            0 if all were merged (also: start --cli, or SHEPHERD_CLI=true)
  config    print the effective configuration, where each value comes from, secrets masked
  embargo   "<spec>" [--at <ISO time>]: is that instant covered by the embargo, and until when
  evidence  --month YYYY-MM: run that month's evidence report now, wait, print its summary; exit
            0 when it completed, 1 when it failed
  help      this text

Options (flags > SHEPHERD_* environment > --config-file YAML > defaults):
`;

export interface Running {
  stop(): Promise<void>;
  apiUrl?: string;
  temporalAddress: string;
  uiUrl?: string;
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; people want warnings unless they ask (debug). */
function installRuntimeLogging(debug: boolean): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(debug ? 'DEBUG' : 'WARN') });
}

function log(line: string): void {
  process.stdout.write(`[shepherd] ${line}\n`);
}

async function listen(config: ShepherdConfig, temporalAddress: string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const app = createApp({
    sink: temporalEventSink(client, config.taskQueue),
    gitlabWebhookSecret: config.gitlabWebhookSecret,
    webhookMaxBodyBytes: config.webhookMaxBodyBytes,
    log,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 hands listen errors (a busy port) to this callback.
    const s = app.listen(config.apiPort, config.apiHost, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.apiPort;
  return {
    server,
    url: `http://${config.apiHost}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await connection.close();
    },
  };
}

/** Starts the parts a command asks for; used by the CLI and by the demo. */
export async function startShepherd(config: ShepherdConfig, parts: { api: boolean; worker: boolean; embedded: boolean }): Promise<Running> {
  installRuntimeLogging(config.debug);
  let devServer: DevServer | undefined;
  let worker: RunningWorker | undefined;
  let api: Awaited<ReturnType<typeof listen>> | undefined;
  const stop = async (): Promise<void> => {
    await api?.close();
    await worker?.shutdown();
    await devServer?.stop();
  };
  try {
    let address = config.temporalAddress;
    if (!address) {
      if (!parts.embedded) address = '127.0.0.1:7233';
      else {
        log('starting the Temporal dev server...');
        devServer = await startDevServer({
          port: config.temporalPort,
          uiPort: config.temporalUiPort,
          dbFile: path.join(config.dataDir, 'temporal.db'),
          logFile: path.join(config.dataDir, 'temporal.log'),
        });
        address = devServer.address;
        log(`Temporal dev server: ${address} (state in ${path.join(config.dataDir, 'temporal.db')})`);
        log(`Temporal Web UI: ${devServer.uiUrl}`);
      }
    }
    if (parts.worker) {
      await checkForgePermissions(config);
      for (const warning of await queueModeWarnings(config)) log(`warning: ${warning}`);
      worker = await startWorker({ config, address });
      if (!devServer) {
        // An existing cluster may not know Shepherd's search attributes yet; without them every
        // workflow start is refused. Clusters that forbid this (Temporal Cloud) need them added by hand.
        await registerSearchAttributes(worker.client.connection, config.temporalNamespace).catch((err: unknown) =>
          log(`warning: could not register Shepherd's search attributes (${err instanceof Error ? err.message : String(err)}); add them as docs describe`),
        );
      }
      await startMergeRequestPolling(worker.client, config);
      if (config.evidenceRepos.length > 0) {
        const how = await ensureEvidenceSchedule(worker.client, { cron: config.evidenceCron, timeZone: config.evidenceTimezone, taskQueue: config.taskQueue });
        log(`evidence report: Schedule shepherd-evidence ${how} (${config.evidenceCron}, ${config.evidenceTimezone})`);
      }
      log(`worker polling task queue "${config.taskQueue}" on ${address}`);
      if (!config.gitlabUrl || !config.authToken) {
        log('note: no GitLab configured (gitlab-url, auth-token-file): merge requests cannot be processed until it is');
      }
    }
    if (parts.api) {
      api = await listen(config, address);
      log(`webhook API: ${api.url}/webhooks/gitlab (health: ${api.url}/healthz)`);
      if (!config.gitlabWebhookSecret) {
        log('note: no gitlab-webhook-secret configured: every GitLab webhook is refused with 401');
      }
    }
    return { stop, apiUrl: api?.url, temporalAddress: address, uiUrl: devServer?.uiUrl };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs until Ctrl-C / SIGTERM, then stops everything it started. */
export async function runUntilSignalled(running: Running): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping...`);
      running.stop().then(resolve, (err: unknown) => {
        process.stderr.write(`[shepherd] error while stopping: ${String(err)}\n`);
        resolve();
      });
    };
    // `on`, not `once`: a second Ctrl-C while stopping must not kill the process half-way.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  log('stopped');
}

/** Runs run-once against temporal-address, or an in-memory dev server that lives as long as it. */
async function runOnceCommand(config: ShepherdConfig): Promise<number> {
  installRuntimeLogging(config.debug);
  let devServer: DevServer | undefined;
  try {
    let address = config.temporalAddress;
    if (!address) {
      devServer = await startDevServer({ port: await freePort() });
      address = devServer.address;
    }
    const result = await runOnce(config, { address });
    for (const line of result.lines) process.stdout.write(`${line}\n`);
    return result.code;
  } finally {
    await devServer?.stop();
  }
}

/** `shepherd evidence --month`: against temporal-address, or an in-memory dev server of its own. */
async function evidenceCliCommand(config: ShepherdConfig, month: string): Promise<number> {
  installRuntimeLogging(config.debug);
  let devServer: DevServer | undefined;
  try {
    let address = config.temporalAddress;
    if (!address) {
      devServer = await startDevServer({ port: await freePort() });
      address = devServer.address;
    }
    const result = await evidenceCommand(config, { address, month });
    for (const line of result.lines) (result.code === 0 ? process.stdout : process.stderr).write(`${line}\n`);
    return result.code;
  } finally {
    await devServer?.stop();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE + optionHelp() + '\n');
    return 0;
  }
  if (command === 'embargo') {
    const result = embargoCommand(rest);
    (result.code === 0 ? process.stdout : process.stderr).write(result.out + '\n');
    return result.code;
  }
  let month: string | undefined;
  let options = rest;
  if (command === 'evidence') {
    const parsed = monthArgument(rest);
    if (parsed.error || !parsed.month) {
      process.stderr.write(`shepherd evidence: ${parsed.error ?? '--month YYYY-MM is required, e.g. --month 2026-10'}\n`);
      return 2;
    }
    month = parsed.month;
    options = parsed.rest;
  }
  let loaded;
  try {
    loaded = loadConfig({ argv: options, env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`shepherd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (loaded.rest.length) {
    process.stderr.write(`shepherd ${command}: unexpected argument(s): ${loaded.rest.join(' ')}\n`);
    return 2;
  }
  const { config } = loaded;
  for (const warning of loaded.warnings) process.stderr.write(`shepherd: warning: ${warning}\n`);
  switch (command) {
    case 'config':
      process.stdout.write(describeConfig(loaded) + '\n');
      return 0;
    case 'run-once':
      return runOnceCommand(config);
    case 'evidence':
      return evidenceCliCommand(config, month as string);
    case 'start':
      if (config.cli) return runOnceCommand(config);
      await runUntilSignalled(await startShepherd(config, { api: true, worker: true, embedded: true }));
      return 0;
    case 'api':
      await runUntilSignalled(await startShepherd(config, { api: true, worker: false, embedded: false }));
      return 0;
    case 'worker':
      await runUntilSignalled(await startShepherd(config, { api: false, worker: true, embedded: false }));
      return 0;
    default:
      process.stderr.write(`shepherd: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`shepherd: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
