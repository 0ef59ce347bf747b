/**
 * The model registry: every trained version of every model, with its ONNX bytes, parameters,
 * training span, metrics and status (candidate → active → retired, or candidate → rejected).
 * At most one version per name is active (a unique partial index enforces it); promotion and
 * rollback switch it in one transaction, so a detector polling `activeVersions()` sees the old
 * or the new set, never none. Decisions: docs/adr/0011-model-registry-training-feedback.md.
 */
import { ForesightError } from '../../errors.js';
import type { Db, Queryable } from './db.js';

export type ModelStatus = 'candidate' | 'active' | 'retired' | 'rejected';

export interface NewModelVersion {
  name: string;
  params: unknown;
  /**
   * Absent for models whose ONNX is rebuilt from params when loaded (forecaster bundles); a
   * function receives the version being assigned, so the bytes can carry it in their metadata.
   */
  onnx?: Uint8Array | ((version: number) => Uint8Array);
  featureSchemaVersion: number;
  trainedFrom?: number;
  trainedTo?: number;
  trainingRows: number;
  metrics: Record<string, unknown>;
  note?: string;
}

export interface ModelVersionInfo {
  name: string;
  version: number;
  status: ModelStatus;
  featureSchemaVersion: number;
  trainedFrom?: number;
  trainedTo?: number;
  trainingRows: number;
  metrics: Record<string, unknown>;
  createdAt: number;
  promotedAt?: number;
  rolledBackAt?: number;
  note?: string;
}

export interface ModelVersion extends ModelVersionInfo {
  params: unknown;
  onnx?: Uint8Array;
}

