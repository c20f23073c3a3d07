// The docs snippet checker: finds the code blocks of the Markdown docs and type-checks them all in one
// ts.Program (virtual files), so that the docs cannot drift from the code again.
//
// Conventions (for whoever writes docs):
// - ```ts / ```typescript blocks are checked as TypeScript modules, ```js / ```javascript blocks as
//   JavaScript modules (checkJs; an implicit `any` is not reported there), strict, with the repo's tsconfig (the same `@jwt-guard/*` paths).
//   ```json blocks are parsed (as one document, or line by line: JSON Lines, as log samples are).
//   Other blocks (sh, bash, plain text) are not compiled: they are commands and sample output.
// - A block may use a few free names (app, options, jwksUri, token, listOrders…): the prelude below
//   declares them with real types, for one framework, unless the block declares or imports the name
//   itself. The framework is the one the block imports (`@jwt-guard/express`, `express`, …), else the
//   one a marker names, else the one the file is about (docs/koa.md, packages/koa/README.md,
//   docs/migrating/koa-jwt.md), else none (then `app` is an unknown name and the block fails).
// - A marker is an HTML comment on the line just before the fence:
//     <!-- snippet: express -->                 the framework for the prelude
//     <!-- snippet: skip (the reason) -->       not checked; the reason is required, and skips are listed
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

export type Framework = 'express' | 'koa' | 'fastify';
export type Language = 'ts' | 'js' | 'json';

export interface Snippet {
  /** The Markdown file, relative to the repo root. */
  file: string;
  /** 1-based line of the first code line (the line after the opening fence). */
  line: number;
  language: Language;
  code: string;
  framework: Framework | undefined;
  /** Set when a `<!-- snippet: skip (reason) -->` marker precedes the block. */
  skip?: string;
}

