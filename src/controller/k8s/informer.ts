/**
 * A resilient informer: client-node's ListWatch (list, then watch from the list's
 * resourceVersion; relist on 410 Gone), wrapped so that it never stays down. ListWatch stops for
 * good after any other error (API server restarting, connection refused, 5xx); this wrapper
 * restarts it with capped, jittered backoff, resuming the watch from the last resourceVersion
 * (or relisting, if the server has compacted past it).
 *
 * It keeps its own copy of the objects, with secondary indexes (pods by IP, incidents by policy
 * …), and hands every change to its handlers; handlers only enqueue keys (level-triggered).
 * One ListWatch per namespace in namespaced mode, one cluster-wide otherwise.
 */
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from '../../observability/logger.js';
import { Backoff, formatDelay } from '../../util/backoff.js';
import type { KubeClient, KubeObject } from './client.js';
import { objectKey, resourcePath, type Resource } from './resources.js';
import { realTimers, type Timers } from './work-queue.js';

export type ChangeType = 'add' | 'update' | 'delete';
export type ChangeHandler<T> = (type: ChangeType, obj: T, old: T | undefined) => void;
export type IndexFn<T> = (obj: T) => string[];

export interface InformerOptions<T> {
  name: string;
  resource: Resource;
  client: KubeClient;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Empty: all namespaces. */
  namespaces: readonly string[];
  labelSelector?: string;
  backoff: { initialMs: number; maxMs: number };
  indexers?: Record<string, IndexFn<T>>;
  timers?: Timers;
  onRestart?: () => void;
  /** Reports whether the informer is synced and watching. */
  onHealth?: (healthy: boolean) => void;
}

interface Lister {
  namespace: string | undefined;
  lw: ListWatch<KubeObjectLike>;
  synced: boolean;
  failing: boolean;
  backoff: Backoff;
  restartTimer?: unknown;
}

type KubeObjectLike = KubernetesObject;

export class Informer<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: ChangeHandler<T>[] = [];
  private readonly listers: Lister[] = [];
  private readonly syncWaiters: (() => void)[] = [];
  private readonly timers: Timers;
  private stopped = false;

  constructor(private readonly options: InformerOptions<T>) {
    this.timers = options.timers ?? realTimers;
    for (const name of Object.keys(options.indexers ?? {})) this.indexes.set(name, new Map());
  }

  get name(): string {
    return this.options.name;
  }

  on(handler: ChangeHandler<T>): void {
    this.handlers.push(handler);
  }

  get synced(): boolean {
    return this.listers.length > 0 && this.listers.every((l) => l.synced);
  }

  /** Synced and every watch connected (not waiting to restart). */
  get healthy(): boolean {
    return this.synced && this.listers.every((l) => !l.failing);
  }

  start(): void {
    const namespaces = this.options.namespaces.length > 0 ? this.options.namespaces : [undefined];
    for (const namespace of namespaces) this.startLister(namespace);
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error(`${this.name} informer: aborted before sync`));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.objects.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  get size(): number {
    return this.objects.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const l of this.listers) {
      if (l.restartTimer !== undefined) this.timers.clearTimeout(l.restartTimer);
      await l.lw.stop();
    }
  }

  private startLister(namespace: string | undefined): void {
    const { client, resource, labelSelector } = this.options;
    const path = resourcePath(resource, namespace);
    const lister: Lister = {
      namespace,
      synced: false,
      failing: false,
      backoff: new Backoff(this.options.backoff),
      lw: undefined as unknown as ListWatch<KubeObjectLike>,
    };
    const listFn = async (): Promise<KubernetesListObject<KubeObjectLike>> => {
      const list = await client.list<KubeObject>(resource, namespace, labelSelector ? { labelSelector } : {});
      // ListWatch applies the list synchronously after this promise settles; a macrotask later it is in place.
      setImmediate(() => this.markSynced(lister));
      return list as unknown as KubernetesListObject<KubeObjectLike>;
    };
    const lw = new ListWatch<KubeObjectLike>(
      path,
      new Watch(this.options.kubeConfig),
      listFn,
      false,
      labelSelector,
    );
    lister.lw = lw;
    lw.on('add', (obj) => this.upsert(obj as unknown as T, lister));
    lw.on('update', (obj) => this.upsert(obj as unknown as T, lister));
    lw.on('delete', (obj) => this.remove(obj as unknown as T));
    lw.on('error', (err: unknown) => this.scheduleRestart(lister, err));
    this.listers.push(lister);
    void lw.start().catch((err: unknown) => this.scheduleRestart(lister, err));
  }

  private markSynced(lister: Lister): void {
    lister.failing = false;
    lister.backoff.reset();
    if (!lister.synced) {
      lister.synced = true;
      if (this.synced) for (const w of this.syncWaiters.splice(0)) w();
    }
    this.options.onHealth?.(this.healthy);
  }

  private scheduleRestart(lister: Lister, err: unknown): void {
    if (this.stopped || lister.restartTimer !== undefined) return;
    lister.failing = true;
    this.options.onHealth?.(false);
    const delay = lister.backoff.next();
    const where = lister.namespace ? ` in ${lister.namespace}` : '';
    const message = err instanceof Error ? err.message : String(err);
    const log = lister.backoff.attempts <= 1 ? 'warn' : 'debug';
    this.options.logger[log](
      `${this.name} watch${where} failed (${message}); restarting in ${formatDelay(delay)}`,
    );
    lister.restartTimer = this.timers.setTimeout(() => {
      lister.restartTimer = undefined;
      if (this.stopped) return;
      this.options.onRestart?.();
      void lister.lw.start().catch((e: unknown) => this.scheduleRestart(lister, e));
    }, delay);
  }

  private upsert(obj: T, lister: Lister): void {
    if (lister.failing && lister.synced) {
      // Events flow again: the watch is back.
      lister.failing = false;
      lister.backoff.reset();
      this.options.onHealth?.(this.healthy);
    }
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (old?.metadata?.resourceVersion === obj.metadata?.resourceVersion && old) return;
    this.objects.set(key, obj);
    this.reindex(key, old, obj);
    for (const h of this.handlers) h(old ? 'update' : 'add', obj, old);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.reindex(key, old, undefined);
    for (const h of this.handlers) h('delete', old, old);
  }

  private reindex(key: string, old: T | undefined, next: T | undefined): void {
    for (const [name, fn] of Object.entries(this.options.indexers ?? {})) {
      const index = this.indexes.get(name)!;
      for (const v of old ? fn(old) : []) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
      for (const v of next ? fn(next) : []) {
        let set = index.get(v);
        if (!set) index.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }
}
