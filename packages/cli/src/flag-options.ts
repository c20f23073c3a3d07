import { readConfig } from './config-file.js';
import type { InspectOptions } from './inspect.js';
import { parseSecretEncoding } from './secret.js';

/** The flags `inspect` and `audit` share, as parseArgs gives them. */
export interface SharedFlags {
  config?: string | undefined;
  issuer?: string[] | undefined;
  audience?: string[] | undefined;
  'jwks-uri'?: string | undefined;
  jwks?: string | undefined;
  'jwks-env'?: string | undefined;
  'secret-env'?: string | undefined;
  'secret-encoding'?: string | undefined;
  discovery?: boolean | undefined;
  alg?: string[] | undefined;
  typ?: string | undefined;
  'revoked-jti'?: string[] | undefined;
}

/** `--config FILE` first, then each flag given over it: the configuration both commands review. */
export async function optionsFromFlags(values: SharedFlags, env: Record<string, string | undefined> | undefined): Promise<InspectOptions> {
  const options: InspectOptions = values.config === undefined ? {} : await readConfig(values.config);
  const set = <K extends keyof InspectOptions>(key: K, value: InspectOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('issuer', values.issuer);
  set('audience', values.audience);
  set('jwksUri', values['jwks-uri']);
  set('jwksFile', values.jwks);
  set('jwksEnv', values['jwks-env']);
  if (env !== undefined) options.env = env;
  set('secretEnv', values['secret-env']);
  set('secretEncoding', parseSecretEncoding(values['secret-encoding']));
  set('discovery', values.discovery);
  set('algorithms', values.alg);
  set('typ', values.typ);
  set('revokedJtis', values['revoked-jti']);
  return options;
}
