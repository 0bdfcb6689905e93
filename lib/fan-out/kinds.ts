// The job kinds a fan-out can run: how each builds its child execution's input and what it counts. A new kind
// is one entry here, one state machine ARN setting and one IAM resource.
import { ConfigError } from '../errors.ts';
import { buildExecutionInput } from '../export/execution.ts';
import type { Manifest } from '../export/manifest.ts';
import { parseExportRequest } from '../export/request.ts';
import { type SyncReport, syncCounts } from '../sync/report.ts';
import { parseSyncRequest } from '../sync/request.ts';
import { buildSyncInput, type SyncStorage } from '../sync/run.ts';

/** What a kind builds its child's input from besides the request. */
export interface ChildContext {
  /** The child execution's name (an export's id, a sync's run id). */
  name: string;
  scheduledAt: Date;
  /** Settings the handler passes for the kinds (from its configuration), e.g. a sync's storage. */
  settings: Readonly<Record<string, unknown>>;
}

export interface JobKind {
  /** Validates the job's request and builds the child's input; throws BadRequest naming the field. */
  childInput(request: unknown, child: ChildContext): unknown;
  /** Counts for the run summary, read from the child's output; never identifiers. */
  counts(output: unknown): Record<string, number>;
  /** What two children of one list must not share (they would overlap on it), from the child's input. */
  exclusiveKey?(input: unknown): string;
}

const exportJob: JobKind = {
  childInput: (request, child) => buildExecutionInput(parseExportRequest(request), child.name, child.scheduledAt),
  counts: (output) => {
    const manifest = (output ?? {}) as Partial<Manifest>;
    return {
      rows: manifest.totalRows ?? 0,
      bytes: manifest.totalBytes ?? 0,
      files: Array.isArray(manifest.files) ? manifest.files.length : 0,
    };
  },
};

/** Where sync runs keep their state: `settings.syncStorage` (the export bucket and SYNC_PREFIX). */
function syncStorageOf(settings: ChildContext['settings']): SyncStorage {
  const storage = settings.syncStorage as Partial<SyncStorage> | undefined;
  if (!storage?.bucket)
    throw new ConfigError('Missing configuration: EXPORT_BUCKET (where sync runs keep their state)');
  return { bucket: storage.bucket, prefix: storage.prefix ?? 'syncs' };
}

/** A sync child is one audience-sync run whose run id is the child's name (its nested export adds `-export`). */
const syncJob: JobKind = {
  childInput: (request, child) =>
    buildSyncInput(parseSyncRequest(request), child.name, child.scheduledAt, syncStorageOf(child.settings)),
  counts: (output) => syncCounts(output as Partial<SyncReport> | undefined),
  // Runs of one syncId must not overlap (lib/sync/lock.ts): one list runs each syncId once.
  exclusiveKey: (input) => `syncId ${(input as ReturnType<typeof buildSyncInput>).sync.syncId}`,
};

/** kind ⇒ how to run it. The fan-out refuses kinds missing here or without a state machine ARN. */
export const JOB_KINDS: Record<string, JobKind> = {
  export: exportJob,
  sync: syncJob,
};
