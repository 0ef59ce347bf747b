/**
 * Generates the TypeScript types of the custom resources from their CRD YAML (crds/*.yaml), so
 * the code and the API server agree on one schema. The output is the types as read back from
 * the API server: a field with a schema default is required, because the server always fills it.
 *
 *   npx tsx scripts/gen-crd-types.ts          rewrite src/controller/threatpolicy/crd-types.ts
 *   npx tsx scripts/gen-crd-types.ts --check  exit 1 when the file is out of date
 *
 * test/controller/crd-types.test.ts runs the same generation and fails on drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import prettier from 'prettier';

export const CRD_FILES = [
  'crds/foresight.dev_threatpolicies.yaml',
  'crds/foresight.dev_threatincidents.yaml',
];
export const OUTPUT_FILE = 'src/controller/threatpolicy/crd-types.ts';

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: (string | number)[];
  default?: unknown;
  additionalProperties?: Schema;
  format?: string;
}

/** Object (and enum) types get these names; an unnamed object schema is an error, so names stay readable. */
const NAMES: Record<string, string> = {
  'ThreatPolicy.spec': 'ThreatPolicySpec',
  'ThreatPolicy.spec.podSelector': 'LabelSelector',
  'ThreatPolicy.spec.podSelector.matchExpressions[]': 'LabelSelectorRequirement',
  'ThreatPolicy.spec.mode': 'PolicyMode',
  'ThreatPolicy.spec.weights': 'ScoreWeights',
  'ThreatPolicy.spec.criticality': 'PolicyCriticality',
  'ThreatPolicy.spec.actions[]': 'LadderStep',
  'ThreatPolicy.spec.actions[].type': 'ActionType',
  'ThreatPolicy.spec.actions[].rateLimit': 'Bandwidth',
  'ThreatPolicy.spec.allowlist': 'Allowlist',
  'ThreatPolicy.spec.allowlist.podSelectors[]': 'LabelSelector',
  'ThreatPolicy.spec.allowlist.podSelectors[].matchExpressions[]': 'LabelSelectorRequirement',
  'ThreatPolicy.spec.caps': 'Caps',
  'ThreatPolicy.spec.incidents': 'IncidentBounds',
  'ThreatPolicy.spec.alertRules[]': 'AlertRule',
  'ThreatPolicy.spec.alertRules[].severity': 'Severity',
  'ThreatPolicy.spec.notifications[]': 'NotificationTarget',
  'ThreatPolicy.spec.notifications[].minSeverity': 'Severity',
  'ThreatPolicy.spec.notifications[].webhook': 'WebhookTarget',
  'ThreatPolicy.spec.notifications[].webhook.headersSecretRef': 'SecretRef',
  'ThreatPolicy.spec.notifications[].alertmanager': 'AlertmanagerTarget',
  'ThreatPolicy.spec.notifications[].alertmanager.basicAuthSecretRef': 'BasicAuthSecretRef',
  'ThreatPolicy.spec.notifications[].nats': 'NatsTarget',
  'ThreatPolicy.status': 'ThreatPolicyStatus',
  'ThreatPolicy.status.conditions[]': 'Condition',
  'ThreatPolicy.status.enforcement': 'Enforcement',
  'ThreatPolicy.status.enforcement.api': 'EnforcementApi',
  'ThreatPolicy.status.incidents': 'IncidentCounts',
  'ThreatPolicy.status.activeActions': 'ActionCounts',
  'ThreatIncident.spec': 'ThreatIncidentSpec',
  'ThreatIncident.spec.policyRef': 'PolicyRef',
  'ThreatIncident.spec.entity': 'IncidentEntity',
  'ThreatIncident.spec.entity.kind': 'EntityKind',
  'ThreatIncident.spec.verdict': 'AnalystVerdict',
  'ThreatIncident.spec.approve[]': 'ActionType',
  'ThreatIncident.status': 'ThreatIncidentStatus',
  'ThreatIncident.status.conditions[]': 'Condition',
  'ThreatIncident.status.phase': 'IncidentPhase',
  'ThreatIncident.status.score': 'IncidentScore',
  'ThreatIncident.status.crossedAt': 'ActionTimes',
  'ThreatIncident.status.criticality': 'Criticality',
  'ThreatIncident.status.detectors[]': 'IncidentDetectorScore',
  'ThreatIncident.status.explanation': 'IncidentExplanation',
  'ThreatIncident.status.explanation.features[]': 'IncidentFeature',
  'ThreatIncident.status.prediction': 'IncidentPrediction',
  'ThreatIncident.status.prediction.kind': 'PredictionKind',
  'ThreatIncident.status.window': 'TimeWindow',
  'ThreatIncident.status.targets[]': 'IncidentTarget',
  'ThreatIncident.status.alertRules[]': 'FiredAlertRule',
  'ThreatIncident.status.actions[]': 'ActionStatus',
  'ThreatIncident.status.actions[].type': 'ActionType',
  'ThreatIncident.status.actions[].state': 'ActionState',
  'ThreatIncident.status.actions[].direction': 'BlockDirection',
  'ThreatIncident.status.enforcement': 'Enforcement',
  'ThreatIncident.status.enforcement.api': 'EnforcementApi',
  'ThreatIncident.status.feedback': 'IncidentFeedback',
  'ThreatIncident.status.feedback.verdict': 'AnalystVerdict',
};

