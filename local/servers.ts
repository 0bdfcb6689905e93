// What every local server shares: binding 127.0.0.1 with one clear error for a busy port, safe path decoding.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../lib/errors.ts';

export const LOCAL_HOST = '127.0.0.1';

/** A port the user asked for cannot be bound: a usage problem (exit 2), never a stack trace. */
export class PortUnavailable extends AppError {
  override name = 'PortUnavailable';
  override statusCode = 400;
  override expose = true;
}

/** The one-line error for a port that cannot be bound (EADDRINUSE, EACCES…). */
export function portUnavailable(
  error: NodeJS.ErrnoException,
  options: { name: string; port: number; hint?: string },
): PortUnavailable {
  const why =
    error.code === 'EADDRINUSE'
      ? 'is already in use'
      : error.code === 'EACCES'
        ? 'needs privileges'
        : `cannot be used (${error.code ?? error.message})`;
  const hint = `; choose another${options.hint ? ` with ${options.hint}` : ''} (0 picks a free port)`;
  return new PortUnavailable(`${options.name}: port ${options.port} on ${LOCAL_HOST} ${why}${hint}`);
}

/**
 * Listens on 127.0.0.1:`port` (0 = any free port) and answers the server's base URL. A busy or forbidden port
 * rejects with a PortUnavailable naming the server, the port and how to choose another.
 */
export async function listen(server: Server, options: { name: string; port?: number; hint?: string }): Promise<string> {
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(portUnavailable(error, { ...options, port }));
    server.once('error', onError);
    server.listen(port, LOCAL_HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return `http://${LOCAL_HOST}:${(server.address() as AddressInfo).port}`;
}

/** decodeURIComponent that answers undefined for a malformed escape (`%`, `%ZZ`, a cut UTF-8 sequence). */
export function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Closes a server and the connections it still holds. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
