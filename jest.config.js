// One jest run for every kind of test. Unit tests need nothing; workflow, integration and e2e
// tests share the Temporal dev server that globalSetup starts once (see test/setup/).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  transformIgnorePatterns: [
    '/node_modules/(?!(@octokit|universal-user-agent|before-after-hook|bottleneck|fast-content-type-parse|json-with-bigint|content-type)/)',
  ],
  setupFiles: ['<rootDir>/test/setup/quietTemporal.ts'],
  globalSetup: '<rootDir>/test/setup/globalSetup.ts',
  globalTeardown: '<rootDir>/test/setup/globalTeardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
