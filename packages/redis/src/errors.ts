import { JwtGuardError } from '@jwt-guard/core';

/** A start-up error worded and coded as core's own (`config_invalid`). */
export function configError(message: string): JwtGuardError {
  return new JwtGuardError('config_invalid', `jwt-guard configuration: ${message}`);
}
