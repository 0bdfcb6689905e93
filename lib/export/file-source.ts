// Opens one download for a copy slice: from byte 0, or resumed with `Range: bytes=<offset>-` when the server
// answers 206 for the same version of the file; otherwise says why the file must start over.
import { z } from 'zod';
import { type Download, type DownloadTarget, openDownload } from './download.ts';

/** What identifies the version of a file being copied: its length and the server's validators. */
export const sourceValidatorsSchema = z
  .object({
    length: z.number().int().min(0).optional(),
    etag: z.string().max(512).optional(),
    lastModified: z.string().max(64).optional(),
  })
  .strict();
export type SourceValidators = z.output<typeof sourceValidatorsSchema>;

export type OpenedSource =
  | { resumed: true; download: Download }
  /** A download from byte 0; `restartReason` when a resume was asked for and refused (then `ignoresRange` if the file did not change). */
  | { resumed: false; download: Download; validators: SourceValidators; restartReason?: string; ignoresRange: boolean };

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** The validators of an answer; the total length from Content-Range (206) or Content-Length (identity 200). */
export function validatorsOf(download: Download): SourceValidators {
  const { etag, 'last-modified': lastModified, 'content-range': range } = download.headers;
  const total = range ? CONTENT_RANGE.exec(range)?.[3] : undefined;
  const length = total && total !== '*' ? Number(total) : download.encoded ? undefined : download.contentLength;
  return {
    ...(length === undefined ? {} : { length }),
    ...(typeof etag === 'string' ? { etag } : {}),
    ...(typeof lastModified === 'string' ? { lastModified } : {}),
  };
}

/** Why a 206 answer cannot continue the copy (a different version or range), or undefined when it can. */
function mismatch(download: Download, offset: number, known: SourceValidators): string | undefined {
  if (download.encoded) return 'the body is gzip-encoded';
  const range = CONTENT_RANGE.exec(String(download.headers['content-range'] ?? ''));
  if (!range || Number(range[1]) !== offset) return 'the server answered another byte range';
  const now = validatorsOf(download);
  if (known.length !== undefined && now.length !== known.length) return 'its length changed';
  if (known.etag !== undefined && now.etag !== known.etag) return 'its ETag changed';
  if (known.lastModified !== undefined && now.lastModified !== known.lastModified) return 'its Last-Modified changed';
  return undefined;
}

/** Whether a whole-file answer is another version than the one partly copied. */
function changed(download: Download, known: SourceValidators): boolean {
  const now = validatorsOf(download);
  return (
    (known.length !== undefined && now.length !== undefined && now.length !== known.length) ||
    (known.etag !== undefined && now.etag !== known.etag) ||
    (known.lastModified !== undefined && now.lastModified !== known.lastModified)
  );
}

/**
 * Opens the file for a slice. With `resume`, asks for the rest of the same version (`If-Range` with its ETag or
 * Last-Modified): a fitting 206 continues; a 200 (the server ignores Range, or the file changed) is used as the
 * start of a fresh copy; a 206 that does not fit is closed and the file fetched again from byte 0.
 */
export async function openSource(
  target: DownloadTarget,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  resume?: { offset: number; validators: SourceValidators },
): Promise<OpenedSource> {
  if (!resume) {
    const download = await openDownload(target, timeoutMs, signal);
    return { resumed: false, download, validators: validatorsOf(download), ignoresRange: false };
  }
  const { offset, validators } = resume;
  const ifRange = validators.etag ?? validators.lastModified;
  const headers = { range: `bytes=${offset}-`, ...(ifRange ? { 'if-range': ifRange } : {}) };
  const download = await openDownload(target, timeoutMs, signal, headers);
  if (download.status === 206) {
    const why = mismatch(download, offset, validators);
    if (!why) return { resumed: true, download };
    download.close();
    const fresh = await openDownload(target, timeoutMs, signal);
    return {
      resumed: false,
      download: fresh,
      validators: validatorsOf(fresh),
      restartReason: why,
      ignoresRange: false,
    };
  }
  const isNewVersion = changed(download, validators);
  const restartReason = download.encoded
    ? 'the body is gzip-encoded'
    : isNewVersion
      ? 'the file changed'
      : 'the server ignored Range (200)';
  return {
    resumed: false,
    download,
    validators: validatorsOf(download),
    restartReason,
    ignoresRange: !isNewVersion,
  };
}
