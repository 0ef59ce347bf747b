/**
 * Keeps the database URL's secret out of log lines and error messages. The URL in
 * config.store.url may carry a password; every message that mentions the database goes through
 * `describeTarget` (host:port only) or `scrub` (removes the password wherever it appears).
 */

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `host:port` of a postgres:// URL, for "cannot reach PostgreSQL at …". */
export function describeTarget(url: string): string {
  const parsed = parse(url);
  if (!parsed) return '(unparseable database URL)';
  const hostParam = parsed.searchParams.get('host');
  const host = parsed.hostname || hostParam || 'localhost';
  return `${host}:${parsed.port || '5432'}`;
}

/** The URL with its password replaced by `***` (for a debug line that needs the whole URL). */
export function redactUrl(url: string): string {
  const parsed = parse(url);
  if (!parsed) return '(unparseable database URL)';
  if (parsed.password) parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}

/** The user the URL logs in as, for "rejected the login of user …". */
export function urlUser(url: string): string | undefined {
  const parsed = parse(url);
  if (!parsed?.username) return undefined;
  return decodeURIComponent(parsed.username);
}

/** Removes the URL and its password (raw and percent-decoded) from `text`. */
export function scrub(text: string, url: string): string {
  let out = text.replaceAll(url, redactUrl(url));
  const parsed = parse(url);
  const secrets = new Set<string>();
  if (parsed?.password) {
    secrets.add(parsed.password);
    try {
      secrets.add(decodeURIComponent(parsed.password));
    } catch {
      // A malformed escape: the raw form is still removed.
    }
  }
  const param = parsed?.searchParams.get('password');
  if (param) secrets.add(param);
  for (const secret of secrets) if (secret.length > 0) out = out.replaceAll(secret, '***');
  return out;
}
