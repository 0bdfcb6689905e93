// A failed execution's cause as people read it (API answers, history, reports). SDK-free, so the sync tasks and
// the fan-out summary can use it without loading the Step Functions client.

/** On AWS a Lambda error's cause is a JSON envelope with a stack trace: keep only its message. */
export function readableCause(cause: string | undefined): string {
  if (!cause?.startsWith('{')) return cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}
