/**
 * Connecting to NATS the same way everywhere: credentials taken out of the URL (the client
 * ignores user:password@ and token@ in server URLs, so they are passed as options), the first
 * connection retried until the server answers — saying what it waits for, without the
 * credentials — and reconnects logged.
 */
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { ForesightError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

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

export async function connectNats(url: string, options: ConnectNatsOptions): Promise<NatsConnection> {
  const { logger } = options;
  const shown = describeNats(url);
  const wait = options.wait ?? true;
  if (wait) logger.info(`connecting to NATS at ${shown}`);
  const waiting = wait
    ? setInterval(() => logger.warn(`still waiting for NATS at ${shown}`), 30_000)
    : undefined;
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...natsOptions(url),
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
