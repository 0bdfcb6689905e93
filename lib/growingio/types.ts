// Types of the GrowingIO segment-export API ("获取用户分群的下载链接") as this project uses them.

/** Export job state; upstream casing is normalised to lower case. */
export type ExportStatus = 'done' | 'doing' | 'failed';

export type { SegmentExportRequest } from './request.ts';

export interface SegmentExportJob {
  jobId: string;
  status: ExportStatus;
  /** Pre-signed links (no auth header needed); only non-empty when status is done. */
  downloadLinks: string[];
  /** Upstream error text; '' unless the job failed. */
  errorMsg: string;
}

export const EXPORT_STATUSES: readonly ExportStatus[] = ['done', 'doing', 'failed'];

/** The one failed-job message GrowingIO asks the caller to retry ("download error, please retry later"). */
export const RETRYABLE_ERROR_MSG = '下载出错，请您稍后重试';
