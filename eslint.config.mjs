// @ts-check
/**
 * ESLint, run by `npm test` (`npm run lint`). Formatting is Prettier's job (`npm run format:check`), so
 * no stylistic rule here. The rules are the recommended sets of ESLint and typescript-eslint, with
 * unused code an error: unused variables, imports, parameters (prefix `_` to keep one on purpose),
 * private class members, and `eslint-disable` comments that no longer suppress anything.
 */
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** A string that starts a statement; what `no-restricted-syntax` looks for outside repositories. */
const SQL_STATEMENT = String.raw`/\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s/`;
const SQL_MESSAGE = "No SQL outside *.repository.ts: move this statement into the service's repository.";

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'packages/*/dist/**', 'packages/*/src/generated/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // SQL lives in repositories only (`*.repository.ts`) and in migrations: services call
    // repositories, so the queries of one table space are in one place.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [
      '**/*.repository.ts',
      '**/migrations/**',
      '**/*.spec.ts',
      // Infrastructure, not data access: migration runner and database creation.
      'libs/platform/src/database/**',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['query', 'createQueryBuilder', 'getRepository'].map((method) => ({
          selector: `CallExpression[callee.property.name='${method}']`,
          message: `No SQL outside *.repository.ts: move this .${method}() into the service's repository.`,
        })),
        { selector: `Literal[value=${SQL_STATEMENT}]`, message: SQL_MESSAGE },
        { selector: `TemplateElement[value.raw=${SQL_STATEMENT}]`, message: SQL_MESSAGE },
      ],
    },
  },
  {
    // The scripts and tool configs are CommonJS run by Node directly.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
