/**
 * Reads configuration once: defaults, then a YAML/JSON file, then FORESIGHT_* environment
 * variables, then explicit overrides (CLI flags). The result is validated, deep-frozen and has
 * its secrets made non-enumerable so that logging the config never prints them.
 *
 * Two variables a deployment sets do not map onto one key (docs/adr/0014): the database password,
 * merged into the URL so it can come from a Secret while the rest of the URL stays plain config,
 * and a detector replica's place in its StatefulSet, which decides the partitions it owns.
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { ForesightError } from '../errors.js';
import { configSchema, natsSchema, storeSchema, type Config } from './schema.js';

type Json = Record<string, unknown>;

/** Environment variables understood, mapped to their config path. */
const ENV_PATHS: Record<string, string[]> = {
  FORESIGHT_NATS_URL: ['nats', 'url'],
  FORESIGHT_DATABASE_URL: ['store', 'url'],
  FORESIGHT_STORE: ['store', 'kind'],
  FORESIGHT_STORE_SCHEMA: ['store', 'schema'],
  FORESIGHT_ANON_KEY_FILE: ['anonymization', 'keyFile'],
  FORESIGHT_ANON_KEY: ['anonymization', 'key'],
  FORESIGHT_LOG_LEVEL: ['log', 'level'],
  FORESIGHT_LOG_FORMAT: ['log', 'format'],
};

/** Replaces the password of store.url (the URL keeps user, host, database and parameters). */
export const DATABASE_PASSWORD_ENV = 'FORESIGHT_DATABASE_PASSWORD';
/** This detector replica: a StatefulSet pod name ending in `-<ordinal>`, or the bare ordinal. */
export const DETECTOR_REPLICA_ENV = 'FORESIGHT_DETECTOR_REPLICA';
/** How many detector replicas share the partitions. */
export const DETECTOR_REPLICAS_ENV = 'FORESIGHT_DETECTOR_REPLICAS';

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Json;
}

export function loadConfig(options: LoadOptions = {}): Config {
  let raw: Json = {};
  if (options.file) {
    try {
      const text = readFileSync(options.file, 'utf8');
      const parsed: unknown = yaml.load(text);
      raw = (parsed ?? {}) as Json;
    } catch (err) {
      throw new ForesightError('config-file', `cannot read config file ${options.file}`, { cause: err });
    }
  }
  for (const [name, path] of Object.entries(ENV_PATHS)) {
    const value = options.env?.[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  applyDetectorReplica(raw, options.env ?? {});
  if (options.overrides) deepMerge(raw, options.overrides);
  const password = options.env?.[DATABASE_PASSWORD_ENV];
  if (password !== undefined && password !== '') {
    const store = isPlainObject(raw.store) ? raw.store : (raw.store = {});
    const url = typeof store.url === 'string' ? store.url : storeSchema.parse({}).url;
    store.url = withPassword(url, password);
  }
  return parseConfig(raw);
}

/** The URL with its password set (percent-encoded once, as node-postgres decodes it). */
export function withPassword(url: string, password: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    // The URL may carry credentials already: never echo it.
    throw new ForesightError(
      'config-invalid',
      `store.url is not a URL, cannot add ${DATABASE_PASSWORD_ENV}`,
      {
        cause: err,
      },
    );
  }
  if (!parsed.username) {
    throw new ForesightError(
      'config-invalid',
      `store.url names no user, so ${DATABASE_PASSWORD_ENV} has nobody to log in`,
    );
  }
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/**
 * The partitions a replica owns: every partition whose number is congruent to its ordinal modulo
 * the replica count, so each partition has exactly one owner and the counts differ by one at most.
 */
export function partitionsOfReplica(ordinal: number, replicas: number, partitions: number): number[] {
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new ForesightError(
      'config-invalid',
      `${DETECTOR_REPLICAS_ENV} must be a positive integer, got ${replicas}`,
    );
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= replicas)
    throw new ForesightError(
      'config-invalid',
      `detector replica ordinal ${ordinal} is outside 0..${replicas - 1} (${DETECTOR_REPLICAS_ENV}=${replicas})`,
    );
  if (replicas > partitions)
    throw new ForesightError(
      'config-invalid',
      `${replicas} detector replicas for ${partitions} partitions (nats.partitions): some replicas would own none`,
    );
  const owned: number[] = [];
  for (let p = ordinal; p < partitions; p += replicas) owned.push(p);
  return owned;
}

/** Sets detector.partitions from the replica variables; one replica keeps the single consumer. */
function applyDetectorReplica(raw: Json, env: NodeJS.ProcessEnv): void {
  const replica = env[DETECTOR_REPLICA_ENV] ?? '';
  const count = env[DETECTOR_REPLICAS_ENV] ?? '';
  if (replica === '' && count === '') return;
  if (replica === '' || count === '')
    throw new ForesightError(
      'config-invalid',
      `${DETECTOR_REPLICA_ENV} and ${DETECTOR_REPLICAS_ENV} go together (got only ${replica === '' ? DETECTOR_REPLICAS_ENV : DETECTOR_REPLICA_ENV})`,
    );
  const ordinalText = /(\d+)$/.exec(replica)?.[1];
  if (ordinalText === undefined)
    throw new ForesightError(
      'config-invalid',
      `${DETECTOR_REPLICA_ENV}="${replica}" must be the replica's ordinal or end in -<ordinal>`,
    );
  const replicas = /^\d+$/.test(count) ? Number(count) : Number.NaN;
  // An invalid nats section is reported by the main parse, with its path.
  const nats = natsSchema.safeParse(raw.nats ?? {});
  const partitions = partitionsOfReplica(
    Number(ordinalText),
    replicas,
    nats.success ? nats.data.partitions : 1,
  );
  if (replicas === 1) return;
  const detector = isPlainObject(raw.detector) ? raw.detector : (raw.detector = {});
  detector.partitions = partitions;
}

/** Validates a raw config object; the error lists every bad field by its dotted path. */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ForesightError('config-invalid', `invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  hideSecret(config.store, 'url');
  hideSecret(config.anonymization, 'key');
  return deepFreeze(config);
}

function hideSecret(obj: object, key: string): void {
  const value: unknown = (obj as Json)[key];
  Object.defineProperty(obj, key, { value, enumerable: false, writable: false });
}

function setPath(target: Json, path: string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) deepMerge(existing, value);
    else target[key] = isPlainObject(value) ? structuredClone(value) : value;
  }
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(obj: T): T {
  if (typeof obj === 'object' && obj !== null && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const key of Object.getOwnPropertyNames(obj)) deepFreeze((obj as Json)[key]);
  }
  return obj;
}
