import * as core from '@jwt-guard/core';

type ClosestName = (name: string, known: readonly string[]) => string | undefined;

/**
 * The known name a typo most likely meant: core's `closestName` (the same "did you mean" as the
 * verifier's options), used when the core build exports it. Without that export, no suggestion,
 * rather than a second copy of the edit distance here.
 */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  const closestName = (core as Record<string, unknown>).closestName as ClosestName | undefined;
  return typeof closestName === 'function' ? closestName(name, known) : undefined;
}
