// What a sync may remove from an audience in one run. A broken export (an empty segment, a renamed id column) diffs
// like a segment that lost everyone: without this guard the run would REDUCE the whole audience at Tencent.
import { AppError } from '../errors.ts';

/** The run would remove more than it is allowed to: nothing was sent to Tencent and the snapshot is kept. */
export class SyncRemovalRefused extends AppError {
  override name = 'SyncRemovalRefused';
  override statusCode = 409;
  override expose = true;
}

export interface RemovalRules {
  /** Largest share of the last snapshot's ids one run may remove, 0-100. */
  maxRemovePercent: number;
  /** Whether an export without a single valid id may empty the audience. */
  allowEmptyExport: boolean;
}

export interface RemovalCounts {
  rows: number;
  validIds: number;
  emptyIds: number;
  invalidIds: number;
  removed: number;
  unchanged: number;
}

const NOTHING_SENT = 'Nothing was sent to Tencent and the snapshot is kept';

/** Throws SyncRemovalRefused when the delta breaks a rule; the message carries counts only, never an id. */
export function checkRemovals(counts: RemovalCounts, rules: RemovalRules): void {
  if (counts.removed === 0) return;
  const previous = counts.removed + counts.unchanged;
  if (counts.validIds === 0 && !rules.allowEmptyExport) {
    const { rows, emptyIds, invalidIds } = counts;
    throw new SyncRemovalRefused(
      `The export has no valid id (${rows} rows: ${emptyIds} empty, ${invalidIds} invalid); applying it would remove ` +
        `all ${previous} ids of the last snapshot from the audience. ${NOTHING_SENT}; set allowEmptyExport to apply it.`,
      { details: { ...counts, previous } },
    );
  }
  const percent = (counts.removed / previous) * 100;
  if (percent > rules.maxRemovePercent) {
    throw new SyncRemovalRefused(
      `The delta would remove ${counts.removed} of the ${previous} ids of the last snapshot ` +
        `(${percent.toFixed(1)}%), more than maxRemovePercent ${rules.maxRemovePercent}. ${NOTHING_SENT}; ` +
        'raise maxRemovePercent for this run to apply it.',
      { details: { ...counts, previous, percent } },
    );
  }
}
