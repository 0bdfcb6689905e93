// Where a caller polls an export: built from the API's own address, never from request headers a client controls.

/**
 * `baseUrl` is the configured API_BASE_URL (the local `serve` sets its own address); without it, the domain API
 * Gateway itself put in the event (always https there); without either, a relative path.
 */
export function exportStatusUrl(
  exportId: string,
  origin: { baseUrl?: string; domainName?: string },
  collection = 'exports',
): string {
  const path = `/${collection}/${encodeURIComponent(exportId)}`;
  if (origin.baseUrl) return `${origin.baseUrl.replace(/\/+$/, '')}${path}`;
  return origin.domainName ? `https://${origin.domainName}${path}` : path;
}
