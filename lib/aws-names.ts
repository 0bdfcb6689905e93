// AWS naming rules the project checks input against, and its S3 key-prefix rule; each written once.

/** S3 bucket names: 3-63 characters of a-z 0-9 . -, a letter or digit at both ends. */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Step Functions execution names (export ids are execution names): 1-80 characters of A-Z a-z 0-9 _ -. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
export const EXECUTION_NAME_RULE = 'must be 1-80 characters of A-Z a-z 0-9 _ -';

/** Characters of one key-prefix segment (S3's "safe" characters). */
const PREFIX_SEGMENT = /^[A-Za-z0-9!_.*'()-]+$/;
const MAX_PREFIX_CHARS = 256;

/** Why a key prefix is refused, or undefined. Trailing `/` are allowed (and dropped); '' means the bucket root. */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_PREFIX_CHARS) return `must be at most ${MAX_PREFIX_CHARS} characters`;
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return prefix === '' ? undefined : 'must not start with "/"';
  const segments = trimmed.split('/');
  if (segments[0] === '') return 'must not start with "/"';
  if (segments.includes('')) return 'must not contain empty segments ("//")';
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'must not contain "." or ".." segments';
  if (!segments.every((segment) => PREFIX_SEGMENT.test(segment))) {
    return "must use only A-Z a-z 0-9 ! _ . * ' ( ) - between the / separators";
  }
  return undefined;
}
