// Decides whether a pre-signed download link may be fetched: https on an allowlisted host (http only where allowed).
import { UntrustedDownloadLink } from '../errors.ts';
import { redactUrl } from '../log.ts';

/**
 * One allowlist entry: `host`, `*.domain` (any subdomain, not the apex), optionally with `:port`.
 * Prefixing an entry with `http://` also allows plain http for it (meant for local emulators only).
 */
interface HostRule {
  pattern: string;
  port?: string;
  allowHttp: boolean;
}

function parseRule(entry: string): HostRule {
  const allowHttp = entry.startsWith('http://');
  const bare = entry
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  const match = /^(.*?)(?::(\d+))?$/.exec(bare);
  return { pattern: match?.[1] ?? bare, port: match?.[2], allowHttp };
}

function hostMatches(rule: HostRule, hostname: string, port: string): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  if (rule.pattern.startsWith('*.')) {
    const suffix = rule.pattern.slice(1);
    return hostname.endsWith(suffix) && hostname.length > suffix.length;
  }
  return hostname === rule.pattern;
}

/** The parsed link when it is safe to fetch; otherwise UntrustedDownloadLink (the message never shows the signature). */
export function assertTrustedDownloadLink(link: string, allowlist: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(link);
  } catch (error) {
    throw new UntrustedDownloadLink(`Download link is not a valid URL: ${redactUrl(link).slice(0, 80)}`, {
      cause: error,
    });
  }
  const hostname = url.hostname.toLowerCase();
  const rules = allowlist.map(parseRule).filter((rule) => hostMatches(rule, hostname, url.port));
  const schemeOk = url.protocol === 'https:' || (url.protocol === 'http:' && rules.some((rule) => rule.allowHttp));
  if (rules.length === 0 || !schemeOk) {
    const why = rules.length === 0 ? 'its host is not in GROWINGIO_DOWNLOAD_HOSTS' : 'it does not use https';
    throw new UntrustedDownloadLink(`Refusing download link on ${url.protocol}//${url.host}: ${why}`);
  }
  return url;
}

/**
 * The link's `expires` query parameter as epoch milliseconds, read as a hint only: GrowingIO documents neither
 * its unit nor that it means anything ("nothing in a link should be relied on"). 10 digits are seconds, 13 digits
 * milliseconds; anything else (absent, other lengths, not digits) is unknown (undefined). Never refuse a link on
 * this alone: a 403 on the download is what says it expired (DownloadLinkExpired).
 */
export function linkExpiresAt(url: URL): number | undefined {
  const raw = url.searchParams.get('expires');
  if (raw === null) return undefined;
  if (/^\d{10}$/.test(raw)) return Number(raw) * 1000;
  if (/^\d{13}$/.test(raw)) return Number(raw);
  return undefined;
}
