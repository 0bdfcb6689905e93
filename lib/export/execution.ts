// Export ids are Step Functions execution names: idempotent when a key is given, unique otherwise.
import { createHash, randomUUID } from 'node:crypto';
import { EXECUTION_NAME, EXECUTION_NAME_RULE } from '../aws-names.ts';
import { BadRequest } from '../errors.ts';
import { initialPollState, type PollState } from './poll.ts';
import type { ExportRequest } from './request.ts';

/** The execution input every path into the state machine builds. */
export interface ExecutionInput {
  request: ExportRequest & { exportId: string; requestedAt: string };
  poll: PollState;
  /** Deployment settings the state machine reads (the per-file Map's MaxConcurrencyPath). */
  settings: ExecutionSettings;
}

export interface ExecutionSettings {
  /** COPY_CONCURRENCY: files copied at once. */
  copyConcurrency: number;
}

export const DEFAULT_SETTINGS: ExecutionSettings = { copyConcurrency: 4 };

/**
 * The export id for a request. With an idempotency key the id is derived from the key alone (so a
 * repeat maps to the same execution and a different request under the same key is a conflict);
 * without one it is unique.
 */
export function exportIdFor(idempotencyKey: string | undefined, now: Date, uuid: () => string = randomUUID): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  if (idempotencyKey === undefined) return `${day}-${uuid()}`;
  const slug = idempotencyKey.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 16);
  return `k-${slug}-${digest}`;
}

export function buildExecutionInput(
  request: ExportRequest,
  exportId: string,
  now: Date,
  settings: ExecutionSettings = DEFAULT_SETTINGS,
): ExecutionInput {
  return {
    request: { ...request, exportId, requestedAt: now.toISOString() },
    poll: initialPollState(),
    settings: { ...settings },
  };
}

/** arn:aws:states:R:A:stateMachine:NAME + exportId ⇒ arn:aws:states:R:A:execution:NAME:exportId */
export function executionArnFor(stateMachineArn: string, exportId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${exportId}`;
}

export function assertExportId(exportId: string | undefined): string {
  if (exportId === undefined || !EXECUTION_NAME.test(exportId)) {
    throw new BadRequest('Invalid export id', {
      errors: [{ field: 'exportId', message: EXECUTION_NAME_RULE }],
    });
  }
  return exportId;
}
