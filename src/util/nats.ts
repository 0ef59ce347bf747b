/**
 * Connecting to NATS the same way everywhere: credentials taken out of the URL (the client
 * ignores user:password@ and token@ in server URLs, so they are passed as options), the first
 * connection retried until the server answers — saying what it waits for, without the
 * credentials — and reconnects logged.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from 'nats';
import type { Config } from '../config/schema.js';
import { ForesightError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/** What connecting needs from the `nats` section: servers (with URL credentials), TLS files, auth files. */
export type NatsEndpoint = Pick<Config['nats'], 'url'> & Partial<Pick<Config['nats'], 'tls' | 'auth'>>;

/** The JetStream API error code of a failed request (`err_code`, e.g. 10059 stream not found). */
export function jetStreamApiCode(err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } }).api_error?.err_code;
}

/** Server list and credentials from a comma-separated URL list (nats://user:pass@host:4222,…). */
export function natsOptions(url: string): Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token'> {
  const servers: string[] = [];
  const creds: Pick<ConnectionOptions, 'user' | 'pass' | 'token'> = {};
  for (const raw of url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let parsed: URL;
    try {
      parsed = new URL(raw.includes('://') ? raw : `nats://${raw}`);
    } catch (err) {
      throw new ForesightError('config-invalid', 'nats.url is not a list of URLs', { cause: err });
    }
    const user = decodeURIComponent(parsed.username);
    const pass = decodeURIComponent(parsed.password);
    if (user && pass) Object.assign(creds, { user, pass });
    else if (user) creds.token = user;
    parsed.username = '';
    parsed.password = '';
    servers.push(parsed.toString().replace(/\/$/, ''));
  }
  if (servers.length === 0) throw new ForesightError('config-invalid', 'nats.url names no server');
  return { servers, ...creds };
}

function fileFor<T>(field: string, path: string, use: (path: string) => T): T {
  try {
    return use(path);
  } catch (err) {
    throw new ForesightError('config-invalid', `${field}: cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/**
 * Client options for an endpoint: servers and URL credentials, TLS files (checked readable here,
 * so a wrong path is a configuration error naming the field, not a handshake failure), and a
 * creds or NKey seed authenticator (read once).
 */
export function natsConnectionOptions(nats: NatsEndpoint): ConnectionOptions {
  const options: ConnectionOptions = natsOptions(nats.url);
  const tls = nats.tls ?? {};
  if (tls.caFile || tls.certFile) {
    // Checked, not read: the client reads the files at every (re)connect, so rotated certificates
    // (a renewed Secret) are picked up without a restart.
    for (const [field, path] of [
      ['nats.tls.caFile', tls.caFile],
      ['nats.tls.certFile', tls.certFile],
      ['nats.tls.keyFile', tls.keyFile],
    ] as const) {
      if (path) fileFor(field, path, (p) => accessSync(p, constants.R_OK));
    }
    options.tls = {
      ...(tls.caFile ? { caFile: tls.caFile } : {}),
      ...(tls.certFile && tls.keyFile ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}),
    };
  }
  const auth = nats.auth ?? {};
  if (auth.credsFile) {
    const creds = fileFor('nats.auth.credsFile', auth.credsFile, (p) => readFileSync(p));
    options.authenticator = credsAuthenticator(creds);
  } else if (auth.nkeySeedFile) {
    const seed = fileFor('nats.auth.nkeySeedFile', auth.nkeySeedFile, (p) => readFileSync(p, 'utf8'));
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed.trim()));
  }
  return options;
}

/** The URL list as it may appear in logs. */
export function describeNats(url: string): string {
  return natsOptions(url).servers!.toString();
}

export interface ConnectNatsOptions {
  name: string;
  logger: Logger;
  /** Keep retrying the first connection (default true); false fails fast, as a CLI tool should. */
  wait?: boolean;
}

export async function connectNats(
  endpoint: NatsEndpoint,
  options: ConnectNatsOptions,
): Promise<NatsConnection> {
  const { logger } = options;
  const shown = describeNats(endpoint.url);
  const connection = natsConnectionOptions(endpoint);
  const wait = options.wait ?? true;
  if (wait) logger.info(`connecting to NATS at ${shown}`);
  const waiting = wait
    ? setInterval(() => logger.warn(`still waiting for NATS at ${shown}`), 30_000)
    : undefined;
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...connection,
      name: options.name,
      waitOnFirstConnect: wait,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
  } catch (err) {
    throw new ForesightError('nats-connect', `cannot connect to NATS at ${shown}`, { cause: err });
  } finally {
    clearInterval(waiting);
  }
  void (async () => {
    for await (const s of nc.status()) {
      const type = String(s.type);
      if (type === 'disconnect' || type === 'reconnecting') logger.warn(`NATS ${type}`, { server: s.data });
      else if (type === 'reconnect') logger.info('NATS reconnected', { server: s.data });
    }
  })();
  if (wait) logger.info('connected to NATS', { server: nc.getServer() });
  return nc;
}
