// Access-token manager for the Marketing API: refresh through GET {base}/oauth/token, single flight, write-back hook.
// Never logs or returns a token in an error: every message is redacted of the secrets it could contain.
import { AppError, TencentTokenWriteBackFailed } from '../errors.ts';
import type { Fetch } from '../http.ts';
import { businessError, httpError, transportError } from './call-errors.ts';
import { lenientNumber, lenientString } from './items.ts';

export interface TokenSet {
  accessToken: string;
  /** The refresh token to use next time (a new one when Tencent rotates it, else the same). */
  refreshToken: string;
  /** Epoch ms; undefined when unknown. */
  expiresAt?: number;
  refreshTokenExpiresAt?: number;
}

export interface TokenSourceOptions {
  baseUrl: string;
  clientId: string | number;
  clientSecret: string;
  refreshToken: string;
  accessToken?: string;
  /** Epoch ms of the access token's expiry, when known; unknown ⇒ used until Tencent answers 11000. */
  expiresAt?: number;
  fetch?: Fetch;
  clock?: { now(): number };
  /** Refresh this long before the known expiry. Default 10 minutes. */
  marginMs?: number;
  timeoutMs?: number;
  /** Called once per refresh with the new tokens (e.g. to write them back to SSM). A failure is reported. */
  onRefreshed?: (tokens: TokenSet) => void | Promise<void>;
}

export interface TokenSource {
  /** A usable access token: the current one, or a fresh one when there is none or it is near its expiry. */
  get(signal?: AbortSignal): Promise<string>;
  /**
   * Refresh now (the caller saw 11000). Concurrent callers share one call. With `stale`, a caller whose token
   * was already replaced gets the new one without another refresh.
   */
  refresh(stale?: string, signal?: AbortSignal): Promise<string>;
  /** Secrets to redact anywhere (current tokens, client secret). */
  secrets(): string[];
  /** The tokens in use now (to tell whether stored ones are older or newer). */
  current(): { accessToken?: string; refreshToken: string };
}

export const OAUTH_PATH = '/oauth/token';
const DEFAULT_MARGIN_MS = 10 * 60_000;

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const clock = options.clock ?? { now: () => Date.now() };
  const margin = options.marginMs ?? DEFAULT_MARGIN_MS;
  const state: { tokens: Partial<TokenSet> & { refreshToken: string }; inflight?: Promise<string> } = {
    tokens: {
      refreshToken: options.refreshToken,
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
      ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
    },
  };
  const secrets = () =>
    [options.clientSecret, state.tokens.refreshToken, state.tokens.accessToken ?? ''].filter((s) => s.length > 0);

  const refresh = (stale?: string, signal?: AbortSignal): Promise<string> => {
    const current = state.tokens.accessToken;
    if (stale !== undefined && current && current !== stale && !nearExpiry()) return Promise.resolve(current);
    state.inflight ??= exchange(options, state.tokens.refreshToken, clock, secrets(), signal)
      .then(async (tokens) => {
        state.tokens = tokens;
        await writeBack(options, tokens);
        return tokens.accessToken;
      })
      .finally(() => {
        state.inflight = undefined;
      });
    return state.inflight;
  };
  const nearExpiry = () => {
    const { expiresAt } = state.tokens;
    return expiresAt !== undefined && expiresAt - margin <= clock.now();
  };

  return {
    get: async (signal) => {
      if (state.inflight) return state.inflight;
      const current = state.tokens.accessToken;
      if (current && !nearExpiry()) return current;
      return refresh(undefined, signal);
    },
    refresh,
    secrets,
    current: () => ({
      refreshToken: state.tokens.refreshToken,
      ...(state.tokens.accessToken ? { accessToken: state.tokens.accessToken } : {}),
    }),
  };
}

async function writeBack(options: TokenSourceOptions, tokens: TokenSet): Promise<void> {
  if (!options.onRefreshed) return;
  try {
    await options.onRefreshed(tokens);
  } catch (error) {
    const reason = error instanceof Error ? error.name : 'unknown error';
    throw new TencentTokenWriteBackFailed(
      `Tencent tokens were refreshed but could not be written back (${reason}); this process keeps using them`,
    );
  }
}

async function exchange(
  options: TokenSourceOptions,
  refreshToken: string,
  clock: { now(): number },
  secrets: readonly string[],
  signal: AbortSignal | undefined,
): Promise<TokenSet> {
  const params = new URLSearchParams({
    client_id: String(options.clientId),
    client_secret: options.clientSecret,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
  const url = `${options.baseUrl.replace(/\/+$/, '')}${OAUTH_PATH}?${params}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    throw transportError(error, 'oauth/token', secrets);
  }
  const traceId = response.headers.get('x-tsa-trace-id') ?? undefined;
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw httpError(response.status, undefined, traceId, 'oauth/token');
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  const code = lenientNumber(body.code);
  if (code !== 0) {
    throw businessError(code ?? -1, body, { nowMs: clock.now(), traceId, secrets, operation: 'oauth/token' });
  }
  return readTokens(body.data, refreshToken, clock.now(), traceId);
}

function readTokens(data: unknown, previousRefresh: string, now: number, traceId: string | undefined): TokenSet {
  const payload = (data !== null && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const accessToken = lenientString(payload.access_token);
  if (!accessToken) {
    throw new AppError('Tencent oauth/token answered without an access_token', { details: { traceId } });
  }
  const lifetime = lenientNumber(payload.access_token_expires_in);
  const refreshLifetime = lenientNumber(payload.refresh_token_expires_in);
  return {
    accessToken,
    // Whether a refresh rotates the refresh token is not documented: use a new one when sent, else keep ours.
    refreshToken: lenientString(payload.refresh_token) || previousRefresh,
    ...(lifetime !== null ? { expiresAt: now + lifetime * 1000 } : {}),
    ...(refreshLifetime !== null ? { refreshTokenExpiresAt: now + refreshLifetime * 1000 } : {}),
  };
}
