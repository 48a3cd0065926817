// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', 'packages/scheduler/bundle/**', '**/node_modules/**', 'coverage/**', 'state/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/daemons/**', '**/packages/*/src/**'] }],
    },
  },
  {
    // The house rule of DESIGN.md §2: core imports none of the other packages; nothing imports daemons.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@migrid/*', '**/scheduler/**', '**/fileservices/**', '**/web/**', '**/daemons/**', '**/packages/*/src/**'] }],
    },
  },
  {
    // miguser and the API client speak only the public HTTP API: no package internals, no core.
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@migrid/*', '**/packages/**', '**/daemons/**'] }],
    },
  },
  {
    // Browser scripts served as static files by the web app.
    files: ['packages/web/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', fetch: 'readonly', FormData: 'readonly', Blob: 'readonly', File: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', AbortController: 'readonly', XMLHttpRequest: 'readonly', Event: 'readonly', CustomEvent: 'readonly', HTMLElement: 'readonly', location: 'readonly', history: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', console: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', crypto: 'readonly' },
    },
  },
);
