/**
 * The demo worker's side (docs/adr/0013): everything that ingests — the flow source, PGlite, the
 * demo runner with training, scoring and the Monitor engine — on its own thread, so the dashboard
 * on the main thread never waits behind ingest work. It serves the dashboard's store statements
 * (remote-db.ts) and calls (answers, previews, retraining), and sends what the dashboard shows
 * without asking the store: status and clock after every step, and every incident written.
 *
 * While the dashboard has a request in flight (a counter it keeps in shared memory), the runner
 * starts no new piece of work, so that request's statements run next on PGlite's one connection.
 */
import type { Config } from '../../config/schema.js';
import { createAnonymizer, generateKey } from '../../flows/anonymizer-key.js';
import { StaticEnricher, noEnrichment, type Enricher } from '../../flows/enrichment.js';
import type { AddressAnonymizer } from '../../flows/anonymizer.js';
import { FeatureStore } from '../../detector/store/feature-store.js';
import { openStore } from '../../detector/store/connect.js';
import { createLogger, silentLogger, type LogFormat } from '../../observability/logger.js';
import { createRegistry } from '../../observability/metrics.js';
import { errorMessage } from '../../errors.js';
import type { StoredFlow } from '../../detector/store/flow-samples.js';
import { isAligned, type FedVerdict, type FedWindow } from '../server/rollups.js';
import type { AnalystAnswer, PolicySummary } from '../server/types.js';
import { Channel, type Port } from './channel.js';
import { defaultPolicies } from './default-policies.js';
import { DemoRunner, type DemoPhase, type Written } from './demo-runner.js';
import { fileSource, simulatorSource, type FlowSource } from './flow-source.js';
import { serveDb } from './remote-db.js';
import { simClusterView, type SimClusterView } from './sim-cluster.js';
import { YieldingDb } from './yielding-db.js';

export interface DemoSettings {
  config: Config;
  speed: number;
  hours: number;
  rate: number;
  seed: number;
  trainMinutes: number;
  file?: string;
  format?: string;
  start?: number;
}

export interface DemoWorkerData {
  settings: DemoSettings;
  /** The anonymization key as text (the config's secrets do not survive the copy into the worker). */
  anonymizationKey?: string;
  log: { silent: boolean; level: string; format: LogFormat; isTTY: boolean };
  /** [0]: dashboard requests in flight, kept by the main thread. */
  busy: Int32Array;
}

export interface DemoStatus {
  phase: DemoPhase;
  now: number;
  counters: { flows: number; windows: number; verdicts: number };
  /** Capacity per forecast target (filled after training). */
  capacity: Record<string, number>;
}

export interface DemoOpened {
  policies: PolicySummary[];
  status: DemoStatus;
}

export interface DemoAttack {
  id: string;
  type: string;
  start: number;
  end: number;
  entities: string[];
}

export interface DemoWritten {
  windows: FedWindow[];
  verdicts: FedVerdict[];
  flows: StoredFlow[];
}

/**
 * What the dashboard keeps of what was written: aligned windows (traffic, talkers, the graph),
 * stored verdicts (scores, threats) and the flow sample, in the shapes the store reads back.
 */
function written(w: Written, windowMs: number): DemoWritten {
  return {
    windows: w.windows
      .filter((r) => isAligned(r, windowMs))
      .map((r) => ({
        kind: r.kind,
        entity: r.entity,
        ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
        windowStart: r.windowStart,
        windowEnd: r.windowEnd,
        flows: r.flows,
        bytes: r.bytes,
        addresses: r.addresses,
        ...(r.kind === 'source' ? { topPeers: r.topPeers } : {}),
      })),
    verdicts: w.verdicts.map((v) => ({
      entity: v.entity.key,
      windowEnd: v.window.end,
      threat: v.scores.threat,
      anomaly: v.scores.anomaly,
    })),
    flows: w.flows.map(({ flow: f, srcEntity, dstEntity }) => ({
      ts: f.ts,
      src: f.src,
      dst: f.dst,
      proto: f.proto,
      action: f.action,
      ...(f.srcPort === undefined ? {} : { srcPort: f.srcPort }),
      ...(f.dstPort === undefined ? {} : { dstPort: f.dstPort }),
      ...(f.bytes === undefined ? {} : { bytes: f.bytes }),
      ...(f.packets === undefined ? {} : { packets: f.packets }),
      ...(f.durationMs === undefined ? {} : { durationMs: f.durationMs }),
      ...(f.outcome === undefined ? {} : { outcome: f.outcome }),
      ...(srcEntity === undefined ? {} : { srcEntity }),
      ...(dstEntity === undefined ? {} : { dstEntity }),
    })),
  };
}

/** The longest ingest holds back for one dashboard request: a client polling back to back cannot stop the demo. */
const MAX_HOLD_MS = 250;

