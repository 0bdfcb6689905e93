// Signed download links of the GrowingIO emulator and the file downloads behind them (ranges, versions, faults).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeDecode } from '../servers.ts';
import { serveCsvFile } from './csv-serve.ts';
import { type Answer, type FileState, type Job, type LinkSet, type State, send, xmlError } from './growingio-state.ts';

const sign = (s: State, path: string, expires: number) =>
  createHmac('sha256', s.secret).update(`${path}\n${expires}`).digest('base64');

const expiresUnitMs = (s: State) => (s.options.expiresUnit === 'seconds' ? 1000 : 1);

export function issueLinks(s: State, job: Job, expireMinutes: number): LinkSet {
  const unit = expiresUnitMs(s);
  let expiresAt = Math.ceil((s.now() + expireMinutes * 60_000) / unit) * unit;
  if (job.links && expiresAt <= job.links.expiresAt) expiresAt = job.links.expiresAt + unit; // a fresh signature
  const expires = expiresAt / unit;
  const signs: string[] = [];
  const urls = s.files.map((_, index) => {
    const name = encodeURIComponent(`${job.id.slice(0, 8)}_分群用户_${index + 1}.csv`);
    const path = `/downloads/${job.id}/${index + 1}/${name}`;
    const signature = sign(s, path, expires);
    signs.push(signature);
    return `${s.origin}${path}?sign=${encodeURIComponent(signature)}&expires=${expires}`;
  });
  return { urls, signs, expiresAt, faultable: !job.expiryFaultFired };
}

function checkLink(s: State, url: URL, match: RegExpExecArray): { job: Job; index: number; sign: string } | Answer {
  const denied = (code: string, message: string): Answer => ({ status: 403, body: xmlError(code, message) });
  const given = url.searchParams.get('sign') ?? '';
  const expires = Number(url.searchParams.get('expires'));
  if (!Number.isSafeInteger(expires) || !safeEqual(given, sign(s, url.pathname, expires))) {
    return denied('SignatureDoesNotMatch', 'The request signature we calculated does not match');
  }
  const job = s.jobsById.get(match[1]!);
  const index = Number(match[2]) - 1;
  if (!job || !s.files[index]) return { status: 404, body: xmlError('NoSuchKey', 'The specified key does not exist.') };
  if (expires * expiresUnitMs(s) <= s.now() || job.revoked.has(given)) {
    return denied('AccessDenied', 'Request has expired');
  }
  return { job, index, sign: given };
}

/** The file as it is now (after any changeFileAfterBytes), with its validators for these columns. */
export function currentFile(s: State, index: number, columns: string[]) {
  const state = s.fileStates[index]!;
  const base = s.files[index]!;
  const spec = { ...base, rows: base.rows + state.extraRows, version: (base.version ?? 0) + state.version };
  const etag = `"${createHash('md5')
    .update(JSON.stringify([spec, columns]))
    .digest('hex')}"`;
  return { spec, etag, lastModified: state.lastModified };
}

/** Counts served bytes of a file and changes it once changeFileAfterBytes is reached. */
function countServed(s: State, index: number, bytes: number): void {
  const state = s.fileStates[index]!;
  state.served += bytes;
  const limit = s.faults.changeFileAfterBytes;
  if (limit === undefined || state.changed || state.served < limit) return;
  state.changed = true;
  state.version++;
  if (s.faults.changeFileLength) state.extraRows++;
  state.lastModified = new Date(Math.max(wholeSeconds(s.now()), state.lastModified.getTime() + 1000));
}

const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

export async function handleDownload(
  s: State,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  match: RegExpExecArray,
): Promise<void> {
  s.counters.downloads++;
  if ((s.faults.downloadServerErrors ?? 0) > 0) {
    s.faults.downloadServerErrors = (s.faults.downloadServerErrors ?? 0) - 1;
    return send(res, { status: 503, body: xmlError('ServiceUnavailable', 'Please reduce your request rate.') });
  }
  const checked = checkLink(s, url, match);
  if ('status' in checked) return send(res, checked);
  const { job, index } = checked;
  const name = safeDecode(match[3]!);
  if (name === undefined) return send(res, { status: 400, body: xmlError('InvalidURI', 'Could not parse the URI.') });
  const links = job.links;
  const faultable = links?.faultable && links.signs.includes(checked.sign);
  const file = currentFile(s, index, job.columns);
  await serveCsvFile(res, file.spec, job.columns, {
    name,
    etag: file.etag,
    lastModified: file.lastModified,
    request: req.headers,
    ignoreRange: s.faults.ignoreRange === true,
    onBytes: (bytes) => countServed(s, index, bytes),
    truncate: s.faults.truncate === true,
    bytesPerSecond: s.faults.slowBodyBytesPerSecond,
    cutAfterBytes: faultable ? s.faults.expireLinksAfterBytes : undefined,
    onCut: () => {
      // The whole link set expires at once, as if its lifetime ended mid-download.
      for (const signature of links?.signs ?? []) job.revoked.add(signature);
      job.expiryFaultFired = true;
    },
  });
}

/** Every file as first served: nothing counted, version 0, last modified a minute before the emulator started. */
export function initialFileStates(s: State): FileState[] {
  const created = new Date(wholeSeconds(s.now()) - 60_000);
  return s.files.map(() => ({ served: 0, version: 0, extraRows: 0, changed: false, lastModified: created }));
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
