// The rule of issue 14 item 7: every ts/js snippet in README.md, docs/ and the package and example
// READMEs compiles (strict, against the workspace packages), so the docs cannot drift from the code.
// The conventions (prelude of free names, markers) are in ./snippets.ts.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { allSnippets, checkSnippets, docFiles, extractSnippets, type Snippet, type SnippetFailure } from './snippets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// One program for all snippets takes a few seconds; on a loaded machine, more.
const PROGRAM_TIMEOUT = 180_000;

// Raise these when docs gain snippets; a drop means the extractor stopped finding blocks.
const MIN_CHECKED = 45;
const EXPECTED_SKIPS = [
  'docs/migrating/express-jwt.md',
  'docs/migrating/express-oauth2-jwt-bearer.md',
  'docs/migrating/fastify-jwt.md',
  'docs/migrating/koa-jwt.md',
  // GraphQL's packages (optional peers) are not in the workspace; the two "before" blocks are the code being replaced.
  'docs/nestjs.md',
  'docs/nestjs.md',
  'docs/nestjs.md',
  // The guard's `dpop` option lands with core's DPoP check, merged separately.
  'packages/redis/README.md',
];

describe('docs snippets', () => {
  let snippets: Snippet[];
  let failures: SnippetFailure[];

  beforeAll(() => {
    snippets = allSnippets(root);
    failures = checkSnippets(root, snippets);
  }, PROGRAM_TIMEOUT);

  it('covers README.md, docs/**, packages/*/README.md and examples/*/README.md', () => {
    const files = docFiles(root);
    for (const file of ['README.md', 'docs/express.md', 'docs/migrating/koa-jwt.md', 'packages/redis/README.md', 'examples/metrics/README.md']) {
      expect(files).toContain(file);
    }
  });

  it(`checks at least ${MIN_CHECKED} snippets, and skips only those that say why`, () => {
    const checked = snippets.filter((snippet) => !snippet.skip);
    const skipped = snippets.filter((snippet) => snippet.skip);
    expect(checked.length).toBeGreaterThanOrEqual(MIN_CHECKED);
    // The list, so that a new skip is a visible change of this test, not a silent one.
    expect(skipped.map((snippet) => snippet.file).sort()).toEqual(EXPECTED_SKIPS);
    for (const snippet of skipped) expect(snippet.skip).toMatch(/\w{3,}/);
  });

  it('every checked snippet compiles (file:line and the compiler message otherwise)', () => {
    expect(failures.map((failure) => `${failure.location}: ${failure.message}`)).toEqual([]);
  });
});

describe('the snippet checker (so that it cannot pass vacuously)', () => {
  const markdown = [
    '# A doc',
    '',
    '```ts',
    "import { createVerifier } from '@jwt-guard/core';",
    "const verifier = createVerifier({ jwksUri: 'https://id.example.com/jwks', issuer: 'https://id.example.com/', audience: 'api' });",
    "const n: number = verifier;",
    '```',
    '',
    '```sh',
    'this is not compiled',
    '```',
    '```json',
    '{"a":1}',
    '{"b":2,}',
    '```',
    '',
    '1. In a list:',
    '   <!-- snippet: express -->',
    '   ```js',
    '   app.use(jwtGuard({ jwksUri, issuer, audience: 42 }));',
    '   ```',
    '',
    '<!-- snippet: skip (a reason) -->',
    '```typescript',
    'not even valid',
    '```',
    '',
    '```ts',
    "import { requireScope } from '@jwt-guard/express';",
    "app.get('/orders', requireScope('orders:read'), (req, res) => res.json({ sub: req.auth?.payload.sub }));",
    '```',
  ].join('\n');

  it('extracts ts/typescript/js/json blocks with their lines, markers and framework; not sh', () => {
    const snippets = extractSnippets('docs/guide.md', markdown);
    expect(snippets.map(({ line, language, framework, skip }) => ({ line, language, framework, skip }))).toEqual([
      { line: 4, language: 'ts', framework: undefined, skip: undefined },
      { line: 13, language: 'json', framework: undefined, skip: undefined },
      { line: 20, language: 'js', framework: 'express', skip: undefined },
      { line: 25, language: 'ts', framework: undefined, skip: 'a reason' },
      { line: 29, language: 'ts', framework: 'express', skip: undefined },
    ]);
    // Without an import or a marker, the file's framework.
    expect(extractSnippets('docs/migrating/koa-jwt.md', '```ts\napp.use(x);\n```')[0]?.framework).toBe('koa');
    expect(snippets[2]?.code).toBe('app.use(jwtGuard({ jwksUri, issuer, audience: 42 }));');
  });

  it('refuses a skip without a reason and an unknown marker', () => {
    expect(() => extractSnippets('a.md', '<!-- snippet: skip -->\n```ts\nx\n```')).toThrow(/needs a reason/);
    expect(() => extractSnippets('a.md', '<!-- snippet: fragmnet -->\n```ts\nx\n```')).toThrow(/unknown snippet marker/);
  });

  it(
    'reports a broken snippet as file:line with the compiler message, and passes a good one',
    () => {
      const failures = checkSnippets(root, extractSnippets('docs/guide.md', markdown));
      const messages = failures.map((failure) => `${failure.location}: ${failure.message}`);
      expect(messages).toEqual([
        expect.stringMatching(/^docs\/guide\.md:14: JSON: /),
        expect.stringMatching(/^docs\/guide\.md:6: TS2322: Type '.*' is not assignable to type 'number'/),
        expect.stringMatching(/^docs\/guide\.md:20: TS2322: Type 'number' is not assignable to type /),
      ]);
    },
    PROGRAM_TIMEOUT,
  );
});
