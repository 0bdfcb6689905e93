// The one request schema: whatever POST /exports accepts, the requestExport task input and the GrowingIO client
// accept too, and an id like `-x` is refused alike at all three entries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequest, type FieldError } from '../../lib/errors.ts';
import { buildExecutionInput, exportIdFor } from '../../lib/export/execution.ts';
import { parseExportRequest } from '../../lib/export/request.ts';
import { parseTaskInput, requestExportInput } from '../../lib/export/task-input.ts';
import { createGrowingIoClient } from '../../lib/growingio/client.ts';
import { GROWINGIO_ID, USER_VARIABLE_KEY } from '../../lib/growingio/request.ts';
import type { SegmentExportRequest } from '../../lib/growingio/types.ts';

/** A GrowingIO client whose transport records each URL it is asked for and answers a finished job. */
function recordingClient() {
  const urls: string[] = [];
  const client = createGrowingIoClient({
    baseUrl: 'http://127.0.0.1:9/property',
    token: 'gio-token-property-test',
    requestsPerSecond: 1_000_000,
    fetch: (async (url: string | URL | Request) => {
      urls.push(String(url));
      const job = { id: 'job-1', status: 'done', downloadLinks: ['https://cdn.growingio.com/part-1.csv'] };
      return new Response(JSON.stringify(job), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  });
  return { client, urls };
}

const now = new Date('2026-12-06T08:00:00Z');

/** The task payload the state machine would hand requestExport for an accepted request (JSON, as Step Functions passes it). */
function taskPayload(input: unknown): unknown {
  const request = parseExportRequest(input);
  return JSON.parse(JSON.stringify(buildExecutionInput(request, exportIdFor(request.idempotencyKey, now), now)));
}

/** The fields requestExport passes the client, as functions/request-export.ts does. */
function clientInput(payload: unknown): SegmentExportRequest {
  const { request } = parseTaskInput(requestExportInput, payload, 'requestExport');
  const { projectUid, segmentationId, expireMinutes, parameters } = request;
  return { projectUid, segmentationId, expireMinutes, parameters };
}

const id = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(GROWINGIO_ID) },
  fc.constantFrom('-x', '_x', '.', '..', 'a.b', '', ' a', 'x'.repeat(64), 'x'.repeat(65), 'a/b', '分群'),
  fc.string({ maxLength: 70 }),
  fc.integer(),
);
const variable = fc.oneof(
  { weight: 20, arbitrary: fc.stringMatching(USER_VARIABLE_KEY) },
  fc.constantFrom('1st', '_', 'a-b', 'a,b', 'x'.repeat(50), 'x'.repeat(51), ''),
  fc.string({ maxLength: 4 }),
);
const request = fc.record(
  {
    projectUid: id,
    segmentationId: id,
    expireMinutes: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -1, max: 10_082 }) },
      fc.constantFrom(1, 10_080, 1.5, '60', null),
    ),
    parameters: fc.oneof({ weight: 3, arbitrary: fc.uniqueArray(variable, { maxLength: 52 }) }, fc.array(variable)),
    idempotencyKey: fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,128}$/) },
      fc.string({ maxLength: 3 }),
    ),
    destination: fc.record(
      {
        bucket: fc.constantFrom('my-exports', 'exports.example', 'a1b', 'Bad_Bucket', 'ab'),
        prefix: fc.oneof(
          fc.constantFrom('', 'a/b/', '.', 'a/./b', '../x', 'a//b', '/a'),
          fc.stringMatching(/^[a-z./]{0,12}$/),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['projectUid', 'segmentationId'] },
);

describe('one request schema', () => {
  it('any request POST /exports accepts is accepted by the requestExport task input and the GrowingIO client', async () => {
    const { client, urls } = recordingClient();
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        let payload: unknown;
        try {
          payload = taskPayload(input);
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequest);
          refused++;
          return;
        }
        accepted++;
        const toClient = clientInput(payload);
        const sent = urls.length;
        await expect(client.requestSegmentExport(toClient)).resolves.toMatchObject({ status: 'done' });
        expect(urls).toHaveLength(sent + 1);
        expect(urls.at(-1)).toContain(`/projects/${toClient.projectUid}/segmentations/${toClient.segmentationId}/`);
      }),
      { numRuns: 500 },
    );
    // Both sides of the property were exercised, not only the refusals.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('refuses projectUid "-x" at every entry, with the same field error', async () => {
    const input = { projectUid: '-x', segmentationId: 's1' };
    const errors = async (run: () => unknown): Promise<FieldError[]> => {
      try {
        await run();
      } catch (error) {
        expect(error).toBeInstanceOf(BadRequest);
        return (error as BadRequest).errors;
      }
      throw new Error('accepted "-x"');
    };
    const atPost = await errors(() => parseExportRequest(input));
    const valid = taskPayload({ ...input, projectUid: 'x' }) as { request: Record<string, unknown> };
    const atTask = await errors(() =>
      parseTaskInput(
        requestExportInput,
        { ...valid, request: { ...valid.request, projectUid: '-x' } },
        'requestExport',
      ),
    );
    const { client, urls } = recordingClient();
    const atClient = await errors(() => client.requestSegmentExport(input));
    expect(urls).toEqual([]); // refused before any request
    expect(atPost).toEqual([
      { field: 'projectUid', message: expect.stringMatching(/starting with a letter or digit/) },
    ]);
    expect(atTask).toEqual([{ field: 'request.projectUid', message: atPost[0]!.message }]);
    expect(atClient).toEqual(atPost);
  });
});
