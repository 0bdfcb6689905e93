import { describe, expect, it } from 'vitest';
import { configSecrets, parseConfig, requireSettings } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

describe('parseConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = parseConfig({});
    expect(config.GROWINGIO_BASE_URL).toBe('https://www.growingio.com');
    expect(config.GROWINGIO_DOWNLOAD_HOSTS).toEqual(['*.growingio.com']);
    expect(config.TENCENT_BASE_URL).toBe('https://api.e.qq.com');
    expect(config.POLL_INITIAL_SECONDS).toBe(5);
    expect(config.POLL_MAX_SECONDS).toBe(60);
    expect(config.POLL_MAX_ATTEMPTS).toBe(120);
    expect(config.EXPORT_PREFIX).toBe('exports');
    expect(config.EXPORT_BUCKET).toBeUndefined();
  });

  it('parses lists, numbers and trims prefixes', () => {
    const config = parseConfig({
      GROWINGIO_DOWNLOAD_HOSTS: ' *.growingio.com , http://127.0.0.1:9000 ',
      POLL_INITIAL_SECONDS: '2',
      POLL_MAX_SECONDS: '30',
      EXPORT_PREFIX: '/segments/',
      EXPORT_BUCKET: 'my-exports',
    });
    expect(config.GROWINGIO_DOWNLOAD_HOSTS).toEqual(['*.growingio.com', 'http://127.0.0.1:9000']);
    expect(config.POLL_INITIAL_SECONDS).toBe(2);
    expect(config.EXPORT_PREFIX).toBe('segments');
    expect(config.EXPORT_BUCKET).toBe('my-exports');
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      parseConfig({
        GROWINGIO_BASE_URL: 'not a url',
        POLL_MAX_ATTEMPTS: 'many',
        POLL_INITIAL_SECONDS: '0',
        EXPORT_BUCKET: 'Bad_Bucket',
        LOG_LEVEL: 'loud',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    const fields = error.errors.map((item) => item.field).sort();
    expect(fields).toEqual([
      'EXPORT_BUCKET',
      'GROWINGIO_BASE_URL',
      'LOG_LEVEL',
      'POLL_INITIAL_SECONDS',
      'POLL_MAX_ATTEMPTS',
    ]);
    for (const field of fields) expect(error.message).toContain(field);
  });

  it('rejects a poll ceiling below the initial interval', () => {
    expect(() => parseConfig({ POLL_INITIAL_SECONDS: '30', POLL_MAX_SECONDS: '10' })).toThrow(/POLL_MAX_SECONDS/);
  });

  it('requireSettings names each missing setting', () => {
    const config = parseConfig({});
    expect(() => requireSettings(config, ['EXPORT_BUCKET', 'STATE_MACHINE_ARN'])).toThrow(
      'Missing configuration: EXPORT_BUCKET, STATE_MACHINE_ARN',
    );
    const ok = requireSettings(parseConfig({ EXPORT_BUCKET: 'bucket-a' }), ['EXPORT_BUCKET']);
    expect(ok.EXPORT_BUCKET).toBe('bucket-a');
  });

  it('never echoes secret values in validation errors', () => {
    const token = 'gio-secret-token-123456';
    try {
      parseConfig({ GROWINGIO_TOKEN: token, POLL_MAX_ATTEMPTS: 'x' });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(token);
    }
    expect(configSecrets(parseConfig({ GROWINGIO_TOKEN: token, TENCENT_ACCESS_TOKEN: 'tencent-abcdef' }))).toEqual([
      token,
      'tencent-abcdef',
    ]);
  });

  it('Tencent settings: defaults, refresh secrets redacted, and every bad value named', () => {
    const defaults = parseConfig({});
    expect(defaults.TENCENT_API_VERSION).toBe('v1.3');
    expect(defaults.TENCENT_SNAPSHOT_SECONDS).toBe(300);
    expect(defaults.TENCENT_SNAPSHOT_PREFIX).toBe('audience-file-snapshots/');
    expect(defaults.TENCENT_DAILY_RETRY_AFTER_SECONDS).toBeUndefined();
    const set = parseConfig({
      TENCENT_API_VERSION: 'v3.0',
      TENCENT_SNAPSHOT_PREFIX: '/pages/tencent/',
      TENCENT_DAILY_RETRY_AFTER_SECONDS: '3600',
      TENCENT_CLIENT_SECRET: 'client-secret-xyz',
      TENCENT_REFRESH_TOKEN: 'refresh-token-xyz',
    });
    expect(set.TENCENT_API_VERSION).toBe('v3.0');
    expect(set.TENCENT_SNAPSHOT_PREFIX).toBe('pages/tencent/');
    expect(set.TENCENT_DAILY_RETRY_AFTER_SECONDS).toBe(3600);
    expect(configSecrets(set)).toEqual(['client-secret-xyz', 'refresh-token-xyz']);
    let caught: unknown;
    try {
      parseConfig({
        TENCENT_API_VERSION: 'v2',
        TENCENT_SNAPSHOT_SECONDS: '0',
        TENCENT_SNAPSHOT_PREFIX: 'a//b',
        TENCENT_DAILY_RETRY_AFTER_SECONDS: 'soon',
      });
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).errors.map((item) => item.field).sort()).toEqual([
      'TENCENT_API_VERSION',
      'TENCENT_DAILY_RETRY_AFTER_SECONDS',
      'TENCENT_SNAPSHOT_PREFIX',
      'TENCENT_SNAPSHOT_SECONDS',
    ]);
  });
});
