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

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**'] },
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
    // The scripts and tool configs are CommonJS run by Node directly.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
