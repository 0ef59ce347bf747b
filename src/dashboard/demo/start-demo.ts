/**
 * Everything `foresight demo` starts, as one call (the command, the browser tests and the bench
 * use it): the demo worker (flow source, PGlite, the demo runner: demo-host.ts) and, on this
 * thread, the dashboard on its port with a fresh bearer token. The dashboard reads the worker's
 * store through RemoteDb, incidents from its own copy (IncidentMirror), and the clock and status
 * from the worker's last step (docs/adr/0013). `close()` stops all of it.
 */
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../util/module-worker.js';
import { createAnonymizer } from '../../flows/anonymizer-key.js';
import type { Config } from '../../config/schema.js';
import { AlertRuleStore } from '../../detector/store/alert-rule-store.js';
import { ModelRegistry } from '../../detector/store/model-registry.js';
import { Partitions } from '../../detector/store/partitions.js';
import { VerdictStore } from '../../detector/store/verdict-store.js';
import type { StoredIncident } from '../../detector/store/incident-store.js';
import type { ThreatIncident } from '../../controller/threatpolicy/crd-types.js';
import { ForesightError, errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Registry } from '../../observability/metrics.js';
import { generateToken, StaticTokenAccess } from '../server/access.js';
import { ensureWebBundle } from '../server/bundle.js';
import { Rollups } from '../server/rollups.js';
import { createDashboardServer, type DashboardServer } from '../server/server.js';
import { Channel } from './channel.js';
import {
  demoAnonymizationKey,
  type DemoAttack,
  type DemoOpened,
  type DemoSettings,
  type DemoStatus,
  type DemoWorkerData,
  type DemoWritten,
} from './demo-host.js';
import { FlowSampleMirror } from './flow-mirror.js';
import { IncidentMirror } from './incident-mirror.js';
import { RemoteDb } from './remote-db.js';
import { StoreIncidentBackend, StoreRuleBackend } from './store-backends.js';

export interface StartDemoOptions {
  config: Config;
  logger: Logger;
  metrics: Registry;
  host: string;
  port: number;
  speed: number;
  /** Simulated hours (the simulator only). */
  hours: number;
  /** Peak flows per second of the simulated cluster. */
  rate: number;
  seed: number;
  trainMinutes: number;
  file?: string;
  format?: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Serve the web UI (building it first when needed); false: API only. */
  web?: boolean;
  liveIntervalMs?: number;
  /** Start of simulated time (default: the training span before Monday 2026-11-02 09:00 UTC). */
  start?: number;
}

export interface RunningDemo {
  server: DashboardServer;
  url: string;
  token: string;
  port: number;
  /** Phase, event-time clock and counters as of the worker's latest step. */
  status(): DemoStatus;
  /** Resolves once warm-up and training are done and detection runs live. */
  ready: Promise<void>;
  /** The simulator's attacks with the entity key each attacker appears under (empty for a file). */
  attacks(): Promise<DemoAttack[]>;
  close(): Promise<void>;
}

/** Starts demo-worker.ts (util/module-worker.ts: tsx's loader first when running from the sources). */
function spawnWorker(data: DemoWorkerData): Worker {
  return spawnModuleWorker(import.meta.url, 'demo-worker', data);
}

