/**
 * A small typed REST client for the Kubernetes API over node:https with a keep-alive agent.
 *
 * Why not the generated client-node APIs: the controller needs the same few verbs on any
 * resource (custom, discovered at run time, subresources), the server's Status message in every
 * error (it names the invalid field), one field manager on every write, and pooled connections
 * (client-node builds a new agent, hence a new TLS handshake, per request). Credentials still
 * come from client-node's KubeConfig, so every kubeconfig and in-cluster form works; they are
 * re-read every minute, which picks up rotated service-account tokens.
 */
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { ForesightError } from '../../errors.js';
import { KubeError, kubeErrorFromResponse } from './errors.js';
import { resourcePath, type Resource } from './resources.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: Date | string;
    creationTimestamp?: Date | string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
}

export interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
}

export type PatchType = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface KubeClientOptions {
  fieldManager: string;
  /** Per request; watches are not made through this client. */
  timeoutMs?: number;
  /** Observes every request: method, outcome class, seconds. */
  onRequest?: (method: string, outcome: string, seconds: number) => void;
}

interface Credentials {
  agent: http.Agent;
  headers: Record<string, string>;
  at: number;
}

const CREDENTIALS_TTL_MS = 60_000;

export class KubeClient {
  private credentials?: Promise<Credentials>;
  private pool?: { agent: http.Agent; fingerprint: string };
  private readonly server: URL;
  readonly fieldManager: string;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly options: KubeClientOptions,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new ForesightError('k8s-config', 'the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.fieldManager = options.fieldManager;
  }

  async get<T extends KubeObject>(r: Resource, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(r, namespace, name));
  }

  /** The object, or undefined when it does not exist. */
  async find<T extends KubeObject>(
    r: Resource,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(r, namespace, name);
    } catch (err) {
      if (err instanceof KubeError && err.code === 'k8s-not-found') return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(
    r: Resource,
    namespace?: string,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const query: Record<string, string> = {};
    if (options.labelSelector) query.labelSelector = options.labelSelector;
    if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
    if (options.limit) query.limit = String(options.limit);
    return this.request<KubeList<T>>('GET', resourcePath(r, namespace), { query });
  }

  async create<T extends KubeObject>(r: Resource, obj: T): Promise<T> {
    return this.request<T>('POST', resourcePath(r, obj.metadata?.namespace), {
      body: obj,
      query: { fieldManager: this.fieldManager },
    });
  }

  /** PUT: fails with k8s-conflict when `obj.metadata.resourceVersion` is stale. */
  async replace<T extends KubeObject>(r: Resource, obj: T, subresource?: string): Promise<T> {
    return this.request<T>('PUT', resourcePath(r, obj.metadata?.namespace, obj.metadata?.name, subresource), {
      body: obj,
      query: { fieldManager: this.fieldManager },
    });
  }

  async patch<T extends KubeObject>(
    r: Resource,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type?: PatchType; subresource?: string } = {},
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, namespace, name, options.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[options.type ?? 'merge'],
      query: { fieldManager: this.fieldManager },
    });
  }

  /** Deletes; an object already gone counts as deleted. Preconditions guard against deleting a successor. */
  async delete(
    r: Resource,
    namespace: string | undefined,
    name: string,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string } = {},
  ): Promise<void> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.uid) body.preconditions = { uid: options.uid };
    try {
      await this.request('DELETE', resourcePath(r, namespace, name), { body });
    } catch (err) {
      if (err instanceof KubeError && err.code === 'k8s-not-found') return;
      throw err;
    }
  }

  /** GET of a raw path (discovery documents, /version). */
  async getPath<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const started = performance.now();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let outcome = 'error';
    try {
      const creds = await this.getCredentials();
      const { status, text } = await this.send(url, method, creds, body, options.contentType);
      outcome = String(status).slice(0, 1) + 'xx';
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
      throw kubeErrorFromResponse(method, url.pathname, status, text);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      // Transport failures (refused, reset, timeout): the server was not reached or did not answer.
      throw new KubeError(
        'k8s-unavailable',
        `${method} ${url.pathname}: ${(err as Error).message}`,
        0,
        undefined,
        {
          cause: err,
        },
      );
    } finally {
      this.options.onRequest?.(method, outcome, (performance.now() - started) / 1000);
    }
  }

  private send(
    url: URL,
    method: string,
    creds: Credentials,
    body: string | undefined,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          agent: creds.agent,
          headers: {
            ...creds.headers,
            accept: 'application/json',
            ...(body === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }),
          },
          timeout: this.options.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`timed out after ${this.options.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private getCredentials(): Promise<Credentials> {
    const current = this.credentials;
    if (current) {
      return current.then((c) => {
        if (Date.now() - c.at < CREDENTIALS_TTL_MS) return c;
        this.credentials = undefined;
        return this.getCredentials();
      });
    }
    const loading = this.loadCredentials().catch((err: unknown) => {
      this.credentials = undefined;
      throw err;
    });
    this.credentials = loading;
    return loading;
  }

  private async loadCredentials(): Promise<Credentials> {
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const cluster = this.kubeConfig.getCurrentCluster();
    // Behind a proxy keep client-node's agent (it speaks the proxy); otherwise pool connections,
    // and keep the pool while the TLS material is unchanged.
    if (cluster?.proxyUrl && opts.agent) return { agent: opts.agent as http.Agent, headers, at: Date.now() };
    const fingerprint = JSON.stringify([
      opts.ca,
      opts.cert,
      opts.key,
      opts.rejectUnauthorized,
      opts.servername,
    ]);
    if (!this.pool || this.pool.fingerprint !== fingerprint) {
      this.pool?.agent.destroy();
      const agent =
        this.server.protocol === 'http:'
          ? new http.Agent({ keepAlive: true, maxSockets: 32 })
          : new https.Agent({
              keepAlive: true,
              maxSockets: 32,
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              ...(opts.rejectUnauthorized === undefined
                ? {}
                : { rejectUnauthorized: opts.rejectUnauthorized }),
              ...(opts.servername ? { servername: opts.servername } : {}),
            });
      this.pool = { agent, fingerprint };
    }
    return { agent: this.pool.agent, headers, at: Date.now() };
  }

  /** Closes pooled connections. */
  close(): void {
    this.pool?.agent.destroy();
    this.pool = undefined;
  }
}
