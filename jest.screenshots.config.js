/**
 * `npm run console:screenshots`: not a test, a picture of every console page at a desktop and a
 * phone size (screenshots/console/, git-ignored), on the same test bed as the browser tests.
 */
const { projects } = require('./jest.config.js');

const integration = projects.find((p) => p.displayName === 'integration');

module.exports = {
  ...integration,
  displayName: 'screenshots',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/console/console.screenshots.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
