// Types for workspace-packages.mjs, so the TypeScript packaging tests can import it.
export interface WorkspacePackage {
  name: string;
  dir: string;
  manifest: PackageManifest;
}

export interface PackageManifest {
  name: string;
  version?: string;
  private?: boolean;
  main?: string;
  types?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

export interface EntryPoint {
  subpath: string;
  specifier: string;
  exportsEntry: unknown;
}

export interface InstalledPackage extends WorkspacePackage {
  installedDir: string;
  tarball: string;
  packedManifest: PackageManifest;
}

export interface Consumer {
  root: string;
  nodeModules: string;
  packages: InstalledPackage[];
  dispose(): Promise<void>;
}

export const repoRoot: string;
export function publicPackages(): WorkspacePackage[];
export function pnpmCommand(): [string, string[]];
export function packPackage(dir: string, destination: string): Promise<string>;
export function resolveExportTarget(target: unknown, conditions: readonly string[]): string | undefined;
export function entryPoints(manifest: PackageManifest): EntryPoint[];
export function createConsumer(options?: { packages?: WorkspacePackage[]; parent?: string }): Promise<Consumer>;
