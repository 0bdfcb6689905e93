import { describe, expect, it } from 'vitest';
import { GrowingIoUnavailable } from '../../lib/errors.ts';
import { createLogger, REDACTED, redact, redactText, redactUrl } from '../../lib/log.ts';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ secrets, write: (line) => lines.push(line), now: () => new Date(0) });
  return { logger, lines };
}

describe('redaction', () => {
  it('redacts access_token and sign query values but keeps the rest of the URL', () => {
    const url =
      'https://gta.growingio.com/buckets/x.csv?sign=R9y9atNVIDqU74q%2FgPJI%3D&expires=1577344409140&access_token=abc123';
    const safe = redactUrl(url);
    expect(safe).not.toContain('R9y9atNVIDqU74q');
    expect(safe).not.toContain('abc123');
    expect(safe).toContain(`sign=${REDACTED}`);
    expect(safe).toContain('expires=1577344409140');
    expect(safe).toContain('gta.growingio.com/buckets/x.csv');
  });

  it('redacts Authorization headers in text and in objects, whatever the case', () => {
    expect(redactText('Authorization: tok-987654')).toBe(`Authorization: ${REDACTED}`);
    expect(redactText('{"authorization":"tok-987654"}')).not.toContain('tok-987654');
    expect(redact({ headers: { Authorization: 'tok-987654', accept: 'json' } })).toEqual({
      headers: { Authorization: REDACTED, accept: 'json' },
    });
  });

  it('redacts configured secrets anywhere, including inside error causes', () => {
    const secret = 'my-very-secret-token';
    const error = new GrowingIoUnavailable(`upstream said ${secret}`, { cause: new Error(`inner ${secret}`) });
    const out = JSON.stringify(redact(error, [secret]));
    expect(out).not.toContain(secret);
    expect(out).toContain('GrowingIoUnavailable');
  });
});

describe('createLogger', () => {
  it('writes one JSON line per entry with level, time, message and fields', () => {
    const { logger, lines } = capture();
    logger.child({ exportId: 'e1' }).info('started', { pollCount: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'info',
      time: '1970-01-01T00:00:00.000Z',
      message: 'started',
      exportId: 'e1',
      pollCount: 2,
    });
  });

  it('never lets a token reach a log line: message, fields, errors, added secrets', () => {
    const { logger, lines } = capture(['configured-secret-1']);
    logger.addSecret('fetched-from-ssm-2');
    logger.error('call failed for configured-secret-1', {
      url: 'https://api.e.qq.com/v1.3/x?access_token=fetched-from-ssm-2&nonce=1',
      token: 'plain-token-field',
      error: new Error('Authorization: fetched-from-ssm-2 rejected'),
    });
    const line = lines.join('\n');
    for (const secret of ['configured-secret-1', 'fetched-from-ssm-2', 'plain-token-field']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('nonce=1');
  });

  it('drops entries below the threshold', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['loud']);
  });
});
