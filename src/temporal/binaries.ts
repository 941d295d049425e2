import path from 'node:path';

interface Located {
  cli?: string;
  cliSource?: string;
  testServer?: string;
  testServerSource?: string;
}

// The same lookup the postinstall script uses, so `npm start`, tests and setup agree.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lookup = require(path.resolve(__dirname, '../../scripts/temporal-binaries.js')) as {
  locateTemporalBinaries(): Located;
  HOW_TO_INSTALL: string;
};

export function temporalCliPath(): string {
  const found = lookup.locateTemporalBinaries();
  if (!found.cli) {
    throw new Error(`The Temporal CLI (\`temporal\`) was not found. ${lookup.HOW_TO_INSTALL}`);
  }
  return found.cli;
}

export function temporalTestServerPath(): string {
  const found = lookup.locateTemporalBinaries();
  if (!found.testServer) {
    throw new Error(`The Temporal time-skipping test server was not found. ${lookup.HOW_TO_INSTALL}`);
  }
  return found.testServer;
}
