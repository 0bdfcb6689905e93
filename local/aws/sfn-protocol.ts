// The AWS JSON 1.0 wire protocol of the local Step Functions service: request parsing, field validation and
// error bodies shaped as the real service sends them (HTTP 400, `__type` with the service's namespace).
import type { IncomingMessage, ServerResponse } from 'node:http';

const SFN = 'com.amazonaws.swf.service.v2.model';
const CORAL_VALIDATE = 'com.amazon.coral.validate';
const CORAL_SERVICE = 'com.amazon.coral.service';

/** Error names the service answers, with the namespace AWS puts in `__type` (the SDK keeps the part after `#`). */
const NAMESPACES: Record<string, string> = {
  ValidationException: CORAL_VALIDATE,
  SerializationException: CORAL_SERVICE,
  UnknownOperationException: CORAL_SERVICE,
  InternalFailure: CORAL_SERVICE,
};

export class ServiceError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
  get wireType(): string {
    return `${NAMESPACES[this.type] ?? SFN}#${this.type}`;
  }
}

export type Body = Record<string, unknown>;
export type Operation = (body: Body) => Promise<unknown> | unknown;

/**
 * Reads a request's fields the way the service's front end does: a wrong JSON type is a SerializationException,
 * a broken constraint is collected and all of them are answered in one ValidationException.
 */
export class FieldReader {
  private readonly problems: string[] = [];
  private readonly body: Body;
  constructor(body: Body) {
    this.body = body;
  }

  string(field: string, constraints: { required?: boolean; min?: number; max?: number; oneOf?: string[] } = {}) {
    const value = this.body[field];
    if (value === undefined || value === null) {
      if (constraints.required)
        this.problems.push(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') throw wrongType(field, value, 'String');
    const { min = 0, max = Number.POSITIVE_INFINITY, oneOf } = constraints;
    if (value.length < min) this.fail(field, value, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.fail(field, value, `Member must have length less than or equal to ${max}`);
    else if (oneOf && !oneOf.includes(value))
      this.fail(field, value, `Member must satisfy enum value set: [${oneOf.join(', ')}]`);
    return value;
  }

  integer(field: string, min: number, max: number): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(field, value, 'Integer');
    if (value < min) this.fail(field, value, `Member must have value greater than or equal to ${min}`);
    if (value > max) this.fail(field, value, `Member must have value less than or equal to ${max}`);
    return value;
  }

  /** Throws the collected constraint failures, if any. */
  done(): void {
    const count = this.problems.length;
    if (count === 0) return;
    throw new ServiceError(
      'ValidationException',
      `${count} validation error${count > 1 ? 's' : ''} detected: ${this.problems.join('; ')}`,
    );
  }

  private fail(field: string, value: unknown, constraint: string) {
    const shown = String(value).length > 100 ? `${String(value).slice(0, 100)}…` : String(value);
    this.problems.push(`Value '${shown}' at '${field}' failed to satisfy constraint: ${constraint}`);
  }
}

function wrongType(field: string, value: unknown, expected: string): ServiceError {
  const kind = Array.isArray(value)
    ? 'START_ARRAY'
    : typeof value === 'object'
      ? 'START_OBJECT'
      : `${typeof value}`.toUpperCase();
  return new ServiceError('SerializationException', `${kind} can not be converted to ${expected} (field '${field}')`);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON object in a request body; anything else is a SerializationException, as on AWS. */
export function parseBody(text: string): Body {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError('SerializationException', 'The request body must be a JSON object');
  }
  return parsed as Body;
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': crypto.randomUUID(),
    ...extra,
  });
  res.end(JSON.stringify(body));
}

/** One request: `X-Amz-Target: AWSStepFunctions.<Operation>` selects the operation, the body is its input. */
export async function handleJsonRequest(
  req: IncomingMessage,
  res: ServerResponse,
  operations: Record<string, Operation>,
  onError?: (error: unknown) => void,
): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const name = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  try {
    const text = await readText(req);
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (req.method !== 'POST' || !operation) {
      throw new ServiceError('UnknownOperationException', `Unsupported operation: '${target || req.method}'`);
    }
    send(res, 200, (await operation(parseBody(text))) ?? {});
  } catch (caught) {
    if (!(caught instanceof ServiceError)) onError?.(caught);
    const error =
      caught instanceof ServiceError ? caught : new ServiceError('InternalFailure', 'The local service failed', 500);
    send(res, error.status, { __type: error.wireType, message: error.message }, { 'x-amzn-errortype': error.type });
  }
}
