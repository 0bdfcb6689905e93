// AWS naming rules the project checks input against, each written once.

/** S3 bucket names: 3-63 characters of a-z 0-9 . -, a letter or digit at both ends. */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Step Functions execution names (export ids are execution names): 1-80 characters of A-Z a-z 0-9 _ -. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
export const EXECUTION_NAME_RULE = 'must be 1-80 characters of A-Z a-z 0-9 _ -';
