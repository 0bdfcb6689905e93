// Errors of the audience sync; each name is what the state machine and GET /syncs/{runId} report.
import { AppError, UpstreamError } from '../errors.ts';

/** Reading or writing the sync's S3 objects failed (after the SDK's own retries). */
export class SyncStorageFailed extends AppError {
  override name = 'SyncStorageFailed';
  override statusCode = 502;
  override expose = true;
}

/** Tencent processed an uploaded file with ERROR: the run fails and keeps the old snapshot. */
export class AudienceProcessingFailed extends UpstreamError {
  override name = 'AudienceProcessingFailed';
}

/** Files were still PENDING/PROCESSING after the last allowed poll. */
export class AudienceProcessingTimedOut extends UpstreamError {
  override name = 'AudienceProcessingTimedOut';
  override statusCode = 504;
}
