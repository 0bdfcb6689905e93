// SecureStrings from SSM with the SDK client loaded on first use: a function whose secrets are plain settings never
// loads @aws-sdk/client-ssm (about 50 ms of import), and one that reads SSM pays it once, at its first invocation.
import type { MiddlewareObj } from '@middy/core';
import { ConfigError } from '../../lib/errors.ts';

type SsmModule = typeof import('@aws-sdk/client-ssm');

let sdk: Promise<SsmModule> | undefined;
/** The SDK module, imported once per container (the Lambda runtime provides it; the bundle keeps it external). */
export const ssmSdk = (): Promise<SsmModule> => {
  sdk ??= import('@aws-sdk/client-ssm');
  return sdk;
};

interface Cached {
  values: Record<string, string>;
  expiresAt: number;
}

/**
 * Context key ⇒ parameter name, fetched with one decrypted GetParameters and kept for `cacheExpiryMs`, then put on
 * the Lambda context. A parameter SSM does not return is a ConfigError naming it (never its value).
 */
export function ssmToContext<E, R>(
  fetchData: Record<string, string>,
  options: { cacheExpiryMs: number; clientOptions?: Record<string, unknown>; now?: () => number },
): MiddlewareObj<E, R> {
  const now = options.now ?? Date.now;
  let cached: Cached | undefined;
  let client: InstanceType<SsmModule['SSMClient']> | undefined;
  const fetchAll = async (): Promise<Record<string, string>> => {
    const { SSMClient, GetParametersCommand } = await ssmSdk();
    client ??= new SSMClient({ ...options.clientOptions });
    const names = [...new Set(Object.values(fetchData))];
    const out = await client.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
    const byName = new Map((out.Parameters ?? []).map((p) => [p.Name, p.Value]));
    const values: Record<string, string> = {};
    for (const [key, name] of Object.entries(fetchData)) {
      const value = byName.get(name);
      if (value === undefined) {
        throw new ConfigError(`The SSM parameter ${name} was not found or could not be read`, {
          errors: [{ field: name, message: 'not returned by SSM GetParameters' }],
        });
      }
      values[key] = value;
    }
    return values;
  };
  return {
    before: async (request) => {
      if (!cached || cached.expiresAt <= now()) {
        cached = { values: await fetchAll(), expiresAt: now() + options.cacheExpiryMs };
      }
      Object.assign(request.context, cached.values);
    },
  };
}
