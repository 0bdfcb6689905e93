import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.ts';
import { exportStatusUrl } from '../../lib/export/status-url.ts';

describe('exportStatusUrl', () => {
  it('uses the configured base URL first, then the API Gateway domain over https, else a relative path', () => {
    const domainName = 'abc.execute-api.us-east-1.amazonaws.com';
    expect(exportStatusUrl('k-1', { baseUrl: 'http://127.0.0.1:3000/', domainName })).toBe(
      'http://127.0.0.1:3000/exports/k-1',
    );
    expect(exportStatusUrl('k-1', { domainName })).toBe(`https://${domainName}/exports/k-1`);
    expect(exportStatusUrl('k-1', {})).toBe('/exports/k-1');
  });

  it('accepts only an http(s) API_BASE_URL', () => {
    expect(parseConfig({ API_BASE_URL: 'http://127.0.0.1:3000' }).API_BASE_URL).toBe('http://127.0.0.1:3000');
    expect(() => parseConfig({ API_BASE_URL: 'javascript://evil.example' })).toThrow(/API_BASE_URL/);
  });
});
