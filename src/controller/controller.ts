/**
 * The controller process: builds the clients, informers and side channels, serves /metrics,
 * /healthz and /readyz, and takes part in leader election. Informers run on every replica (a
 * standby keeps a warm cache and serves enrichment); queues, reconcilers and the verdict intake
 * run only while this replica leads, one set per leadership term. Graceful shutdown: stop
 * leading (in-flight reconciles finish, the intake acks what it finished), release the lease,
 * then close everything in reverse order.
 */
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { NatsConnection } from 'nats';
import { connectNats } from '../util/nats.js';
import type { Config } from '../config/schema.js';
import { ControllerAuditStore } from '../detector/store/controller-audit.js';
import { openStore } from '../detector/store/connect.js';
import type { Db } from '../detector/store/db.js';
import { migrate } from '../detector/store/migrate.js';
import { errorMessage } from '../errors.js';
import type { AddressAnonymizer } from '../flows/anonymizer.js';
import { createAnonymizer } from '../flows/anonymizer-key.js';
import type { Logger } from '../observability/logger.js';
import { serveMetrics, type Registry } from '../observability/metrics.js';
import { formatDelay, retry } from '../util/backoff.js';
import { PodActuator } from './actuators/pod-actuator.js';
import { informerView, type ControllerContext } from './context.js';
import { noAudit, StoreAuditSink, type AuditSink } from './incidents/audit-sink.js';
import { revealer } from './incidents/resolve.js';
import { allInformers, createInformers, requiredInformers, wireHandlers, type Enqueue } from './informers.js';
import { KubeClient } from './k8s/client.js';
import { discoverEnforcement, type EnforcementChoice } from './k8s/discovery.js';
import { EventRecorder } from './k8s/events.js';
import { LeaderElector } from './k8s/leader-election.js';
import { PodEnricher } from './k8s/pod-enricher.js';
import { ControllerMetrics } from './metrics.js';
import { DecisionPublisher } from './notifications/decisions.js';
import { Notifier } from './notifications/notifier.js';
import { CachedSecretReader } from './notifications/secrets.js';
import { runTerm } from './term.js';
import type { ThreatIncident } from './threatpolicy/crd-types.js';

