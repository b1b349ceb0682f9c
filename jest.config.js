// Six tiers (unit, workflows, integration, security, chaos, e2e). `npm test` runs them all; each can run alone with
// --selectProjects. Sources are TypeScript compiled by SWC on the fly.
const transform = {
  '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
};
// jose 6 and node-pg-migrate 9 ship only ES modules; Jest (on Node 20) loads CommonJS, so SWC compiles them like our sources.
const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(jose|node-pg-migrate)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  // Workflow and integration tests start real servers; a hung test still fails, just later.
  testTimeout: 180_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'workflows',
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/integration-setup.ts',
      globalTeardown: '<rootDir>/test/harness/integration-teardown.ts',
    },
    // Attacks as an outsider sends them (raw Temporal signals and updates, forged or replayed tokens,
    // a forged audit trail): each file starts its own dev server and runs its guardians side by side.
    { ...common, displayName: 'security', testMatch: ['<rootDir>/test/security/**/*.test.ts'] },
    // Faults on purpose (a killed server or worker, Prometheus down, failing targets, hostile input):
    // each test starts its own dev server and real parts, so the tier runs after integration.
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'] },
    // The demo start to finish, and the Web UI in headless Chromium; the demo brings its own stack.
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