function holdWhileBusy(busy: Int32Array): () => Promise<void> {
  return async () => {
    const until = performance.now() + MAX_HOLD_MS;
    while (Atomics.load(busy, 0) > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 1));
    // Statements the dashboard sent meanwhile are queued on PGlite before the next piece's.
    await new Promise((r) => setImmediate(r));
  };
}

interface OpenedSource {
  source: FlowSource;
  view: SimClusterView;
  enricher: Enricher;
  attacks: () => DemoAttack[];
}

/** The simulator (with its cluster, identities and attacks), or a flow file with neither. */
async function openSource(s: DemoSettings, anonymizer: AddressAnonymizer): Promise<OpenedSource> {
  if (s.file) {
    return {
      source: await fileSource(s.file, s.format),
      view: simClusterView(undefined),
      enricher: noEnrichment,
      attacks: () => [],
    };
  }
  const quietMs = s.trainMinutes * 60_000;
  // Live time starts on Monday 2026-11-02 at 09:00 UTC, after the attack-free training span.
  const start = s.start ?? Date.UTC(2026, 10, 2, 9, 0, 0) - quietMs;
  const sim = simulatorSource({ start, quietMs, hours: s.hours, rate: s.rate, seed: s.seed });
  return {
    source: sim,
    view: simClusterView(sim.sim.cluster()),
    enricher: new StaticEnricher(sim.sim.identities()),
    attacks: () =>
      sim.sim.labels().map((l) => ({
        id: l.id,
        type: l.type,
        start: l.start,
        end: l.end,
        entities: l.attackerK8s
          ? [`${l.attackerK8s.namespace}/${l.attackerK8s.workload ?? l.attackerK8s.pod ?? ''}`]
          : l.attackers.map((ip) => `ip:${anonymizer.anonymize(ip)}`),
      })),
  };
}

export async function hostDemo(port: Port, data: DemoWorkerData): Promise<void> {
  const channel = new Channel(port);
  const { settings: s } = data;
  const logger = data.log.silent
    ? silentLogger()
    : createLogger({ level: data.log.level, format: data.log.format, isTTY: data.log.isTTY });
  try {
    const config = s.config;
    const anonymizer = createAnonymizer(
      {
        ...config.anonymization,
        ...(data.anonymizationKey ? { key: data.anonymizationKey } : {}),
      },
      logger,
    );
    const { source, view, enricher, attacks } = await openSource(s, anonymizer);
    const metrics = createRegistry({ defaultMetrics: false });
    const db = await openStore(config.store, { logger, registry: metrics });
    // Ingest's statements let the dashboard's go first (yielding-db.ts); the dashboard's run on `db`.
    const store = new FeatureStore(new YieldingDb(db), config.store, { logger, registry: metrics });
    await store.migrate();
    const windowMs = config.features.windowSeconds * 1000;
    const protectedNs = [...config.controller.protectedNamespaces, config.controller.operatorNamespace];
    const status = (): DemoStatus => ({
      phase: runner.phase,
      now: runner.now(),
      counters: { ...runner.counters },
      capacity: { ...runner.capacity },
    });
    const runner: DemoRunner = new DemoRunner({
      config,
      store,
      source,
      enricher,
      anonymizer,
      policies: defaultPolicies(view.namespaces(), protectedNs),
      view,
      logger,
      metrics,
      speed: s.speed,
      trainMs: s.trainMinutes * 60_000,
      onStep: () => channel.emit('status', status()),
      onIncidents: (rows) => channel.emit('incidents', rows),
      onWritten: (w) => channel.emit('written', written(w, windowMs)),
      yieldTo: holdWhileBusy(data.busy),
    });
    serveDb(channel, db);
    channel.handle('engine.answer', (a: { key: string; answer: AnalystAnswer; analyst: string }) =>
      runner.engine.answer(a.key, a.answer, a.analyst),
    );
    channel.handle('engine.preview', (a: { key: string; reveal: boolean }) =>
      runner.engine.preview(a.key, a.reveal),
    );
    channel.handle('retrain', async () => {
      await runner.retrain();
    });
    channel.handle('attacks', () => attacks());
    channel.handle('stop', async () => {
      await runner.stop();
      await store.close();
    });
    channel.emit('opened', {
      policies: runner.policySummaries(),
      status: status(),
    } satisfies DemoOpened);
    runner.start().then(
      () => {
        channel.emit('status', status());
        channel.emit('ready', null);
      },
      (err: unknown) => channel.emit('failed', { message: errorMessage(err) }),
    );
  } catch (err) {
    channel.emit('failed', { message: errorMessage(err) });
  }
}

/** A fresh key for a demo without a configured one: nothing outlives the process. */
export function demoAnonymizationKey(anon: Config['anonymization']): string | undefined {
  if (anon.key) return anon.key;
  if (anon.enabled && !anon.keyFile) return generateKey().toString('hex');
  return undefined;
}
