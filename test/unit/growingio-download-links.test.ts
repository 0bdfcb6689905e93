import { describe, expect, it } from 'vitest';
import { UntrustedDownloadLink } from '../../lib/errors.ts';
import { assertTrustedDownloadLink, linkExpiresAt } from '../../lib/growingio/download-links.ts';

const SIGNED = '?sign=R9y9atNVIDqU74q34BX%2FgPJI%2Bo22stsGPWZHJ7Tin%2FE%3D&expires=1577344409140';
const SEED_LINK = `https://gta.growingio.com/buckets/segment-download-jobs/20191226/195ae9eb/a.csv${SIGNED}`;
const DEFAULT = ['*.growingio.com'];

function rejection(link: string, allowlist: string[]): UntrustedDownloadLink {
  try {
    assertTrustedDownloadLink(link, allowlist);
  } catch (error) {
    return error as UntrustedDownloadLink;
  }
  throw new Error(`expected ${link} to be refused`);
}

describe('assertTrustedDownloadLink', () => {
  it('accepts the seed link on *.growingio.com and returns the parsed URL', () => {
    const url = assertTrustedDownloadLink(SEED_LINK, DEFAULT);
    expect(url.hostname).toBe('gta.growingio.com');
    expect(url.searchParams.get('expires')).toBe('1577344409140');
  });

  it('refuses lookalike hosts, the bare apex for a wildcard, and userinfo tricks', () => {
    for (const link of [
      `https://growingio.com/a.csv${SIGNED}`,
      `https://gta.growingio.com.evil.io/a.csv${SIGNED}`,
      `https://evilgrowingio.com/a.csv${SIGNED}`,
      `https://gta.growingio.com@evil.io/a.csv${SIGNED}`,
      `https://127.0.0.1/a.csv${SIGNED}`,
    ]) {
      const error = rejection(link, DEFAULT);
      expect(error).toBeInstanceOf(UntrustedDownloadLink);
      expect(error.message).toContain('not in GROWINGIO_DOWNLOAD_HOSTS');
    }
  });

  it('refuses plain http unless the entry allows it, and honours ports', () => {
    expect(rejection(`http://gta.growingio.com/a.csv${SIGNED}`, DEFAULT).message).toContain('https');
    const local = ['http://127.0.0.1:9000'];
    expect(assertTrustedDownloadLink(`http://127.0.0.1:9000/d/a.csv${SIGNED}`, local).port).toBe('9000');
    expect(rejection(`http://127.0.0.1:9001/d/a.csv${SIGNED}`, local)).toBeInstanceOf(UntrustedDownloadLink);
    expect(rejection(`http://localhost:9000/d/a.csv${SIGNED}`, local)).toBeInstanceOf(UntrustedDownloadLink);
  });

  it('refuses other schemes and garbage', () => {
    for (const link of [
      'ftp://gta.growingio.com/a.csv',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
      '',
    ]) {
      expect(rejection(link, [...DEFAULT, 'http://127.0.0.1'])).toBeInstanceOf(UntrustedDownloadLink);
    }
  });

  it('matches hosts case-insensitively', () => {
    expect(assertTrustedDownloadLink(`https://GTA.GrowingIO.com/a.csv${SIGNED}`, DEFAULT).hostname).toBe(
      'gta.growingio.com',
    );
  });

  it('never shows the signature in its messages', () => {
    for (const link of [`https://evil.io/a.csv${SIGNED}`, `bad link${SIGNED}`, `http://gta.growingio.com/x${SIGNED}`]) {
      const error = rejection(link, DEFAULT);
      expect(error.message).not.toContain('R9y9atNVIDq');
    }
  });
});

describe('linkExpiresAt', () => {
  const at = (expires: string) => linkExpiresAt(new URL(`https://gta.growingio.com/a.csv?sign=x&expires=${expires}`));

  it('reads 13 digits as epoch milliseconds', () => {
    expect(linkExpiresAt(new URL(SEED_LINK))).toBe(1_577_344_409_140);
    expect(at('0000000000001')).toBe(1);
  });

  it('reads 10 digits as epoch seconds', () => {
    expect(at('1577344409')).toBe(1_577_344_409_000);
    expect(new Date(at('1893456000')!).toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('gives undefined (unknown) for anything else', () => {
    expect(linkExpiresAt(new URL('https://gta.growingio.com/a.csv?sign=x'))).toBeUndefined();
    for (const garbage of ['', 'soon', '-5', '157734440', '15773444091', '157734440914', '15773444091400', '1.5e12']) {
      expect(at(encodeURIComponent(garbage))).toBeUndefined();
    }
    expect(at('1577344409%20')).toBeUndefined();
    expect(at('%EF%BC%91577344409')).toBeUndefined(); // a full-width digit is not a digit
  });
});
