/**
 * Leases in the store: a named lock with a holder and an expiry, so that only one replica runs a
 * job (training) at a time, and a crashed holder's lease simply runs out. One atomic upsert takes
 * a lease that is free, expired or already ours; works the same on PostgreSQL and PGlite.
 * Expiry is measured on the database's clock, so replicas with skewed clocks agree.
 */
import type { Db } from './db.js';

export interface LeaseInfo {
  name: string;
  holder: string;
  expiresAt: number;
}

export class Leases {
  constructor(private readonly db: Db) {}

  /** Takes or renews `name` for `ttlMs`; true when `holder` now holds it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rows } = await this.db.query<{ holder: string }>(
      `INSERT INTO leases (name, holder, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE leases.expires_at <= now() OR leases.holder = EXCLUDED.holder
       RETURNING holder`,
      [name, holder, ttlMs],
    );
    return rows[0]?.holder === holder;
  }

  /** Gives the lease up if `holder` has it; false when someone else holds it (or nobody). */
  async release(name: string, holder: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM leases WHERE name = $1 AND holder = $2`, [
      name,
      holder,
    ]);
    return rowCount > 0;
  }

  async get(name: string): Promise<LeaseInfo | undefined> {
    const { rows } = await this.db.query<{ holder: string; ms: number }>(
      `SELECT holder, (extract(epoch FROM expires_at) * 1000)::float8 AS ms FROM leases WHERE name = $1`,
      [name],
    );
    const r = rows[0];
    return r ? { name, holder: r.holder, expiresAt: r.ms } : undefined;
  }
}

/**
 * Runs `fn` while holding `name`, renewing the lease every third of its TTL; returns undefined
 * without running when another holder has it. The lease is released afterwards, even on error.
 */
export async function withLease<T>(
  leases: Leases,
  name: string,
  holder: string,
  ttlMs: number,
  fn: () => Promise<T>,
  onRenewError?: (err: unknown) => void,
): Promise<{ ran: true; value: T } | { ran: false; holder?: string }> {
  if (!(await leases.acquire(name, holder, ttlMs))) {
    return { ran: false, ...(await leases.get(name).then((l) => (l ? { holder: l.holder } : {}))) };
  }
  const timer = setInterval(
    () => {
      leases.acquire(name, holder, ttlMs).catch((err: unknown) => onRenewError?.(err));
    },
    Math.max(50, ttlMs / 3),
  );
  timer.unref();
  try {
    return { ran: true, value: await fn() };
  } finally {
    clearInterval(timer);
    await leases.release(name, holder).catch(() => undefined);
  }
}