export interface SnippetFailure {
  /** `file:line` in the Markdown file. */
  location: string;
  message: string;
  snippet: Snippet;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;
const MARKER = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/;
const LANGUAGES: Record<string, Language> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', json: 'json' };
const FRAMEWORKS: readonly Framework[] = ['express', 'koa', 'fastify'];

/** The blocks of one Markdown text (`file` only names it in the result). */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '```', info = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const text = lines[end] ?? '';
      if (text.trim().startsWith(fence) && text.trim().replace(/[`~]/g, '') === '') break;
      // A block inside a list item is indented: drop the fence's indentation from its lines.
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
    }
    const language = LANGUAGES[info.toLowerCase()];
    if (language) {
      const marker = MARKER.exec(lines[index - 1] ?? '')?.[1];
      snippets.push(makeSnippet(file, index + 2, language, body.join('\n'), marker));
    }
    index = end;
  }
  return snippets;
}

function makeSnippet(file: string, line: number, language: Language, code: string, marker: string | undefined): Snippet {
  const snippet: Snippet = { file, line, language, code, framework: frameworkOf(file, code, marker) };
  if (marker !== undefined) {
    const skip = /^skip\b\s*(?:\((.*)\))?/.exec(marker);
    if (skip) {
      // A skip without a reason is not a skip: the rule is that every block is checked or says why not.
      if (!skip[1]?.trim()) throw new Error(`${file}:${line}: a "snippet: skip" marker needs a reason: <!-- snippet: skip (why) -->`);
      snippet.skip = skip[1].trim();
    } else if (!FRAMEWORKS.includes(marker as Framework)) {
      throw new Error(`${file}:${line}: unknown snippet marker "${marker}" (expected express, koa, fastify or skip (reason))`);
    }
  }
  return snippet;
}

function frameworkOf(file: string, code: string, marker: string | undefined): Framework | undefined {
  for (const framework of FRAMEWORKS) {
    if (new RegExp(`from '(@jwt-guard/)?${framework}'`).test(code)) return framework;
  }
  if (marker && FRAMEWORKS.includes(marker as Framework)) return marker as Framework;
  return FRAMEWORKS.find((framework) => new RegExp(`(^|/)${framework}([./-]|$)`).test(file.replace(/^docs\/|^packages\//, '')));
}

/** The Markdown files the rule covers: README.md, docs/**, packages/* and examples/* READMEs. */
export function docFiles(root: string): string[] {
  const files = ['README.md', 'SECURITY.md'].filter((file) => existsSync(join(root, file)));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  for (const parent of ['packages', 'examples']) {
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'README.md'))) files.push(`${parent}/${entry.name}/README.md`);
    }
  }
  return files;
}

// The free names a block may use. Each is declared only if the block does not declare it itself;
// `import()` types keep the prelude free of names of its own.
const COMMON: Record<string, string> = {
  jwksUri: 'declare const jwksUri: string;',
  issuer: 'declare const issuer: string;',
  audience: 'declare const audience: string;',
  token: 'declare const token: string;',
  leakedToken: 'declare const leakedToken: string;',
  accessToken: 'declare const accessToken: string;',
  logger: "declare const logger: import('pino').Logger;",
  request: "declare const request: typeof import('supertest');",
  createTestIssuer: "declare const createTestIssuer: typeof import('@jwt-guard/testing').createTestIssuer;",
  bearer: "declare const bearer: typeof import('@jwt-guard/testing').bearer;",
  // A block that goes on from the one before it (packages/testing/README.md, docs/observability.md).
  serveJwks: "declare const serveJwks: typeof import('@jwt-guard/testing').serveJwks;",
  keys: "declare const keys: import('@jwt-guard/testing').TestKeys;",
  nextKeys: "declare const nextKeys: import('@jwt-guard/testing').TestKeys;",
  store: "declare const store: import('@jwt-guard/core').RevocationStore;",
  metrics: "declare const metrics: ReturnType<typeof import('@jwt-guard/metrics').prometheusMetrics>;",
  // docs/refresh-tokens.md: the client's token pair and its refresh call.
  tokens: 'declare let tokens: { access: string; refresh: string };',
  refresh: 'declare function refresh(refreshToken: string): Promise<{ access: string; refresh: string }>;',
};

const ADAPTER_EXPORTS = ['jwtGuard', 'requireScope', 'requireAnyScope', 'requireClaim', 'getAuth', 'fromCookie', 'secretFromEnv', 'createVerifier'];

function adapterNames(framework: Framework): Record<string, string> {
  return Object.fromEntries(ADAPTER_EXPORTS.map((name) => [name, `declare const ${name}: typeof import('@jwt-guard/${framework}').${name};`]));
}

const PRELUDES: Record<Framework, Record<string, string>> = {
  express: {
    ...adapterNames('express'),
    express: "declare const express: typeof import('express');",
    app: "declare const app: import('express').Express;",
    res: "declare const res: import('express').Response;",
    options: "declare const options: import('@jwt-guard/express').ExpressGuardOptions;",
    listOrders: "declare const listOrders: import('express').RequestHandler;",
    health: "declare const health: import('express').RequestHandler;",
    refund: "declare const refund: import('express').RequestHandler;",
    reports: "declare const reports: import('express').RequestHandler;",
  },
  koa: {
    ...adapterNames('koa'),
    Koa: "declare const Koa: typeof import('koa');",
    app: "declare const app: import('koa')<import('@jwt-guard/koa').JwtGuardState>;",
    router: "declare const router: import('@koa/router').default<import('@jwt-guard/koa').JwtGuardState>;",
    publicRouter: "declare const publicRouter: import('@koa/router').default;",
    options: "declare const options: import('@jwt-guard/koa').KoaGuardOptions;",
    listOrders: 'declare function listOrders(sub: string | undefined): unknown;',
  },
  fastify: {
    ...adapterNames('fastify'),
    Fastify: "declare const Fastify: typeof import('fastify').default;",
    app: "declare const app: import('fastify').FastifyInstance;",
    options: "declare const options: import('@jwt-guard/fastify').FastifyGuardOptions;",
    // A route handler in docs/fastify.md, a function of the subject in docs/migrating/fastify-jwt.md.
    listOrders: "declare const listOrders: import('fastify').RouteHandlerMethod & ((sub: string | undefined) => Promise<unknown>);",
  },
};

/** The names a block declares or imports at its top level (these win over the prelude). */
function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile('snippet.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) addBinding(declaration.name);
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The text put before a block: `export {}` (every block is a module, so top-level await works) and the prelude. */
export function preludeFor(snippet: Snippet): string {
  const declared = declaredNames(snippet.code);
  const available = { ...COMMON, ...(snippet.framework ? PRELUDES[snippet.framework] : {}) };
  const lines = ['export {};'];
  for (const [name, declaration] of Object.entries(available)) {
    // Only the names the block uses: an unused declaration would hide nothing, but keeps the file short.
    if (!declared.has(name) && new RegExp(`\\b${name}\\b`).test(snippet.code)) {
      lines.push(snippet.language === 'js' ? jsDeclaration(declaration) : declaration);
    }
  }
  return `${lines.join('\n')}\n`;
}

// A JavaScript file cannot hold `declare const`: the same declaration as a JSDoc-typed variable.
function jsDeclaration(declaration: string): string {
  const match = /^declare (?:const|let) (\w+): (.*);$/.exec(declaration);
  if (!match) return `/** @type {any} */ let ${declaration.replace(/^declare function (\w+).*$/, '$1')};`;
  return `/** @type {${match[2]}} */ let ${match[1]} = /** @type {any} */ (undefined);`;
}

/**
 * Type-checks the snippets in one program. The virtual files sit in test/docs/ (so a bare package
 * name resolves as the tests' own imports do: test/node_modules), falling back to the packages and
 * examples that depend on it (pino, prom-client, redis): a user installs those beside jwt-guard.
 */
export function checkSnippets(root: string, snippets: readonly Snippet[]): SnippetFailure[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, allowJs: true, checkJs: true };

  const failures: SnippetFailure[] = snippets.filter((snippet) => snippet.language === 'json' && !snippet.skip).flatMap(jsonFailures);
  const virtual = new Map<string, { text: string; snippet: Snippet; preludeLines: number }>();
  const checked = snippets.filter((snippet) => !snippet.skip && snippet.language !== 'json');
  checked.forEach((snippet, index) => {
    const prelude = preludeFor(snippet);
    const name = join(root, 'test', 'docs', '__snippets__', `${index}-${snippet.file.replace(/[^\w]+/g, '_')}-${snippet.line}.${snippet.language === 'ts' ? 'mts' : 'mjs'}`);
    virtual.set(name, { text: prelude + snippet.code + '\n', snippet, preludeLines: prelude.split('\n').length - 1 });
  });

  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (file) => virtual.has(file) || ts.sys.fileExists(file);
  host.readFile = (file) => virtual.get(file)?.text ?? readFile(file);
  host.getSourceFile = (file, language, onError, create) => {
    const entry = virtual.get(file);
    return entry ? ts.createSourceFile(file, entry.text, language, true) : getSourceFile(file, language, onError, create);
  };
  const fallbacks = [
    join(root, 'test', 'docs', 'x.ts'),
    ...['packages', 'examples'].flatMap((parent) => readdirSync(join(root, parent)).map((dir) => join(root, parent, dir, 'x.ts'))),
  ];
  const cache = ts.createModuleResolutionCache(root, (file) => file, options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, containing) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(containing, literal, compilerOptions);
      const first = ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, cache, redirected, mode);
      if (first.resolvedModule || !virtual.has(containingFile)) return first;
      for (const from of fallbacks) {
        const next = ts.resolveModuleName(literal.text, from, compilerOptions, host, undefined, redirected, mode);
        if (next.resolvedModule) return next;
      }
      return first;
    });

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  for (const [name, entry] of virtual) {
    const source = program.getSourceFile(name);
    if (!source) throw new Error(`${name} is not in the program`);
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].filter(
      // JavaScript has no annotations to give: its implicit `any`s are not mistakes (everything else is).
      (diagnostic) => entry.snippet.language === 'ts' || !JS_IMPLICIT_ANY.has(diagnostic.code),
    );
    for (const diagnostic of diagnostics) {
      const position = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : { line: 0, character: 0 };
      const inPrelude = position.line < entry.preludeLines;
      const line = inPrelude ? entry.snippet.line : entry.snippet.line + position.line - entry.preludeLines;
      failures.push({
        location: `${entry.snippet.file}:${line}`,
        message: `TS${diagnostic.code}${inPrelude ? ' (in the prelude)' : ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
        snippet: entry.snippet,
      });
    }
  }
  return failures;
}

// "Variable/parameter/member implicitly has an 'any' type" and its variants.
const JS_IMPLICIT_ANY = new Set([7005, 7006, 7008, 7019, 7031, 7034]);

/** A JSON block is one document, or one per line (JSON Lines). */
function jsonFailures(snippet: Snippet): SnippetFailure[] {
  const parse = (text: string): string | undefined => {
    try {
      JSON.parse(text);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  if (parse(snippet.code) === undefined) return [];
  return snippet.code.split('\n').flatMap((text, index) => {
    const message = text.trim() === '' ? undefined : parse(text);
    return message === undefined ? [] : [{ location: `${snippet.file}:${snippet.line + index}`, message: `JSON: ${message}`, snippet }];
  });
}

/** Every snippet of the docs the rule covers. */
export function allSnippets(root: string): Snippet[] {
  return docFiles(root).flatMap((file) => extractSnippets(file, readFileSync(join(root, file), 'utf8')));
}

export const repoRoot = (from: string): string => {
  let dir = from;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
  return dir;
};
