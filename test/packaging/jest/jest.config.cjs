// Jest 30 project for the packaging tests: real Jest module system (jest-runtime's own
// `require`, no transform), loading the built CommonJS output of every public package.
//
// Run by test/packaging/packaging.test.ts, which packs the packages into a throw-away consumer
// project, copies the test files there and points JWT_GUARD_CONSUMER_DIR at it, so `require`
// resolves the packed tarballs exactly as an application's would.
// Run directly (`pnpm exec jest -c test/packaging/jest/jest.config.cjs`, after `pnpm build`), it
// uses the workspace links in test/node_modules instead.
'use strict';

const path = require('node:path');

const consumerDir = process.env.JWT_GUARD_CONSUMER_DIR;

/** @type {import('jest').Config} */
module.exports = {
  rootDir: consumerDir ? path.resolve(consumerDir) : __dirname,
  roots: ['<rootDir>'],
  testEnvironment: 'node',
  testMatch: ['**/*.test.cjs'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: {},
  watchman: false,
  cacheDirectory: path.join(require('node:os').tmpdir(), 'jwt-guard-jest-cache'),
};
