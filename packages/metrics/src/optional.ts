import { createRequire } from 'node:module';

/**
 * Loads an optional peer dependency (a CommonJS-compatible package) if it is installed, from this
 * package's location, so the application and jwt-guard share one copy of it.
 */
export function loadOptional<T>(name: string): T | undefined {
  try {
    const require = createRequire(import.meta.url);
    return require(name) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}
