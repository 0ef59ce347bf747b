/**
 * The `controller` section of the configuration: how the controller finds the cluster, which
 * namespaces it watches, leader election, where verdicts come from, what it must never touch,
 * and the limits on its notifications. Part of configSchema (schema.ts).
 */
import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const natsName = z.string().regex(/^[A-Za-z0-9_-]+$/);
const backoff = (initialMs: number, maxMs: number) =>
  z
    .object({
      initialMs: z.number().int().min(1).default(initialMs),
      maxMs: z.number().int().min(1).default(maxMs),
    })
    .prefault({});

export const controllerSchema = z
  .object({
    /** Kubeconfig file; absent: in-cluster service account, then $KUBECONFIG / ~/.kube/config. */
    kubeconfig: z.string().optional(),
    /** Namespaces to watch and act in; empty: all (cluster-wide RBAC). A list is the namespaced mode. */
    namespaces: z.array(name).default([]),
    /** The operator's own namespace: never acted on; the leader-election Lease lives there by default. */
    operatorNamespace: name.default('foresight'),
    /** Labels of the operator's own pods: never acted on, in any namespace. */
    operatorLabels: z.record(z.string(), z.string()).default({ 'app.kubernetes.io/name': 'foresight' }),
    /** Namespaces never acted on besides the operator's (alerts are still raised). */
    protectedNamespaces: z.array(name).default(['kube-system']),
    /** Name of this replica in the Lease and in Events; defaults to hostname-pid. */
    identity: z.string().optional(),
    fieldManager: z.string().default('foresight-controller'),
    leaderElection: z
      .object({
        enabled: z.boolean().default(true),
        leaseName: name.default('foresight-controller'),
        /** Absent: operatorNamespace. */
        leaseNamespace: name.optional(),
        leaseDurationSeconds: z.number().min(1).default(15),
        renewDeadlineSeconds: z.number().min(1).default(10),
        retryPeriodSeconds: z.number().min(0.1).default(2),
      })
      .prefault({})
      .refine((l) => l.renewDeadlineSeconds < l.leaseDurationSeconds, {
        message: 'renewDeadlineSeconds must be below leaseDurationSeconds',
        path: ['renewDeadlineSeconds'],
      }),
    /** Reconciles running at once, per kind. */
    workers: z.number().int().min(1).max(64).default(4),
    /** Every policy is reconciled at least this often, even without changes. */
    resyncSeconds: z.number().min(1).default(300),
    /** Backoff of a key whose reconcile failed. */
    requeue: backoff(250, 60_000),
    /** Backoff of an informer whose watch failed. */
    informerRestart: backoff(500, 30_000),
    /** Read the foresight.dev/criticality label of namespaces (needs list/watch on namespaces). */
    watchNamespaces: z.boolean().default(true),
    http: z
      .object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(9465) })
      .prefault({}),
    verdicts: z
      .object({
        stream: natsName.default('VERDICTS'),
        subjects: z.array(z.string()).min(1).default(['foresight.verdicts.>']),
        durable: natsName.default('foresight-controller'),
        maxAgeSeconds: z
          .number()
          .min(1)
          .default(24 * 3600),
        ackWaitSeconds: z.number().min(1).default(30),
        fetchBatch: z.number().int().min(1).max(10000).default(256),
        fetchExpiresMs: z.number().int().min(100).default(1000),
        /** Verdicts about one incident arriving within this long are written in one update. */
        coalesceMs: z.number().int().min(0).max(5000).default(25),
        /** Observations that change no decision (score, counts, last seen) are written at most this late. */
        quietMs: z.number().int().min(0).max(60_000).default(2000),
        /** Incident writes in flight at once. */
        concurrency: z.number().int().min(1).max(256).default(16),
      })
      .prefault({}),
    /** Decision events for external enforcers go to `<prefix>.<namespace>`. */
    decisionsSubjectPrefix: z.string().default('foresight.decisions'),
    notifications: z
      .object({
        /** Per notification target: sustained rate and burst. */
        ratePerMinute: z.number().min(0.1).default(30),
        burst: z.number().int().min(1).default(10),
        /** The same alert (incident, action, state) to the same target is sent once in this long. */
        dedupeSeconds: z.number().min(0).default(600),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        retry: backoff(500, 30_000),
        timeoutMs: z.number().int().min(100).default(5000),
      })
      .prefault({}),
    /** Write every action decision to the store's audit log and forward analyst feedback. */
    audit: z.boolean().default(true),
  })
  .prefault({});

export type ControllerConfig = z.infer<typeof controllerSchema>;
