import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from './helpers.js';

/** One answer of the crafted endpoint server: a body (JSON-encoded unless a string), headers, a delay. */
export interface Route {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Milliseconds before the headers are sent: a slow server. */
  delayMs?: number;
}

/** A local server for crafted discovery documents and JWKS: `routes` may be changed between tests. */
export interface EndpointServer {
  origin: string;
  routes: Map<string, Route>;
  close(): Promise<void>;
}

export async function startEndpointServer(): Promise<EndpointServer> {
  const routes = new Map<string, Route>();
  const server: Server = createServer((req, res) => {
    const route = routes.get((req.url ?? '').split('?')[0] ?? '');
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    const send = (): void => {
      if (res.destroyed) return;
      res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers });
      res.end(typeof route.body === 'string' ? route.body : JSON.stringify(route.body));
    };
    if (route.delayMs === undefined) send();
    else setTimeout(send, route.delayMs).unref();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface AuditFinding {
  id: string;
  severity: string;
  message: string;
  fix: string;
  subject?: string;
}

export interface AuditReport {
  findings: AuditFinding[];
  summary: { total: number; bySeverity: Record<string, number>; failOn: string; failed: boolean; checked: { discovery?: string; jwks?: string; tokens: number } };
}

/** `jwt-guard audit ... --json` through the built bin, its report parsed. */
export async function auditJson(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number; report: AuditReport; stdout: string; stderr: string }> {
  const run = await runCli(['audit', ...args, '--json'], options);
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    throw new Error(`audit --json printed no JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
  return { ...run, report };
}

/** The findings of one id. */
export const withId = (report: AuditReport, id: string): AuditFinding[] => report.findings.filter((item) => item.id === id);

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
/** A sample token as an issuer would send it; the audit decodes it without verifying, so the signature is junk. */
export const sampleToken = (header: Record<string, unknown>, payload: Record<string, unknown>): string => `${b64(header)}.${b64(payload)}.c2lnbmF0dXJl`;
