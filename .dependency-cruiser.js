/**
 * Boundaries of the monorepo, checked by `npm run lint:deps` (part of `npm test`):
 *   depcruise apps libs --config .dependency-cruiser.js
 *
 * Test code (`*.spec.ts`, `*.e2e-spec.ts`) counts as test code wherever it lives; everything
 * else under apps/ and libs/ is production code.
 */
const TEST_FILE = '\\.(spec|e2e-spec|test)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment:
        'An app does not import another app: services talk over NATS only. apps/all-in-one is the one exception, ' +
        'since it composes every service into one process.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/', pathNot: '^apps/all-in-one/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'contracts-framework-free',
      comment:
        'libs/contracts is the public contract (subjects, schemas, error catalog): no Nest, no ORM, no driver, ' +
        'and nothing from the other libs or the apps, so any client can use it.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: {
        path: ['node_modules/(@nestjs/|typeorm/|ioredis/|nats/|pg/|@types/pg/)', '^libs/(?!contracts/)', '^apps/'],
      },
    },
    {
      name: 'libs-not-to-apps',
      comment: 'Libraries are shared by the apps and never depend on one of them.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      comment: 'Circular imports make load order matter and Nest providers undefined at injection time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-production',
      comment: 'Production code never imports test support (test/) or test files.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: TEST_FILE },
      to: { path: ['^test/', TEST_FILE] },
    },
    {
      name: 'no-dev-deps-in-production',
      comment:
        'Production code imports only dependencies: the image runs after `npm prune --omit=dev`. ' +
        'Type-only imports vanish at compile time and are allowed.',
      severity: 'error',
      // The console is bundled at build time (its packages are build inputs, not run-time dependencies).
      from: { path: '^(apps|libs)/', pathNot: [TEST_FILE, '^apps/console/'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'console-types-only-from-libs',
      comment:
        'The console runs in the browser: it takes types from libs/contracts (they vanish when bundled), never ' +
        'their code (zod, validation, Node built-ins). The server decides; the console shows.',
      severity: 'error',
      from: { path: '^apps/console/' },
      to: { path: '^libs/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'Every import resolves. An alias the checker cannot follow would silently escape every rule above, ' +
        'so an unresolved one is an error here too.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Resolve @app/contracts and @app/platform through the same paths the compiler uses.
    tsConfig: { fileName: 'tsconfig.json' },
    // Count `import type` too: a type-only import of Nest in contracts still couples it.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.js', '.d.ts', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