export interface ControllerOptions {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Injected by tests; otherwise controller.kubeconfig, in-cluster or $KUBECONFIG. */
  kubeConfig?: KubeConfig;
  client?: KubeClient;
  nats?: NatsConnection;
  db?: Db;
  anonymizer?: AddressAnonymizer;
  /** Serve /metrics, /healthz, /readyz on controller.http (default true). */
  serveHttp?: boolean;
  now?: () => number;
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export class Controller {
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private closers: (() => Promise<void> | void)[] = [];
  private ctx?: ControllerContext;
  private enqueue?: Enqueue;
  private elector?: LeaderElector;
  private ready = false;
  httpPort?: number;

  constructor(private readonly options: ControllerOptions) {}

  get context(): ControllerContext | undefined {
    return this.ctx;
  }

  get isLeader(): boolean {
    return this.elector?.isLeader ?? this.enqueue !== undefined;
  }

  get isReady(): boolean {
    return this.ready && !!this.ctx && requiredInformers(this.ctx.informers).every((i) => i.synced);
  }

  /** The detector's enrichment map over this controller's Pod informer. */
  get enricher(): PodEnricher | undefined {
    return this.ctx ? new PodEnricher(this.ctx.informers.pods) : undefined;
  }

  /** Starts everything; resolves once the informers are synced (the term runs on in the background). */
  async start(): Promise<void> {
    const { config, logger, registry } = this.options;
    const cc = config.controller;
    const signal = this.abort.signal;
    const kubeConfig = this.options.kubeConfig ?? loadKubeConfig(cc.kubeconfig);
    const informersBox: { list: () => readonly ThreatIncident[] } = { list: () => [] };
    const metrics = new ControllerMetrics(registry, () => informersBox.list());
    const client =
      this.options.client ??
      new KubeClient(kubeConfig, {
        fieldManager: cc.fieldManager,
        onRequest: (method, code, s) => metrics.apiRequests.observe({ method, code }, s),
      });
    if (this.options.serveHttp ?? true) {
      const server = await serveMetrics(registry, {
        host: cc.http.host,
        port: cc.http.port,
        health: { live: () => !signal.aborted, ready: () => this.isReady },
      });
      this.httpPort = server.port;
      this.closers.push(() => server.close());
    }
    const nats =
      this.options.nats ?? (await connectNats(config.nats, { name: 'foresight-controller', logger }));
    if (!this.options.nats) this.closers.push(() => nats.drain().catch(() => undefined));
    const audit = await this.openAudit(signal);
    const enforcement = await this.discover(client, signal);
    logger.info(`blocks use ${enforcement.ingress.api} (ingress) and ${enforcement.egress.api} (egress)`);

    const informers = createInformers({ client, kubeConfig, config: cc, logger, metrics });
    informersBox.list = () => informers.incidents.list();
    const anonymizer = this.options.anonymizer ?? createAnonymizer(config.anonymization, logger);
    const now = this.options.now ?? Date.now;
    const identity = cc.identity ?? `${hostname()}-${process.pid}`;
    const secrets = new CachedSecretReader(client);
    const ctx: ControllerContext = {
      config: cc,
      client,
      informers,
      enforcement,
      reveal: revealer(anonymizer),
      view: informerView(informers),
      events: new EventRecorder(client, {
        component: 'foresight-controller',
        instance: identity,
        logger,
        now,
      }),
      audit,
      notifier: new Notifier({
        config: cc.notifications,
        secrets,
        nats,
        logger: logger.child({ component: 'notifier' }),
        registry,
      }),
      decisions: new DecisionPublisher(nats, cc.decisionsSubjectPrefix, logger),
      podActuator: new PodActuator({ client, networkPolicies: informers.networkPolicies, logger, now }),
      metrics,
      logger,
      now,
      enqueuePolicy: (key) => this.enqueue?.policy(key),
      enqueueIncident: (key) => this.enqueue?.incident(key),
    };
    this.ctx = ctx;
    wireHandlers(informers, () => this.enqueue);
    for (const i of allInformers(informers)) i.start();
    this.closers.push(async () => {
      for (const i of allInformers(informers)) await i.stop();
      client.close();
    });
    this.closers.push(async () => {
      await ctx.events.flush();
      await ctx.notifier.flush();
      await audit.close();
    });
    await Promise.all(requiredInformers(informers).map((i) => i.waitForSync(signal)));
    this.ready = true;
    logger.info(
      `caches synced: ${allInformers(informers)
        .map((i) => `${i.name} ${i.size}`)
        .join(', ')}`,
    );

    const lead = (term: AbortSignal) =>
      runTerm(ctx, nats, term, (q) => {
        this.enqueue = q;
        metrics.leader.set(q ? 1 : 0);
      });
    if (cc.leaderElection.enabled) {
      const le = cc.leaderElection;
      this.elector = new LeaderElector({
        client,
        namespace: le.leaseNamespace ?? cc.operatorNamespace,
        name: le.leaseName,
        identity,
        leaseDurationMs: le.leaseDurationSeconds * 1000,
        renewDeadlineMs: le.renewDeadlineSeconds * 1000,
        retryPeriodMs: le.retryPeriodSeconds * 1000,
        logger,
      });
      this.running = this.elector.run(signal, lead);
    } else {
      this.running = lead(signal);
    }
  }

  /** Graceful shutdown; safe to call twice. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch((err: unknown) =>
      this.options.logger.error(`controller stopped with: ${errorMessage(err)}`),
    );
    const closers = this.closers.reverse();
    this.closers = [];
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        this.options.logger.warn(`shutdown step failed: ${errorMessage(err)}`);
      }
    }
  }

  /** Resolves when the controller has stopped (after stop(), or if leading failed for good). */
  get done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async openAudit(signal: AbortSignal): Promise<AuditSink> {
    const { config, logger, registry } = this.options;
    if (!config.controller.audit) return noAudit;
    const db = this.options.db ?? (await openStore(config.store, { logger, registry, signal }));
    if (!this.options.db) this.closers.push(() => db.close());
    await migrate(db, logger);
    return new StoreAuditSink(
      new ControllerAuditStore(db, config.scoring.thresholds),
      logger.child({ component: 'audit' }),
      registry,
    );
  }

  private discover(client: KubeClient, signal: AbortSignal): Promise<EnforcementChoice> {
    return retry(() => discoverEnforcement(client), {
      initialMs: 500,
      maxMs: 15_000,
      signal,
      onRetry: (err, _n, delay) =>
        this.options.logger.warn(
          `API discovery failed (${errorMessage(err)}); retrying in ${formatDelay(delay)}`,
        ),
    });
  }
}

/** Runs the controller until `signal` aborts. */
export async function runController(options: ControllerOptions, signal: AbortSignal): Promise<Controller> {
  const controller = new Controller(options);
  const stop = () => void controller.stop();
  signal.addEventListener('abort', stop, { once: true });
  await controller.start();
  return controller;
}
