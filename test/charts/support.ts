/**
 * Rendering the chart with the real helm binary: the value sets the tests share (values/*.yaml
 * beside this file), `helm template` with a fixed release, and the manifests parsed back.
 */
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { runHelm, type RunResult } from '../support/helm.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const CHART = join(REPO, 'charts/foresight');
export const RELEASE = 'foresight';
export const NAMESPACE = 'foresight';

/** Named value sets: none (the defaults) or files under values/. */
export const VALUE_SETS: Record<string, string[]> = {
  default: [],
  namespaced: ['namespaced.yaml'],
  monitoring: ['monitoring.yaml'],
  'existing-secrets': ['existing-secrets.yaml'],
};

export function valueFiles(set: string): string[] {
  const files = VALUE_SETS[set];
  if (!files) throw new Error(`unknown value set ${set}`);
  return files.map((f) => join(import.meta.dirname, 'values', f));
}

export interface RenderOptions {
  files?: string[];
  set?: string[];
  /** The Kubernetes version helm assumes (API versions of PDB and CronJob follow it). */
  kubeVersion?: string;
}

export function helmTemplate(options: RenderOptions = {}): Promise<RunResult> {
  const args = [
    'template',
    RELEASE,
    CHART,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    options.kubeVersion ?? '1.30.0',
  ];
  for (const f of options.files ?? []) args.push('--values', f);
  for (const s of options.set ?? []) args.push('--set', s);
  return runHelm(args);
}

/** Renders or throws with helm's message. */
export async function render(options: RenderOptions = {}): Promise<string> {
  const result = await helmTemplate(options);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return result.stdout;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export function parseManifests(text: string): Manifest[] {
  return yaml.loadAll(text).filter((d): d is Manifest => typeof d === 'object' && d !== null);
}
