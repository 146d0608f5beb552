/**
 * Two projects: `pure` suites need nothing but Node (the IR, the PII engine, pure units, replay of recorded
 * histories); `stack` suites run against the real stack, which its global setup brings up once per run.
 * `npx jest --selectProjects pure` runs the first alone, with no stack.
 */
const PURE_FOLDERS = ['ir', 'pii', 'unit', 'replay'];

const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  // @marcbachmann/cel-js, jose and oidc-provider ship ES modules only; jest's module system needs CommonJS.
  transform: { '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(@marcbachmann/cel-js|jose|oidc-provider)/)'],
};

module.exports = {
  maxWorkers: 2,
  testTimeout: 120_000,
  // A jest worker process's exit, with the Temporal native runtime torn down, can outlast jest's default 500 ms on a
  // loaded 2-core machine. (A forced exit after 10 s means a thread was left running: that was a failed Worker
  // creation's workflow sandbox, which src/worker/sandbox-releasing-worker.ts now destroys.)
  workerGracefulExitTimeout: 10_000,
  projects: [
    { ...shared, displayName: 'pure', roots: PURE_FOLDERS.map((folder) => `<rootDir>/test/${folder}`) },
    {
      ...shared,
      displayName: 'stack',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', ...PURE_FOLDERS.map((folder) => `<rootDir>/test/${folder}/`)],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
