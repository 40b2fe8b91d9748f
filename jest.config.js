/**
 * Jest: TypeScript through ts-jest (transpile only; `npm run typecheck` does the type checking),
 * in two projects:
 *
 * - `unit`: pure code and local files only (status engine, normalisers, validation, SQL rendering,
 *   referentials, descriptors, CLI commands that reach no service). No global set-up; a guard
 *   (test/support/no-services.ts) fails any connection to a service port. `npm run test:unit`.
 * - `integration`: everything else, against the real Kafka, schema registry, ClickHouse and Redis,
 *   which the global set-up starts when they are not running (test/support/global-setup.ts).
 *
 * A new test file is an integration test unless it is listed in UNIT.
 */
const UNIT = [
  'test/schemas.test.ts',
  'test/status/*.test.ts',
  'test/api/params.test.ts',
  'test/api/secrecy.test.ts',
  'test/api/sql-render.test.ts',
  'test/api/tokens.test.ts',
  'test/chdb/registry.test.ts',
  'test/connectors/dossier.test.ts',
  'test/connectors/files.test.ts',
  'test/connectors/limits.test.ts',
  'test/connectors/normalisers.test.ts',
  'test/connectors/stages.test.ts',
  'test/fixtures/fixtures.test.ts',
  'test/infra/build.test.ts',
  'test/missions-locales/model.test.ts',
  'test/streams/alerts.test.ts',
  'test/streams/learner.test.ts',
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};

module.exports = {
  // A global option: Jest ignores it inside a project's configuration.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: UNIT.map((f) => `<rootDir>/${f}`),
      setupFiles: ['<rootDir>/test/support/no-services.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      rootDir: __dirname,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: UNIT.map(
        (f) => `^<rootDir>/${f.replace(/[.]/g, '\\.').replace('*', '[^/]*')}$`,
      ),
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
