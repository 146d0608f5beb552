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
  // After its last suite a jest worker process holds no handle Node can list (no socket, timer or child), yet its
  // exit, with the Temporal native runtime torn down, can outlast jest's default 500 ms on a loaded 2-core machine.
  // Some full runs still report a forced exit after 10 s: something Node does not list holds the process then.
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
