// ESLint 9 flat config: the recommended rules of ESLint and typescript-eslint over every
// TypeScript and JavaScript file; formatting is Prettier's job (.prettierrc), not ESLint's.
// `npm run lint` runs it (with Prettier and clang-format); `npm run format` fixes what can be fixed.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      'dist/',
      'bench-results/',
      'test-artifacts/',
      '.nx/',
      'native/generated/',
      // Written by codegen; its text is checked byte for byte by `codegen --check`.
      'packages/codegen/src/config.generated.ts',
      // Test inputs that are wrong on purpose (bad box declarations, type errors to detect).
      'packages/codegen/fixtures/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      // Every file runs under Node: tools, tests, codegen, scripts.
      globals: globals.node,
    },
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring to drop a key, required parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
);
