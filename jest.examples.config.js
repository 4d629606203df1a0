/**
 * `npm run docs:examples`: not a test, a recording of one request and answer per route from a
 * real run (test/docs/examples.record.ts), into apps/gateway/src/docs/examples.json (committed),
 * which the OpenAPI document shows as its examples.
 */
const { projects } = require('./jest.config.js');

const integration = projects.find((p) => p.displayName === 'integration');

module.exports = {
  ...integration,
  displayName: 'examples',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/docs/examples.record.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
