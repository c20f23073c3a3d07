/**
 * In-process timing of `guard.authenticate` for Parts C and E: the same number of calls per guard
 * and round, guards in alternating order, thread CPU per call; each row's added cost is its
 * round's difference to the first guard (the baseline), median over rounds.
 */
import type { Guard, GuardRequest } from '@jwt-guard/core';
import { median, processCpuUs, roundOrder, threadCpuNs } from './common.js';

/** The main thread's CPU in ns (the process's where the kernel gives no thread figure). */
const cpuNs = (): number => threadCpuNs() ?? processCpuUs() * 1000;

export interface GuardCase {
  label: string;
  guard: Guard;
  /** Sent in turn, one per call. */
  requests: readonly GuardRequest[];
}

export interface GuardRow {
  label: string;
  /** median thread CPU per call, µs */
  cpuUs: number;
  /** median over rounds of (this − the first case), µs */
  addedUs: number;
}

/** Throws unless `guard` authenticates `request` synchronously: a cached token must, so no row can time a refusal. */
export function assertAuthenticatedNow(part: string, label: string, guard: Guard, request: GuardRequest): void {
  const outcome = guard.authenticate(request);
  if (outcome instanceof Promise || outcome.type !== 'authenticated') {
    throw new Error(`part ${part}: ${label} did not authenticate synchronously (a cached token must): ${outcome instanceof Promise ? 'a promise' : outcome.type}`);
  }
}

/** Checks each case's requests, warms each guard up (the token gets cached), then times the rounds. */
export function measureGuards(part: string, cases: readonly GuardCase[], options: { rounds: number; iterations: number }): GuardRow[] {
  const { rounds, iterations } = options;
  for (const { label, guard, requests } of cases) {
    for (const request of requests) assertAuthenticatedNow(part, label, guard, request);
    for (let i = 0; i < iterations; i++) void guard.authenticate(requests[i % requests.length]!);
  }
  const perRound: number[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const index of roundOrder(cases.map((_, i) => i), round)) {
      const { guard, requests } = cases[index]!;
      const started = cpuNs();
      for (let i = 0; i < iterations; i++) void guard.authenticate(requests[i % requests.length]!);
      perRound[index]!.push((cpuNs() - started) / iterations / 1000);
    }
  }
  return cases.map((spec, index) => ({
    label: spec.label,
    cpuUs: median(perRound[index]!),
    addedUs: median(perRound[index]!.map((cost, round) => cost - perRound[0]![round]!)),
  }));
}
