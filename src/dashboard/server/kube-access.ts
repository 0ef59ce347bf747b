/**
 * Access decided by the Kubernetes API server: the bearer token is checked with a TokenReview,
 * each permission with a SubjectAccessReview for the token's user and groups (the dashboard's
 * service account needs the `system:auth-delegator` ClusterRole for both). Answers are cached
 * briefly (by a digest of the token, never the token itself) so a page load costs a handful of
 * reviews, not one per request. Permission → resource attributes: docs/adr/0013-dashboard.md.
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../../controller/k8s/client.js';
import type { AccessControl, Permission, Principal } from './types.js';

interface ResourceAttributes {
  group: string;
  resource: string;
  verb: string;
}

export const PERMISSION_ATTRIBUTES: Record<Permission, ResourceAttributes> = {
  read: { group: 'foresight.dev', resource: 'threatincidents', verb: 'list' },
  feedback: { group: 'foresight.dev', resource: 'threatincidents', verb: 'update' },
  approve: { group: 'foresight.dev', resource: 'threatincidents', verb: 'update' },
  reveal: { group: 'foresight.dev', resource: 'threatincidents', verb: 'reveal' },
  rules: { group: 'foresight.dev', resource: 'threatpolicies', verb: 'patch' },
  models: { group: 'foresight.dev', resource: 'models', verb: 'update' },
};

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  };
}

interface SubjectAccessReview {
  status?: { allowed?: boolean };
}

interface KubePrincipal extends Principal {
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface KubernetesAccessOptions {
  /**
   * The namespaces the deployment watches (empty: all). A check without a namespace then holds
   * when it holds in any of them, so a user with a Role in one namespace can sign in.
   */
  namespaces?: readonly string[];
  /** How long answers are reused (default 30 s). */
  cacheMs?: number;
  now?: () => number;
}

export class KubernetesAccess implements AccessControl {
  private readonly tokens = new Map<string, { at: number; principal: KubePrincipal | undefined }>();
  private readonly decisions = new Map<string, { at: number; allowed: boolean }>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: KubernetesAccessOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.tokens.get(key);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.principal;
    const review = await this.client.request<TokenReview>(
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      },
    );
    const user = review.status?.user;
    const principal: KubePrincipal | undefined =
      review.status?.authenticated && user?.username
        ? {
            name: user.username,
            groups: user.groups ?? [],
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
          }
        : undefined;
    this.remember(this.tokens, key, { at: this.now(), principal });
    return principal;
  }

  async allowed(principal: Principal, permission: Permission, namespace?: string): Promise<boolean> {
    const watched = this.options.namespaces ?? [];
    if (namespace === undefined && watched.length > 0) {
      for (const ns of watched) if (await this.allowed(principal, permission, ns)) return true;
      return false;
    }
    const p = principal as KubePrincipal;
    const attrs = PERMISSION_ATTRIBUTES[permission];
    const key = JSON.stringify([p.name, p.groups, attrs, namespace ?? '']);
    const cached = this.decisions.get(key);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.allowed;
    const review = await this.client.request<SubjectAccessReview>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: p.name,
            groups: [...p.groups],
            ...(p.uid ? { uid: p.uid } : {}),
            ...(p.extra ? { extra: p.extra } : {}),
            resourceAttributes: { ...attrs, ...(namespace ? { namespace } : {}) },
          },
        },
      },
    );
    const allowed = review.status?.allowed === true;
    this.remember(this.decisions, key, { at: this.now(), allowed });
    return allowed;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > 10_000) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
