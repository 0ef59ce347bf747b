/**
 * Access to the dashboard API: a bearer token in the Authorization header, never a cookie, so a
 * page on another origin cannot make the browser send it (no ambient credentials, nothing to
 * forge). On top, requests that change something must be JSON and, when the browser names an
 * Origin, come from the dashboard's own origin or an allowed one (docs/adr/0013-dashboard.md).
 *
 * `StaticTokenAccess` is the demo's and a cluster-less deployment's: one token, every permission.
 * KubernetesAccess (kube-access.ts) asks the API server.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ForesightError } from '../../errors.js';
import type { AccessControl, Permission, Principal } from './types.js';

export class StaticTokenAccess implements AccessControl {
  private readonly digest: Buffer;

  constructor(
    token: string,
    private readonly principal: Principal = { name: 'admin', groups: [] },
  ) {
    if (token.length < 16)
      throw new ForesightError('dashboard-token', 'the dashboard token must be at least 16 characters');
    this.digest = createHash('sha256').update(token).digest();
  }

  authenticate(token: string): Promise<Principal | undefined> {
    // Comparing digests keeps the comparison constant-time whatever the token's length.
    const given = createHash('sha256').update(token).digest();
    return Promise.resolve(timingSafeEqual(given, this.digest) ? this.principal : undefined);
  }

  allowed(_principal: Principal, _permission: Permission): Promise<boolean> {
    return Promise.resolve(true);
  }
}

/** A fresh random token (URL-safe), for the demo. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export interface OriginPolicy {
  /** Extra origins allowed to make changes (e.g. a reverse proxy's public origin). */
  allowedOrigins: readonly string[];
}

/**
 * Whether a state-changing request may proceed. Browsers send Origin on every cross-origin
 * request and on same-origin POST/PUT/DELETE; a missing Origin means a non-browser client (curl,
 * tests), which cannot be driven by another site and carries the token explicitly anyway.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  policy: OriginPolicy,
): boolean {
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  if (policy.allowedOrigins.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Mutations must carry JSON: a cross-site form or a "simple" request cannot, without a preflight we never answer. */
export function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);
}
