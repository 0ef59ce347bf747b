/**
 * Reads the Secrets notification targets refer to (webhook headers, Alertmanager basic auth),
 * from the policy's own namespace only, with a short cache. Values never reach logs or status.
 */
import { ForesightError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../k8s/client.js';
import { RESOURCES } from '../k8s/resources.js';

interface Secret extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface SecretReader {
  read(namespace: string, name: string): Promise<Record<string, string>>;
}

export class CachedSecretReader implements SecretReader {
  private readonly cache = new Map<string, { at: number; data: Record<string, string> }>();

  constructor(
    private readonly client: KubeClient,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async read(namespace: string, name: string): Promise<Record<string, string>> {
    const key = `${namespace}/${name}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.data;
    const secret = await this.client.find<Secret>(RESOURCES.secrets, namespace, name);
    if (!secret) throw new ForesightError('secret-not-found', `Secret ${key} not found`);
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret.data ?? {}))
      data[k] = Buffer.from(v, 'base64').toString('utf8');
    this.cache.set(key, { at: this.now(), data });
    return data;
  }
}