/** Docs for types used at several paths, where the schema's descriptions are about one use. */
const TYPE_DOCS: Record<string, string> = {
  LabelSelector: 'A Kubernetes label selector: every matchLabels entry and every expression must hold.',
  SecretRef: "A Secret in the policy's namespace.",
};

class Emitter {
  private readonly blocks = new Map<string, string>();

  typeOf(schema: Schema, path: string): string {
    const named = NAMES[path];
    if (schema.enum) {
      const union = schema.enum.map((v) => JSON.stringify(v)).join(' | ');
      if (!named) return union;
      this.define(
        named,
        `export const ${named}Values = [${schema.enum.map((v) => JSON.stringify(v)).join(', ')}] as const;\nexport type ${named} = (typeof ${named}Values)[number];`,
      );
      return named;
    }
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array':
        if (!schema.items) throw new Error(`${path}: array without items`);
        return `${wrap(this.typeOf(schema.items, `${path}[]`))}[]`;
      case 'object': {
        if (!schema.properties) {
          if (schema.additionalProperties) {
            return `Record<string, ${this.typeOf(schema.additionalProperties, `${path}{}`)}>`;
          }
          return 'Record<string, unknown>';
        }
        if (!named) throw new Error(`${path}: object type needs a name in NAMES`);
        this.define(named, this.interfaceFor(named, schema, path));
        return named;
      }
      default:
        throw new Error(`${path}: unsupported schema type ${String(schema.type)}`);
    }
  }

  private interfaceFor(name: string, schema: Schema, path: string): string {
    const required = new Set(schema.required ?? []);
    const lines = Object.entries(schema.properties ?? {}).map(([prop, sub]) => {
      const optional = required.has(prop) || sub.default !== undefined ? '' : '?';
      const doc = sub.description ? `${jsdoc(sub.description, '  ')}\n` : '';
      return `${doc}  ${prop}${optional}: ${this.typeOf(sub, `${path}.${prop}`)};`;
    });
    const description = TYPE_DOCS[name] ?? schema.description;
    const doc = description ? `${jsdoc(description, '')}\n` : '';
    return `${doc}export interface ${name} {\n${lines.join('\n')}\n}`;
  }

  /** A name used at several paths must mean one shape: the first definition wins, later ones must match. */
  private define(name: string, text: string): void {
    const existing = this.blocks.get(name);
    if (existing === undefined) this.blocks.set(name, text);
    else if (stripDocs(existing) !== stripDocs(text)) {
      throw new Error(`type ${name} is defined twice with different shapes`);
    }
  }

  output(): string {
    return [...this.blocks.values()].join('\n\n');
  }
}

function wrap(type: string): string {
  return type.includes('|') ? `(${type})` : type;
}

function stripDocs(text: string): string {
  return text.replace(/\/\*\*[\s\S]*?\*\/\n/g, '');
}

function jsdoc(text: string, indent: string): string {
  const clean = text.trim().replace(/\*\//g, '*\\/');
  return `${indent}/** ${clean} */`;
}

interface Crd {
  spec: {
    names: { kind: string; plural: string };
    group: string;
    versions: { name: string; storage: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
}

/** The TypeScript module for the given CRD documents (YAML text), formatted with prettier. */
export async function generateCrdTypes(crdTexts: string[], prettierConfigFile?: string): Promise<string> {
  const emitter = new Emitter();
  const roots: string[] = [];
  for (const text of crdTexts) {
    const crd = yaml.load(text) as Crd;
    const version = crd.spec.versions.find((v) => v.storage);
    if (!version) throw new Error(`${crd.spec.names.kind}: no storage version`);
    const kind = crd.spec.names.kind;
    const root = version.schema.openAPIV3Schema;
    const spec = root.properties?.spec;
    const status = root.properties?.status;
    if (!spec || !status) throw new Error(`${kind}: schema needs spec and status`);
    const specType = emitter.typeOf(spec, `${kind}.spec`);
    const statusType = emitter.typeOf(status, `${kind}.status`);
    roots.push(
      `${jsdoc(root.description ?? kind, '')}\nexport interface ${kind} {\n  apiVersion?: string;\n  kind?: string;\n` +
        `  metadata: V1ObjectMeta;\n  spec: ${specType};\n  status?: ${statusType};\n}\n\n` +
        `export const ${kind}Resource = { group: '${crd.spec.group}', version: '${version.name}', ` +
        `plural: '${crd.spec.names.plural}', kind: '${kind}' } as const;`,
    );
  }
  const text =
    '// Generated by scripts/gen-crd-types.ts from crds/*.yaml: do not edit; edit the CRDs and rerun.\n' +
    "import type { V1ObjectMeta } from '@kubernetes/client-node';\n\n" +
    `${emitter.output()}\n\n${roots.join('\n\n')}\n`;
  const options = prettierConfigFile ? ((await prettier.resolveConfig(prettierConfigFile)) ?? {}) : {};
  return prettier.format(text, { ...options, parser: 'typescript' });
}

export async function generateFromRepo(root: string): Promise<string> {
  const texts = CRD_FILES.map((f) => readFileSync(resolve(root, f), 'utf8'));
  return generateCrdTypes(texts, resolve(root, OUTPUT_FILE));
}

async function main(): Promise<void> {
  const root = process.cwd();
  const generated = await generateFromRepo(root);
  const target = resolve(root, OUTPUT_FILE);
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== generated) {
      console.error(`${OUTPUT_FILE} is out of date: run npx tsx scripts/gen-crd-types.ts`);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(target, generated);
  console.error(`wrote ${OUTPUT_FILE}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
