// Test helpers around audience syncs on the local runtime: both emulators, the embedded S3, the real sync ASL.
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parse } from 'csv-parse/sync';
import type { Env } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import type { StartedSync } from '../../lib/sync/start.ts';
import type { CsvFileSpec } from '../../local/emulators/csv-generator.ts';
import { LOCAL_BUCKET, type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { context, httpEvent } from './export-runtime.ts';
import { zipEntries } from './zip-entries.ts';

export interface SyncRuntime extends LocalRuntime {
  logs: string[];
}

export async function startSyncRuntime(files: CsvFileSpec[], env: Env = {}): Promise<SyncRuntime> {
  const logs: string[] = [];
  const runtime = await startLocalRuntime({
    env: { POLL_INITIAL_SECONDS: '1', POLL_MAX_SECONDS: '2', POLL_MAX_ATTEMPTS: '20', ...env },
    growingio: { pollsUntilDone: 1, files },
    fastWaitsMs: 5,
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
  });
  return Object.assign(runtime, { logs });
}

/** Starts a sync the way a direct invoke does, waits for it, and reads GET /syncs/{runId}. */
export async function runSync(runtime: LocalRuntime, request: Record<string, unknown>) {
  const started = (await runtime.handlers.startSync(request, context())) as StartedSync;
  await runtime.sfn.waitFor(started.executionArn);
  const response = (await runtime.handlers.getSync(
    httpEvent('GET', `/syncs/${started.runId}`, { pathParameters: { runId: started.runId } }),
    context(),
  )) as APIGatewayProxyStructuredResultV2;
  return { started, statusCode: response.statusCode, body: JSON.parse(String(response.body)) };
}

export async function objectBytes(s3: S3Client, key: string, bucket = LOCAL_BUCKET): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** The ids in one uploaded zip (one `.txt` entry, LF-separated). */
export function zipIds(zip: Uint8Array): string[] {
  const entries = [...zipEntries(Buffer.from(zip)).values()];
  if (entries.length !== 1) throw new Error(`expected one entry, found ${entries.length}`);
  return entries[0]!.toString('utf8').split('\n').filter(Boolean);
}

/** The oracle: md5 of every 11-digit mobile number in `column` of the export's CSV files, written independently. */
export async function expectedPhoneHashes(runtime: LocalRuntime, exportId: string, column = 'phone') {
  const out = await runtime.handlers.getExport(
    httpEvent('GET', `/exports/${exportId}`, { pathParameters: { exportId } }),
    context(),
  );
  const manifest = JSON.parse(String((out as APIGatewayProxyStructuredResultV2).body)).manifest;
  const ids = new Set<string>();
  const phones = new Set<string>();
  for (const file of manifest.files as Array<{ key: string }>) {
    const text = (await objectBytes(runtime.s3Client, file.key)).toString('utf8').replace(/^\uFEFF/, '');
    const records = parse(text, { columns: true, relax_column_count: true, skip_empty_lines: true }) as Array<
      Record<string, string>
    >;
    for (const record of records) {
      const value = record[column] ?? '';
      if (/^1\d{10}$/.test(value)) {
        phones.add(value);
        ids.add(createHash('md5').update(value).digest('hex'));
      }
    }
  }
  return { ids, phones };
}
