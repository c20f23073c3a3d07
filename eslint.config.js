// @ts-check
// ESLint 9 flat config for the whole workspace.
//
// TypeScript is linted with typescript-eslint's type-aware `recommendedTypeChecked` set (it is what
// catches floating promises and misused async callbacks, which matter in middleware). Type
// information comes from `parserOptions.projectService`, i.e. the nearest tsconfig.json of each
// file; the few root-level config files that no tsconfig includes use the default project.
// Plain JavaScript (.js/.mjs/.cjs: scripts, configs, the Jest packaging project) gets the
// JavaScript recommended rules without type information.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    name: 'jwt-guard/ignores',
    ignores: [
      '**/dist/**',
      'bench/.scratch/**', // local, untracked experiments
      '**/node_modules/**',
      '**/coverage/**',
      '**/*.d.ts',
      '**/*.d.cts',
      '**/*.d.mts',
    ],
  },
  {
    name: 'jwt-guard/linter-options',
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
  },

  // --- Every file -------------------------------------------------------------------------------
  js.configs.recommended,
  {
    name: 'jwt-guard/all-files',
    rules: {
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-throw-literal': 'off', // superseded by @typescript-eslint/only-throw-error in TS files
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },

  // --- TypeScript, with type information ----------------------------------------------------------
  {
    name: 'jwt-guard/typescript',
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Build configs at the root and in each package are not part of any tsconfig.json.
          allowDefaultProject: ['tsup.shared.ts', 'packages/*/tsup.config.ts', 'examples/*/tsup.config.ts'],
          // One tsup config per package: more than the default limit of 8, and each a few lines.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 32,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // (Type-only imports are enforced by tsc itself: `verbatimModuleSyntax` is on.)
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Style only (tsc already checks the types) and auto-fixable with `eslint --fix`: a warning.
      '@typescript-eslint/no-unnecessary-type-assertion': 'warn',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
      // An `async` function without `await` is fine, and for handlers even useful: whatever it
      // throws becomes a rejection the framework (Koa, Fastify) handles. Off everywhere.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // --- Framework typings: permanent, deliberate exceptions ------------------------------------------
  {
    // Fastify awaits the promise an async hook or preHandler returns; its typings declare the
    // callback-style signatures, hence the void-return reports.
    name: 'jwt-guard/fastify-async-hooks',
    files: ['packages/fastify/src/**/*.ts', 'examples/fastify/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }] },
  },
  {
    // @types/koa declares `Next` as `() => Promise<any>`; `return next()` is the Koa idiom.
    name: 'jwt-guard/koa-next',
    files: ['packages/koa/src/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-return': 'off' },
  },

  // --- Tests: same type-aware checks, fewer constraints on deliberately odd input --------------------
  {
    name: 'jwt-guard/tests',
    files: ['packages/*/test/**/*.ts', 'test/**/*.ts', 'examples/*/test/**/*.ts'],
    rules: {
      // Tests deliberately pass malformed input (`as any`, `{} as never`) and poke at mocks.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `expect(obj.method).toHaveBeenCalled()` is the usual false positive.
      '@typescript-eslint/unbound-method': 'off',
      // Handing `koaApp.callback()` (promise-returning) to `http.createServer` is fine: Koa handles
      // its own errors. Async functions assigned to void-typed variables are still reported.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },

  {
    // The demo hands Koa's `app.callback()` to `http.createServer` too.
    name: 'jwt-guard/dev-scripts',
    files: ['scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }] },
  },

  // --- JavaScript: no type information --------------------------------------------------------------
  {
    name: 'jwt-guard/javascript',
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
  {
    name: 'jwt-guard/commonjs',
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Scripts served to the browser as they are (no build step): browser globals, not Node's.
    name: 'jwt-guard/browser-scripts',
    files: ['examples/*/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    name: 'jwt-guard/jest-packaging-tests',
    files: ['test/packaging/jest/**/*.{js,cjs}'],
    languageOptions: { globals: { ...globals.jest } },
  },
);