export async function startDemo(o: StartDemoOptions): Promise<RunningDemo> {
  const webRoot = o.web === false ? undefined : await ensureWebBundle(o.logger);
  const anonymizationKey = demoAnonymizationKey(o.config.anonymization);
  const anonymizer = createAnonymizer(
    { ...o.config.anonymization, ...(anonymizationKey ? { key: anonymizationKey } : {}) },
    o.logger,
  );
  // The capacity lines are filled in by the worker after training.
  const capacity: Record<string, number> = { ...o.config.scoring.capacity };
  const config: Config = { ...o.config, scoring: { ...o.config.scoring, capacity } };
  const settings: DemoSettings = {
    config: o.config,
    speed: o.speed,
    hours: o.hours,
    rate: o.rate,
    seed: o.seed,
    trainMinutes: o.trainMinutes,
    ...(o.file ? { file: o.file } : {}),
    ...(o.format ? { format: o.format } : {}),
    ...(o.start === undefined ? {} : { start: o.start }),
  };
  const busy = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const worker = spawnWorker({
    settings,
    ...(anonymizationKey ? { anonymizationKey } : {}),
    log: {
      silent: o.logger.silent === true,
      level: o.logger.level,
      format: o.config.log.format,
      isTTY: process.stderr.isTTY === true,
    },
    busy,
  });
  // What the dashboard shows without asking the store is fed from the first step on.
  const channel = new Channel(worker);
  const db = new RemoteDb(channel, config.store.schema);
  const rollups = new Rollups(db, config.features.windowSeconds * 1000, 0, config.scoring.actionThreshold);
  const mirror = new IncidentMirror();
  const flows = new FlowSampleMirror();
  let status: DemoStatus | undefined;
  // The worker failing (an error it reports, an uncaught one, or exiting) fails what is awaited.
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  failed.catch(() => undefined);
  channel.on<{ message: string }>('failed', (e) => fail(new ForesightError('demo-failed', e.message)));
  worker.on('error', (err) => {
    o.logger.error(`demo worker failed: ${errorMessage(err)}`);
    fail(err);
  });
  worker.on('exit', (code) => {
    const err = new ForesightError('demo-worker-exited', `the demo worker exited (code ${code})`);
    channel.fail(err);
    fail(err);
  });
  const events = Promise.race([new Promise<DemoOpened>((r) => channel.on('opened', r)), failed]);
  const ready = Promise.race([new Promise<void>((r) => channel.on('ready', () => r())), failed]);
  ready.catch(() => undefined); // awaited by callers; a failure before they do is reported there
  channel.on<readonly StoredIncident[]>('incidents', (rows) => mirror.apply(rows));
  channel.on<DemoWritten>('written', (w) => {
    rollups.feedWindows(w.windows);
    rollups.feedVerdicts(w.verdicts);
    flows.apply(w.flows);
  });
  channel.on<DemoStatus>('status', (s) => {
    status = s;
    Object.assign(capacity, s.capacity);
  });
  let opened: DemoOpened;
  try {
    opened = await events;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  status ??= opened.status;
  const current = () => status ?? opened.status;

  const partitions = new Partitions(db, {
    partitionDays: config.store.partitionDays,
    partitionsAhead: 0,
    logger: o.logger,
  });
  const token = o.token ?? generateToken();
  const server = createDashboardServer(
    {
      db,
      registry: new ModelRegistry(db),
      verdicts: new VerdictStore(db, partitions),
      flows,
      incidents: new StoreIncidentBackend({
        incidents: mirror,
        answer: (key, answer, analyst) =>
          channel.call<ThreatIncident>('engine.answer', { key, answer, analyst }),
        preview: (key, reveal) => channel.call<string | undefined>('engine.preview', { key, reveal }),
      }),
      rules: new StoreRuleBackend({ rules: new AlertRuleStore(db) }, () => opened.policies),
      access: new StaticTokenAccess(token, { name: 'demo-admin', groups: [] }),
      anonymizer,
      config,
      rollups,
      logger: o.logger,
      now: () => current().now,
      mode: 'demo',
      ...(webRoot ? { webRoot } : {}),
      liveIntervalMs: o.liveIntervalMs ?? 1000,
      retrain: () => channel.call('retrain'),
      status: () => ({ phase: current().phase, ...current().counters }),
      onInFlight: (n) => Atomics.store(busy, 0, n),
    },
    o.metrics,
  );
  let port: number;
  try {
    port = await server.listen({ host: o.host, port: o.port });
  } catch (err) {
    await channel.call('stop').catch(() => undefined);
    await worker.terminate();
    throw err;
  }
  const host = ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(o.host) ? 'localhost' : o.host;
  const url = `http://${host}:${port}/#token=${token}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await server.close();
      await channel.call('stop').catch((err: unknown) => {
        o.logger.warn(`stopping the demo worker: ${errorMessage(err)}`);
      });
      await worker.terminate();
    })();
    return closing;
  };
  return {
    server,
    url,
    token,
    port,
    status: current,
    ready,
    attacks: () => channel.call<DemoAttack[]>('attacks'),
    close,
  };
}
