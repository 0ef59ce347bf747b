/**
 * `foresight controller`: runs the Kubernetes controller (ThreatPolicy → ThreatIncidents →
 * actions) until SIGTERM or SIGINT, then shuts down gracefully: in-flight reconciles finish,
 * the leader lease is released, verdicts being handled are acked or left for redelivery.
 */
import { Command } from 'commander';
import { Controller } from '../controller/controller.js';
import { commandContext } from './context.js';

interface ControllerOptions {
  kubeconfig?: string;
  namespace?: string[];
  leaderElect: boolean;
  metricsPort?: string;
}

export function controllerCommand(): Command {
  return new Command('controller')
    .description(
      'Run the controller: consume verdicts from NATS, keep ThreatIncidents, and apply the actions of\n' +
        'ThreatPolicies (alert, rate-limit, block, quarantine). Serves /metrics, /healthz and /readyz.',
    )
    .option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster, then $KUBECONFIG)')
    .option('-n, --namespace <namespace...>', 'watch and act only in these namespaces (default: all)')
    .option('--no-leader-elect', 'do not take part in leader election (a single replica)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz (default 9465)')
    .action(async (opts: ControllerOptions, cmd: Command) => {
      const controller: Record<string, unknown> = {};
      if (opts.kubeconfig) controller.kubeconfig = opts.kubeconfig;
      if (opts.namespace) controller.namespaces = opts.namespace;
      if (!opts.leaderElect) controller.leaderElection = { enabled: false };
      if (opts.metricsPort) controller.http = { port: Number(opts.metricsPort) };
      const { config, logger, registry } = commandContext(
        cmd,
        Object.keys(controller).length > 0 ? { controller } : {},
      );
      const instance = new Controller({ config, logger, registry });
      const stop = (sig: string) => {
        logger.info(`${sig}: shutting down`);
        void instance.stop();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      await instance.start();
      logger.info(
        `controller running; metrics and health on port ${instance.httpPort ?? config.controller.http.port}`,
      );
      await instance.done;
      await instance.stop();
    });
}
