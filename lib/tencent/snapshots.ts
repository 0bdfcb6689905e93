// Paging snapshots: the ordered result of one filtered scan, kept in an object store for a while, so later pages
// are answered from it with no upstream call and pages of one listing never overlap or skip.
import { randomBytes } from 'node:crypto';
import { AppError, BadRequest, SnapshotGone, UpstreamError } from '../errors.ts';
import type { AudienceFile } from './types.ts';

/** Where snapshots live (S3 in the stack, the embedded S3 locally): whole objects by key. */
export interface ObjectStore {
  put(key: string, body: string): Promise<void>;
  /** The object's text; undefined when there is no such key. */
  get(key: string): Promise<string | undefined>;
}

export interface SnapshotOptions {
  store: ObjectStore;
  /** Key prefix ending in '/', e.g. 'audience-file-snapshots/'. */
  prefix: string;
  /** How long a snapshot answers (TENCENT_SNAPSHOT_SECONDS). */
  ttlSeconds: number;
  clock?: { now(): number };
  /** Test hook; default 128 random bits. */
  newId?: () => string;
}

export interface SnapshotKeeper {
  readonly ttlSeconds: number;
  /** Stores the files (already filtered and ordered) and returns the new snapshot id. */
  save(accountId: number, files: readonly AudienceFile[]): Promise<string>;
  /** The files of a live snapshot of this account; 410 SnapshotGone when unknown, expired or another account's. */
  load(accountId: number, snapshotId: string): Promise<AudienceFile[]>;
}

/** 22 base64url characters (128 random bits): unguessable, and safe inside an S3 key. */
export const SNAPSHOT_ID = /^[A-Za-z0-9_-]{22}$/;

interface Stored {
  version: 1;
  accountId: number;
  createdAt: number;
  expiresAt: number;
  files: AudienceFile[];
}

/**
 * A fresh SNAPSHOT_ID that never starts with `-`: the CLI hands it on as `--snapshot-id ID`, where a leading dash
 * reads as another option (about 1 id in 64 would; drawing again costs nothing and keeps 128 random bits).
 */
export function newSnapshotId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function createSnapshotKeeper(options: SnapshotOptions): SnapshotKeeper {
  const clock = options.clock ?? Date;
  const key = (accountId: number, id: string) => `${options.prefix}${accountId}/${id}.json`;
  const gone = (id: string) =>
    new SnapshotGone(
      `snapshot_id ${id} is unknown, expired (snapshots live ${options.ttlSeconds} s) or belongs to another ` +
        'account_id; list again without snapshot_id to get a new one',
      { errors: [{ field: 'snapshot_id', message: 'is unknown or expired' }] },
    );
  return {
    ttlSeconds: options.ttlSeconds,
    async save(accountId, files) {
      const id = (options.newId ?? newSnapshotId)();
      const createdAt = clock.now();
      const stored: Stored = {
        version: 1,
        accountId,
        createdAt,
        expiresAt: createdAt + options.ttlSeconds * 1000,
        files: [...files],
      };
      await options.store.put(key(accountId, id), JSON.stringify(stored));
      return id;
    },
    async load(accountId, id) {
      if (!SNAPSHOT_ID.test(id)) {
        throw new BadRequest('Invalid query: snapshot_id: is not a snapshot id', {
          errors: [{ field: 'snapshot_id', message: 'is not a snapshot id (copy page_info.snapshot_id)' }],
        });
      }
      const text = await options.store.get(key(accountId, id)).catch((error: unknown) => {
        if (error instanceof AppError) throw error;
        const name = error instanceof Error ? error.name : 'unknown error';
        throw new UpstreamError(`The paging snapshot store could not be read (${name}); try again`, { cause: error });
      });
      const stored = text === undefined ? undefined : readStored(text);
      if (!stored || stored.accountId !== accountId || stored.expiresAt <= clock.now()) throw gone(id);
      return stored.files;
    },
  };
}

function readStored(text: string): Stored | undefined {
  try {
    const value = JSON.parse(text) as Partial<Stored>;
    const valid =
      value.version === 1 &&
      typeof value.accountId === 'number' &&
      typeof value.expiresAt === 'number' &&
      Array.isArray(value.files);
    return valid ? (value as Stored) : undefined;
  } catch {
    return undefined;
  }
}