interface ModelDbRow {
  name: string;
  version: number;
  status: ModelStatus;
  feature_schema_version: number;
  trained_from: number | null;
  trained_to: number | null;
  training_rows: number;
  metrics: Record<string, unknown>;
  created_at: number;
  promoted_at: number | null;
  rolled_back_at: number | null;
  note: string | null;
  params?: unknown;
  onnx?: Uint8Array | null;
}

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8 AS ${column}`;
const INFO_COLUMNS = [
  'name',
  'version',
  'status',
  'feature_schema_version',
  ms('trained_from'),
  ms('trained_to'),
  'training_rows',
  'metrics',
  ms('created_at'),
  ms('promoted_at'),
  ms('rolled_back_at'),
  'note',
].join(', ');

function toInfo(r: ModelDbRow): ModelVersionInfo {
  const info: ModelVersionInfo = {
    name: r.name,
    version: r.version,
    status: r.status,
    featureSchemaVersion: r.feature_schema_version,
    trainingRows: r.training_rows,
    metrics: r.metrics,
    createdAt: r.created_at,
  };
  if (r.trained_from !== null) info.trainedFrom = r.trained_from;
  if (r.trained_to !== null) info.trainedTo = r.trained_to;
  if (r.promoted_at !== null) info.promotedAt = r.promoted_at;
  if (r.rolled_back_at !== null) info.rolledBackAt = r.rolled_back_at;
  if (r.note !== null) info.note = r.note;
  return info;
}

function toVersion(r: ModelDbRow): ModelVersion {
  const v: ModelVersion = { ...toInfo(r), params: r.params };
  if (r.onnx) v.onnx = new Uint8Array(r.onnx);
  return v;
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

export class ModelRegistry {
  constructor(private readonly db: Db) {}

  /** Stores a new version with status `candidate`; versions count 1, 2, 3 … per name. */
  async saveCandidate(m: NewModelVersion): Promise<number> {
    // The trainer lease keeps writers apart; the retry covers a manual `train` racing it anyway.
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows: next } = await this.db.query<{ version: number }>(
          `SELECT coalesce(max(version), 0) + 1 AS version FROM models WHERE name = $1`,
          [m.name],
        );
        const version = next[0]!.version;
        const onnx = typeof m.onnx === 'function' ? m.onnx(version) : m.onnx;
        const { rows } = await this.db.query<{ version: number }>(
          `INSERT INTO models (name, version, status, onnx, params, feature_schema_version,
                               trained_from, trained_to, training_rows, metrics, note)
           VALUES ($1, $10, 'candidate', $2, $3::jsonb, $4, $5, $6, $7, $8::jsonb, $9)
           RETURNING version`,
          [
            m.name,
            onnx ? Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength) : null,
            JSON.stringify(m.params),
            m.featureSchemaVersion,
            iso(m.trainedFrom),
            iso(m.trainedTo),
            m.trainingRows,
            JSON.stringify(m.metrics),
            m.note ?? null,
            version,
          ],
        );
        return rows[0]!.version;
      } catch (err) {
        if ((err as { code?: unknown }).code !== '23505' || attempt >= 3) throw err;
      }
    }
  }

  /** Makes `version` the active one; the previously active version is retired. */
  async promote(name: string, version: number, note?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await this.statusOf(tx, name, version);
      if (current === 'active') return;
      if (current === 'rejected') {
        throw new ForesightError('registry-bad-transition', `${name} v${version} was rejected`);
      }
      await tx.query(`UPDATE models SET status = 'retired' WHERE name = $1 AND status = 'active'`, [name]);
      await tx.query(
        `UPDATE models SET status = 'active', promoted_at = now(), rolled_back_at = NULL,
                note = coalesce($3, note)
          WHERE name = $1 AND version = $2`,
        [name, version, note ?? null],
      );
    });
  }

  /** Marks a candidate as failed validation; it is never loaded. */
  async reject(name: string, version: number, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await this.statusOf(tx, name, version);
      if (current === 'active') {
        throw new ForesightError('registry-bad-transition', `${name} v${version} is active: roll back first`);
      }
      await tx.query(`UPDATE models SET status = 'rejected', note = $3 WHERE name = $1 AND version = $2`, [
        name,
        version,
        reason,
      ]);
    });
  }

  /** Takes a version out of use; retiring the active one leaves the name without an active model. */
  async retire(name: string, version: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.statusOf(tx, name, version);
      await tx.query(`UPDATE models SET status = 'retired' WHERE name = $1 AND version = $2`, [
        name,
        version,
      ]);
    });
  }

  /**
   * The active version is retired (and marked rolled back); the most recently promoted version
   * before it that was never rolled back becomes active again. Returns the versions.
   */
  async rollback(name: string, note?: string): Promise<{ from: number; to: number }> {
    return this.db.transaction(async (tx) => {
      const { rows: active } = await tx.query<{ version: number }>(
        `SELECT version FROM models WHERE name = $1 AND status = 'active'`,
        [name],
      );
      const from = active[0]?.version;
      if (from === undefined) throw new ForesightError('registry-no-active', `${name} has no active version`);
      const { rows: prev } = await tx.query<{ version: number }>(
        `SELECT version FROM models
          WHERE name = $1 AND status = 'retired' AND promoted_at IS NOT NULL AND rolled_back_at IS NULL
          ORDER BY promoted_at DESC, version DESC LIMIT 1`,
        [name],
      );
      const to = prev[0]?.version;
      if (to === undefined) {
        throw new ForesightError('registry-no-previous', `${name} has no earlier version to roll back to`);
      }
      await tx.query(
        `UPDATE models SET status = 'retired', rolled_back_at = now(), note = $3 WHERE name = $1 AND version = $2`,
        [name, from, note ?? `rolled back to v${to}`],
      );
      await tx.query(
        `UPDATE models SET status = 'active', promoted_at = now(), note = $3 WHERE name = $1 AND version = $2`,
        [name, to, `reactivated by rollback from v${from}`],
      );
      return { from, to };
    });
  }

  /** Versions with metrics (no bytes), newest first; all names unless one is given. */
  async list(name?: string): Promise<ModelVersionInfo[]> {
    const { rows } = await this.db.query<ModelDbRow>(
      `SELECT ${INFO_COLUMNS} FROM models ${name === undefined ? '' : 'WHERE name = $1'}
        ORDER BY name, version DESC`,
      name === undefined ? [] : [name],
    );
    return rows.map(toInfo);
  }

  async get(name: string, version: number): Promise<ModelVersion> {
    const { rows } = await this.db.query<ModelDbRow>(
      `SELECT ${INFO_COLUMNS}, params, onnx FROM models WHERE name = $1 AND version = $2`,
      [name, version],
    );
    const row = rows[0];
    if (!row) throw new ForesightError('registry-not-found', `${name} v${version} is not in the registry`);
    return toVersion(row);
  }

  /** Name → active version: the cheap query detectors poll to notice a promotion or rollback. */
  async activeVersions(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ name: string; version: number }>(
      `SELECT name, version FROM models WHERE status = 'active' ORDER BY name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.version]));
  }

  /** Every active version with its parameters and bytes (names optional: all). */
  async loadActive(names?: readonly string[]): Promise<ModelVersion[]> {
    const { rows } = await this.db.query<ModelDbRow>(
      `SELECT ${INFO_COLUMNS}, params, onnx FROM models
        WHERE status = 'active' ${names === undefined ? '' : 'AND name = ANY($1::text[])'}
        ORDER BY name`,
      names === undefined ? [] : [[...names]],
    );
    return rows.map(toVersion);
  }

  /** Appends to a version's note (e.g. why it was kept as a candidate). */
  async annotate(name: string, version: number, note: string): Promise<void> {
    await this.db.query(`UPDATE models SET note = $3 WHERE name = $1 AND version = $2`, [
      name,
      version,
      note,
    ]);
  }

  private async statusOf(q: Queryable, name: string, version: number): Promise<ModelStatus> {
    const { rows } = await q.query<{ status: ModelStatus }>(
      `SELECT status FROM models WHERE name = $1 AND version = $2 FOR UPDATE`,
      [name, version],
    );
    const status = rows[0]?.status;
    if (!status) throw new ForesightError('registry-not-found', `${name} v${version} is not in the registry`);
    return status;
  }
}
