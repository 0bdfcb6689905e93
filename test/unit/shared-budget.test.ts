// The shared budget's slot rule with an in-memory slot store and a fake clock: one request per slot, sent at the
// slot's start, late claims given up, several "containers" never sharing a slot.
import { describe, expect, it } from 'vitest';
import { BudgetExhausted, createSharedBudget, type SlotStore } from '../../lib/budget/shared-budget.ts';
import { parseConfig } from '../../lib/config.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

function memoryStore(onClaim?: () => void): SlotStore & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    claim: async (key) => {
      onClaim?.();
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    },
  };
}

describe('createSharedBudget', () => {
  it('gives each acquire its own slot and sends at the slot start', async () => {
    const clock = fakeClock(1_000_100);
    const store = memoryStore();
    const containers = [1, 2, 3].map(() => createSharedBudget({ store, clock, scope: 'g', slotMs: 550 }));
    const sentAt: number[] = [];
    for (const budget of [...containers, ...containers]) {
      await budget.acquire();
      sentAt.push(clock.now());
    }
    expect(new Set(store.keys).size).toBe(6);
    for (const time of sentAt) expect(time % 550).toBe(0);
    for (let i = 2; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 2]!).toBeGreaterThanOrEqual(1000);
  });

  it('gives up a slot whose claim came back too late and takes a later one', async () => {
    const clock = fakeClock(1_100_000); // exactly a slot start (2000 × 550)
    let first = true;
    const store = memoryStore(() => {
      if (first) clock.sleep(300); // the first claim is slow: 300 ms past its slot's start
      first = false;
    });
    const budget = createSharedBudget({ store, clock, scope: 'g', slotMs: 550, lateMs: 100 });
    await budget.acquire();
    // 300 ms late: the slot is burnt and the next claim aims a slot ahead of the claim's own duration
    expect([...store.keys]).toEqual(['g/2000', 'g/2002']);
    expect(clock.now()).toBe(2002 * 550);
  });

  it('claims further ahead when every claim is slow, instead of burning slots until it gives up', async () => {
    const clock = fakeClock(1_100_000);
    const store = memoryStore(() => void clock.sleep(400)); // every claim takes 400 ms, far over lateMs
    const budget = createSharedBudget({ store, clock, scope: 'g', slotMs: 550, lateMs: 100, maxTries: 10 });
    for (let i = 0; i < 5; i++) {
      await budget.acquire();
      expect(clock.now() % 550).toBe(0); // still sent exactly at a slot start
    }
    expect(store.keys.size).toBeLessThan(10);
  });

  it('throws BudgetExhausted when every slot it may try is taken', async () => {
    const store: SlotStore = { claim: async () => false };
    const budget = createSharedBudget({ store, clock: fakeClock(), scope: 'g', slotMs: 550, maxTries: 5 });
    await expect(budget.acquire()).rejects.toBeInstanceOf(BudgetExhausted);
  });
});

describe('shared budget settings', () => {
  it('is off by default and needs a bucket when s3', () => {
    expect(parseConfig({}).GROWINGIO_SHARED_BUDGET).toBe('off');
    expect(() => parseConfig({ GROWINGIO_SHARED_BUDGET: 's3' })).toThrow(/GROWINGIO_BUDGET_BUCKET/);
    expect(() => parseConfig({ GROWINGIO_SHARED_BUDGET: 'redis' })).toThrow(
      /GROWINGIO_SHARED_BUDGET: must be off or s3/,
    );
    const config = parseConfig({ GROWINGIO_SHARED_BUDGET: 's3', GROWINGIO_BUDGET_BUCKET: 'budget-1' });
    expect(config.GROWINGIO_BUDGET_SLOT_MS).toBe(550);
  });
});
