// A request budget shared by every container and job: time is cut into slots of `slotMs`, each slot is one
// request, and a slot is taken by creating its object exactly once (S3 conditional write, If-None-Match: *).
import type { Clock } from '../retry.ts';

/** Creates `key` if no one has; answers false when it already exists (someone else took the slot). */
export interface SlotStore {
  claim(key: string, signal?: AbortSignal): Promise<boolean>;
}

/** The limiter seam of the clients (lib/growingio/rate-limit.ts RateLimiter has this shape). */
export interface RateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

export interface SharedBudgetOptions {
  store: SlotStore;
  clock: Clock;
  /** Names the budget (e.g. a hash of the upstream's base URL); slot keys are `${scope}/${slot}`. */
  scope: string;
  /** One request per slot: 550 ms gives GrowingIO's 2 requests/s with 10% to spare. */
  slotMs: number;
  /** A slot claimed later than this after its start is given up (a request must go out near its slot's start). */
  lateMs?: number;
  /** How many slots one acquire may try before giving up. */
  maxTries?: number;
}

export class BudgetExhausted extends Error {
  override name = 'BudgetExhausted';
}

/**
 * Requests go out at the start of the slot they own (never before, at most `lateMs` after), so any three
 * consecutive requests are at least `2 × slotMs − lateMs` apart: with 550/100 ms that is ≥ 1 s, i.e. never more
 * than 2 in any 1-second window, whoever sends them.
 */
export function createSharedBudget(options: SharedBudgetOptions): RateLimiter {
  const { store, clock, scope, slotMs } = options;
  const lateMs = options.lateMs ?? Math.min(100, Math.floor(slotMs / 5));
  const maxTries = options.maxTries ?? 400;
  // Slots this container saw taken: the next acquire starts after them instead of asking again.
  let nextHint = 0;
  // How far ahead to claim: a claim slower than `lateMs` (a busy store or machine) would burn every slot it takes,
  // so each late claim doubles the lead (up to 10 s) and claims aim at slots that start after the claim returns.
  let leadMs = 0;
  return {
    async acquire(signal) {
      let slot = Math.max(nextHint, Math.ceil((clock.now() + leadMs) / slotMs));
      for (let tries = 0; tries < maxTries; tries++, slot++) {
        const asked = clock.now();
        if (!(await store.claim(`${scope}/${slot}`, signal))) continue;
        const late = clock.now() - slot * slotMs;
        if (late > lateMs) {
          leadMs = Math.min(10_000, Math.max(2 * leadMs, clock.now() - asked, slotMs));
          slot = Math.ceil((clock.now() + leadMs) / slotMs) - 1; // this slot is burnt; aim further ahead
          continue;
        }
        nextHint = slot + 1;
        if (late < 0) await clock.sleep(-late, signal);
        return;
      }
      throw new BudgetExhausted(`No request slot free in the next ${maxTries} slots of ${scope}`);
    },
  };
}
