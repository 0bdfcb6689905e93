// Types of the GrowingIO segment-export API ("获取用户分群的下载链接") as this project uses them.

/** Export job state; upstream casing is normalised to lower case. */
export type ExportStatus = 'done' | 'doing' | 'failed';

export interface SegmentExportRequest {
  projectUid: string;
  segmentationId: string;
  /** Link lifetime in minutes, 1..10080 (7 days); upstream default 5. Ignored upstream while issued links are valid. */
  expireMinutes?: number;
  /** User variables for a secondary filter, sent comma-joined (e.g. open_id,role). */
  parameters?: string[];
}

export interface SegmentExportJob {
  jobId: string;
  status: ExportStatus;
  /** Pre-signed links (no auth header needed); only non-empty when status is done. */
  downloadLinks: string[];
  /** Upstream error text; '' unless the job failed. */
  errorMsg: string;
}

export const EXPORT_STATUSES: readonly ExportStatus[] = ['done', 'doing', 'failed'];

/** Longest link lifetime GrowingIO accepts: 7 days in minutes. */
export const MAX_EXPIRE_MINUTES = 10_080;

/** The one failed-job message GrowingIO asks the caller to retry ("download error, please retry later"). */
export const RETRYABLE_ERROR_MSG = '下载出错，请您稍后重试';
