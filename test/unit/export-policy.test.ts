import { describe, expect, it } from 'vitest';
import { ExportTimedOut } from '../../lib/errors.ts';
import { readableCause } from '../../lib/export/cause.ts';
import { executionArnFor, exportIdFor } from '../../lib/export/execution.ts';
import { assertPollsLeft, nextPollSeconds, totalWaitSeconds } from '../../lib/export/poll-policy.ts';
import { parseExportRequest, requestFingerprint } from '../../lib/export/request.ts';

const policy = { initialSeconds: 5, maxSeconds: 60, maxAttempts: 120 };

describe('poll policy', () => {
  it('starts at the initial interval and grows ×1.5 up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => nextPollSeconds(n, policy))).toEqual([
      5, 8, 11, 17, 25, 38, 57, 60, 60,
    ]);
  });

  it('never waits less than a second nor more than the ceiling', () => {
    expect(nextPollSeconds(1, { initialSeconds: 1, maxSeconds: 1, maxAttempts: 3, factor: 0.1 })).toBe(1);
    expect(nextPollSeconds(1_000, policy)).toBe(60);
  });

  it('times out by name once the attempts are used up', () => {
    expect(() => assertPollsLeft(119, policy, 'job-1')).not.toThrow();
    expect(() => assertPollsLeft(120, policy, 'job-1')).toThrow(ExportTimedOut);
    expect(() => assertPollsLeft(120, policy, 'job-1')).toThrow(/job-1 was still running after 120 polls/);
  });

  it('needs far fewer polls than fixed 5 s polling for an hour-long job', () => {
    let polls = 0;
    while (totalWaitSeconds(polls, policy) < 3_600) polls++;
    expect(polls).toBeLessThan(720 / 5);
    expect(totalWaitSeconds(polls, policy) - 3_600).toBeLessThanOrEqual(60);
  });
});

describe('export request validation', () => {
  it('applies defaults and normalises the prefix', () => {
    const request = parseExportRequest({ projectUid: 'p1', segmentationId: 's1', destination: { prefix: 'a/b/' } });
    expect(request).toEqual({
      projectUid: 'p1',
      segmentationId: 's1',
      expireMinutes: 60,
      parameters: [],
      destination: { prefix: 'a/b' },
    });
  });

  it('names each bad field', () => {
    const error = (() => {
      try {
        parseExportRequest({
          projectUid: 'has space',
          segmentationId: 7,
          expireMinutes: 1.5,
          parameters: ['a', 'a'],
          destination: { bucket: 'UPPER', prefix: '../x' },
        });
      } catch (e) {
        return e as { errors: Array<{ field?: string }>; statusCode: number };
      }
    })();
    expect(error?.statusCode).toBe(400);
    expect(error?.errors.map((e) => e.field).sort()).toEqual([
      'destination.bucket',
      'destination.prefix',
      'expireMinutes',
      'parameters.1',
      'projectUid',
      'segmentationId',
    ]);
  });

  it('rejects non-objects and unknown fields', () => {
    expect(() => parseExportRequest('x')).toThrow(/must be a JSON object/);
    expect(() => parseExportRequest(null)).toThrow(/must be a JSON object/);
    expect(() => parseExportRequest({ projectUid: 'p', segmentationId: 's', bucket: 'b' })).toThrow(
      /bucket is not a known field/,
    );
  });

  it('fingerprints ignore the idempotency key but not what is exported', () => {
    const a = parseExportRequest({ projectUid: 'p', segmentationId: 's', idempotencyKey: 'k1' });
    const b = parseExportRequest({ segmentationId: 's', projectUid: 'p', idempotencyKey: 'k2' });
    const c = parseExportRequest({ projectUid: 'p', segmentationId: 's', parameters: ['x'] });
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).not.toBe(requestFingerprint(c));
  });
});

describe('export ids', () => {
  const now = new Date('2026-11-25T08:00:00Z');

  it('derives a stable, valid execution name from an idempotency key', () => {
    const id = exportIdFor('daily export: 2026/11/25', now);
    expect(id).toBe(exportIdFor('daily export: 2026/11/25', new Date('2027-01-01T00:00:00Z')));
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(exportIdFor('x'.repeat(128), now).length).toBeLessThanOrEqual(80);
    expect(exportIdFor('a b', now)).not.toBe(exportIdFor('a-b', now));
  });

  it('is unique without a key', () => {
    expect(exportIdFor(undefined, now, () => 'u1')).toBe('20261125-u1');
    expect(exportIdFor(undefined, now)).not.toBe(exportIdFor(undefined, now));
  });

  it('builds execution ARNs from the state machine ARN', () => {
    expect(executionArnFor('arn:aws:states:eu-west-1:123:stateMachine:sm', 'e1')).toBe(
      'arn:aws:states:eu-west-1:123:execution:sm:e1',
    );
  });

  it('keeps only the message of an AWS Lambda error envelope', () => {
    const envelope = JSON.stringify({
      errorType: 'DownloadFailed',
      errorMessage: 'truncated',
      trace: ['at x (y.js:1)'],
    });
    expect(readableCause(envelope)).toBe('truncated');
    expect(readableCause('plain cause')).toBe('plain cause');
    expect(readableCause(undefined)).toBe('');
  });
});
