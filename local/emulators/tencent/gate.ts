// What stands before every API call: one-shot HTTP faults, token, scope, replay protection, forced codes, quotas.
import type { TokenStore } from './tokens.ts';

export type Failure = { code: number; param?: string };

export interface Quotas {
  perSecond: number;
  perMinute: number;
  perDay: number;
}

/** Per-test switches; `setFaults` merges them, `clearFaults` resets them. */
export interface TencentFaults {
  /** Every call answers 11000 (token expired), whatever the token. */
  expireToken?: boolean;
  /** Every API call answers 11014 (outside the token's scope). */
  scope?: boolean;
  /** The next N API calls answer 10000 (system busy). */
  busy?: number;
  /** The next N API calls answer 11016 / 11017 / 11018, whatever the counters say. */
  perSecond?: number;
  perMinute?: number;
  perDay?: number;
  /** The next API calls answer these codes, one each. */
  codeOnce?: number[];
  /** The next requests (any path) answer these HTTP statuses, one each, with an optional Retry-After. */
  httpOnce?: Array<number | { status: number; retryAfter?: string }>;
}

/** "Nonce used before" and "stale timestamp" have no public numbers: the emulator's are settable. */
export interface ReplayCodes {
  nonceReused: number;
  staleTimestamp: number;
}

/** Which quota X-RateLimit-Remaining reports; its real scope is unknown. Default: the smaller of the two. */
export type RemainingHeader = 'minute' | 'day' | 'min';

const GMT8_MS = 8 * 3_600_000;
type Window = { key: number; count: number };

export class Gate {
  faults: Required<Omit<TencentFaults, 'httpOnce'>> & { httpOnce: Array<{ status: number; retryAfter?: string }> } =
    Gate.noFaults();
  quotas: Quotas;
  private readonly windows = new Map<string, { second: Window; minute: Window; day: Window }>();
  private readonly nonces = new Map<string, number>();

  private readonly tokens: TokenStore;
  private readonly now: () => number;
  private readonly replay: ReplayCodes;
  private readonly remainingHeader: RemainingHeader;

  constructor(tokens: TokenStore, now: () => number, quotas: Quotas, replay: ReplayCodes, header: RemainingHeader) {
    this.tokens = tokens;
    this.now = now;
    this.quotas = quotas;
    this.replay = replay;
    this.remainingHeader = header;
  }

  static noFaults() {
    return {
      expireToken: false,
      scope: false,
      busy: 0,
      perSecond: 0,
      perMinute: 0,
      perDay: 0,
      codeOnce: [] as number[],
      httpOnce: [] as Array<{ status: number; retryAfter?: string }>,
    };
  }

  setFaults(next: TencentFaults): void {
    const { httpOnce, codeOnce, ...rest } = next;
    Object.assign(this.faults, Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)));
    if (codeOnce) this.faults.codeOnce.push(...codeOnce);
    if (httpOnce) {
      this.faults.httpOnce.push(...httpOnce.map((item) => (typeof item === 'number' ? { status: item } : item)));
    }
  }

  takeHttpFault(): { status: number; retryAfter?: string } | undefined {
    return this.faults.httpOnce.shift();
  }

  /** Checks in the order a gateway would apply them: who you are, what you may call, replay, then quota. */
  admit(path: string, params: URLSearchParams): Failure | undefined {
    return (
      this.checkToken(params) ??
      (this.faults.scope ? { code: 11014 } : undefined) ??
      this.checkReplay(params) ??
      this.forcedCode() ??
      this.countQuota(path)
    );
  }

  private checkToken(params: URLSearchParams): Failure | undefined {
    const code = this.tokens.check(params.get('access_token'));
    if (code !== undefined) return { code };
    return this.faults.expireToken ? { code: 11000 } : undefined;
  }

  private checkReplay(params: URLSearchParams): Failure | undefined {
    const timestamp = params.get('timestamp');
    const nonce = params.get('nonce');
    if (!timestamp) return { code: 12000, param: 'timestamp' };
    if (!/^\d+$/.test(timestamp)) return { code: 12001, param: 'timestamp' };
    if (Math.abs(Number(timestamp) - this.now() / 1000) > 300) return { code: this.replay.staleTimestamp };
    if (!nonce) return { code: 12000, param: 'nonce' };
    if (nonce.length > 32) return { code: 12001, param: 'nonce' };
    if (this.nonces.has(nonce)) return { code: this.replay.nonceReused };
    this.nonces.set(nonce, this.now());
    // A nonce older than the timestamp window can never be replayed successfully, so it may be forgotten.
    if (this.nonces.size > 50_000) {
      for (const [seen, at] of this.nonces) if (this.now() - at > 600_000) this.nonces.delete(seen);
    }
    return undefined;
  }

  private forcedCode(): Failure | undefined {
    const code = this.faults.codeOnce.shift();
    if (code !== undefined) return { code };
    for (const [name, forced] of [
      ['busy', 10000],
      ['perSecond', 11016],
      ['perMinute', 11017],
      ['perDay', 11018],
    ] as const) {
      if (this.faults[name] > 0) {
        this.faults[name] -= 1;
        return { code: forced };
      }
    }
    return undefined;
  }

  /** Counters per endpoint on the emulator's clock; a refused call does not consume quota. */
  private countQuota(path: string): Failure | undefined {
    const windows = this.current(path);
    if (windows.day.count >= this.quotas.perDay) return { code: 11018 };
    if (windows.minute.count >= this.quotas.perMinute) return { code: 11017 };
    if (windows.second.count >= this.quotas.perSecond) return { code: 11016 };
    windows.second.count += 1;
    windows.minute.count += 1;
    windows.day.count += 1;
    return undefined;
  }

  /** The value of X-RateLimit-Remaining for an endpoint after this call. */
  remaining(path: string): number {
    const windows = this.current(path);
    const minute = Math.max(0, this.quotas.perMinute - windows.minute.count);
    const day = Math.max(0, this.quotas.perDay - windows.day.count);
    if (this.remainingHeader === 'minute') return minute;
    if (this.remainingHeader === 'day') return day;
    return Math.min(minute, day);
  }

  usage(path: string): { second: number; minute: number; day: number } {
    const windows = this.current(path);
    return { second: windows.second.count, minute: windows.minute.count, day: windows.day.count };
  }

  resetQuotas(): void {
    this.windows.clear();
  }

  private current(path: string) {
    const now = this.now();
    const keys = {
      second: Math.floor(now / 1000),
      minute: Math.floor(now / 60_000),
      // The real reset time is unknown; the emulator's day is the GMT+8 calendar day.
      day: Math.floor((now + GMT8_MS) / 86_400_000),
    };
    let windows = this.windows.get(path);
    if (!windows) {
      windows = { second: { key: -1, count: 0 }, minute: { key: -1, count: 0 }, day: { key: -1, count: 0 } };
      this.windows.set(path, windows);
    }
    for (const name of ['second', 'minute', 'day'] as const) {
      if (windows[name].key !== keys[name]) windows[name] = { key: keys[name], count: 0 };
    }
    return windows;
  }
}
