/**
 * The configuration schema: every setting Foresight reads, its default and its limits.
 * Parsing reports every invalid field by its path, so a bad value names itself.
 */
import { z } from 'zod';
import { controllerSchema } from './controller-schema.js';
import { scoringSchema, trainingSchema } from './scoring-schema.js';

const seconds = (def: number, min = 0) => z.number().min(min).default(def);

export const natsSchema = z
  .object({
    url: z.string().default('nats://127.0.0.1:4222'),
    /**
     * Collectors publish on <prefix>.<source>.<partition>; dead letters go to <prefix>.dlq; the
     * stream captures <prefix>.>.
     */
    subjectPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/)
      .default('flows'),
    stream: z
      .object({
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('FLOWS'),
        maxAgeSeconds: seconds(24 * 3600, 1),
        maxBytes: z.number().int().default(-1),
        maxMsgs: z.number().int().default(-1),
        replicas: z.number().int().min(1).max(5).default(1),
      })
      .prefault({}),
    consumer: z
      .object({
        durable: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('foresight-detector'),
        /** Must exceed window + lateness: messages stay unacked until their windows are durable. */
        ackWaitSeconds: seconds(180, 1),
        /** Bounds unacked messages: the backpressure limit between NATS and the detector. */
        maxAckPending: z.number().int().min(1).default(20000),
        fetchBatch: z.number().int().min(1).max(10000).default(256),
        fetchExpiresMs: z.number().int().min(1000).default(1000),
        maxDeliver: z.number().int().default(-1),
      })
      .prefault({}),
    /** Number of source partitions collectors and `replay` spread flows over. */
    partitions: z.number().int().min(1).max(1024).default(1),
    /**
     * TLS to the servers (a `tls://` URL, or servers that require it): a CA file to verify them,
     * and a client certificate with its key when they ask for one. User and password or a token
     * go in the URL (nats://user:pass@host, nats://token@host).
     */
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
      })
      .prefault({})
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
        message: 'certFile and keyFile go together (a client certificate and its key)',
      }),
    /** Credentials beyond the URL: one of a `.creds` file (user JWT and NKey seed) or an NKey seed file. */
    auth: z
      .object({
        credsFile: z.string().min(1).optional(),
        nkeySeedFile: z.string().min(1).optional(),
      })
      .prefault({})
      .refine((a) => a.credsFile === undefined || a.nkeySeedFile === undefined, {
        message: 'set credsFile or nkeySeedFile, not both',
      }),
  })
  .prefault({});

export const storeSchema = z
  .object({
    kind: z.enum(['postgres', 'pglite']).default('postgres'),
    /** postgres://… (secret: never logged). */
    url: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    /** PGlite data directory; memory when absent. */
    pglitePath: z.string().optional(),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('foresight'),
    poolSize: z.number().int().min(1).max(100).default(4),
    partitionDays: z.number().int().min(1).max(31).default(1),
    partitionsAhead: z.number().int().min(0).max(60).default(2),
    retentionDays: z
      .object({
        features: z.number().min(0.01).default(30),
        flows: z.number().min(0.01).default(2),
        verdicts: z.number().min(0.01).default(30),
        /** Rows of peer_seen (an entity's first contact with a peer) older than this are deleted. */
        peerSeen: z.number().min(0.01).default(7),
      })
      .prefault({}),
    /** Keep anonymized flow rows (sample for investigation); off by default. */
    keepFlows: z.boolean().default(false),
    /** A connection attempt that takes longer than this fails (and is retried). */
    connectTimeoutMs: z.number().int().min(100).default(10000),
    /** How often partitions ahead are created and retention runs. */
    maintenanceIntervalSeconds: z.number().min(1).default(3600),
    connectRetry: z
      .object({
        initialMs: z.number().int().min(1).default(500),
        maxMs: z.number().int().min(1).default(30000),
      })
      .prefault({}),
  })
  .prefault({});

export const featuresSchema = z
  .object({
    bucketSeconds: z.number().int().min(1).max(3600).default(10),
    windowSeconds: z.number().int().min(1).max(86400).default(60),
    allowedLatenessSeconds: z.number().min(0).default(10),
    /** With no new flows for this long, open windows are flushed (end of a replay, quiet source). */
    idleFlushSeconds: z.number().min(0.1).default(5),
    /** Flows per flush batch before features are written, whatever the watermark. */
    maxOpenEntities: z.number().int().min(100).default(200000),
    /** Forget an entity's seen-peer history after this long without traffic. */
    peerHistorySeconds: z
      .number()
      .min(60)
      .default(7 * 86400),
    entities: z
      .array(z.enum(['source', 'destination']))
      .min(1)
      .default(['source', 'destination']),
    /** Destinations inside these ranges (or with a Kubernetes identity) become destination entities. */
    internalCidrs: z
      .array(z.string())
      .default(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']),
  })
  .prefault({})
  .refine((f) => f.windowSeconds % f.bucketSeconds === 0, {
    message: 'windowSeconds must be a multiple of bucketSeconds',
    path: ['windowSeconds'],
  });

export const detectorSchema = z
  .object({
    /**
     * Partitions this replica consumes (one durable consumer each). Absent: all of them through
     * one consumer on `nats.consumer.filterSubject`.
     */
    partitions: z.array(z.number().int().min(0)).optional(),
    /** Windows are written at least this often while flows arrive. */
    flushIntervalMs: z.number().int().min(10).default(1000),
  })
  .prefault({});

export const anonymizationSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** File holding the 32-byte key (raw, hex or base64), e.g. a mounted Secret. */
    keyFile: z.string().optional(),
    /** The key itself (hex or base64); prefer keyFile. Secret: never logged. */
    key: z.string().optional(),
    cacheSize: z.number().int().min(0).default(100000),
  })
  .prefault({});

export const configSchema = z.object({
  nats: natsSchema,
  store: storeSchema,
  features: featuresSchema,
  anonymization: anonymizationSchema,
  detector: detectorSchema,
  controller: controllerSchema,
  training: trainingSchema,
  scoring: scoringSchema,
  enrichment: z
    .object({
      /** `{ "<address>": { namespace, pod, workload, labels } }` (YAML or JSON). */
      staticMapFile: z.string().optional(),
      /**
       * Watch pods (and their addresses) through the Kubernetes API: the enrichment map in a
       * cluster. Uses controller.kubeconfig (default: in-cluster) and controller.namespaces.
       */
      kubernetes: z.boolean().default(false),
    })
    .prefault({}),
  http: z
    .object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(9464) })
    .prefault({}),
  log: z
    .object({
      level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
