/**
 * Bad values are refused before anything reaches a cluster, with a message that names the value:
 * type and range errors by values.schema.json, combinations and chart-owned Foresight settings
 * by templates/validate.yaml (and the detector's partition check).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helmTemplate } from './support.js';

const cases: { name: string; set: string[]; message: RegExp }[] = [
  {
    name: 'a misspelt top-level key',
    set: ['detectr.replicas=2'],
    message: /additional properties 'detectr' not allowed/,
  },
  {
    name: 'a misspelt nested key',
    set: ['controller.replica=2'],
    message: /at '\/controller'.*additional properties 'replica'/,
  },
  {
    name: 'zero detector replicas',
    set: ['detector.replicas=0'],
    message: /at '\/detector\/replicas': minimum: got 0, want 1/,
  },
  {
    name: 'zero controller replicas',
    set: ['controller.replicas=0'],
    message: /at '\/controller\/replicas': minimum/,
  },
  {
    name: 'more partitions than Foresight allows',
    set: ['nats.partitions=2000'],
    message: /at '\/nats\/partitions': maximum/,
  },
  {
    name: 'a port out of range',
    set: ['controller.metricsPort=70000'],
    message: /at '\/controller\/metricsPort': maximum/,
  },
  {
    name: 'a NATS URL of another scheme',
    set: ['nats.url=http://nats:4222'],
    message: /at '\/nats\/url': 'http:\/\/nats:4222' does not match/,
  },
  {
    name: 'an image pull policy that does not exist',
    set: ['image.pullPolicy=Sometimes'],
    message: /value must be one of 'Always', 'IfNotPresent', 'Never'/,
  },
  { name: 'a digest that is not sha256', set: ['image.digest=latest'], message: /at '\/image\/digest'/ },
  {
    name: 'a namespace name with capitals',
    set: ['watchNamespaces[0]=Shop'],
    message: /at '\/watchNamespaces\/0': 'Shop' does not match/,
  },
  {
    name: 'a PostgreSQL schema name with a dash',
    set: ['postgresql.schema=my-schema'],
    message: /at '\/postgresql\/schema'/,
  },
  {
    name: 'a string where a number belongs',
    set: ['postgresql.port=five'],
    message: /at '\/postgresql\/port': got string, want integer/,
  },
  {
    name: 'an alert duration Prometheus cannot read',
    set: ['monitoring.prometheusRule.consumerLag.for=ten'],
    message: /consumerLag\/for': 'ten' does not match/,
  },
  {
    name: 'an unknown alert severity',
    set: ['monitoring.prometheusRule.noLeader.severity=page'],
    message: /noLeader\/severity': value must be one of 'critical', 'warning', 'info'/,
  },
  {
    name: 'a cron schedule with three fields',
    set: ['trainer.schedule=0 1 2'],
    message: /at '\/trainer\/schedule'/,
  },
  {
    name: 'a dashboard Service type that does not exist',
    set: ['dashboard.service.type=Ingress'],
    message: /dashboard\/service\/type': value must be one of/,
  },
  {
    name: 'more detector replicas than partitions',
    set: ['detector.replicas=3', 'nats.partitions=2'],
    message: /detector\.replicas \(3\) must not exceed nats\.partitions \(2\)/,
  },
  {
    name: 'anonymization without any key',
    set: ['anonymization.generate=false'],
    message: /anonymization needs a key: set anonymization\.existingSecret/,
  },
  {
    name: 'a database URL key without the Secret',
    set: ['postgresql.urlKey=url'],
    message: /postgresql\.urlKey names a key of postgresql\.existingSecret, which is empty/,
  },
  {
    name: 'a password-carrying URL in the ConfigMap',
    set: ['config.store.url=postgres://u:pw@db/x'],
    message: /config\.store\.url is set by the chart: use postgresql\.\* and postgresql\.existingSecret/,
  },
  {
    name: 'the anonymization key in the ConfigMap',
    set: ['detector.config.anonymization.key=abc'],
    message: /detector\.config\.anonymization\.key is set by the chart: use anonymization\.existingSecret/,
  },
  {
    name: 'watched namespaces behind the RBAC',
    set: ['controller.config.controller.namespaces[0]=shop'],
    message: /controller\.config\.controller\.namespaces is set by the chart: use watchNamespaces/,
  },
  {
    name: 'a metrics port the probes would miss',
    set: ['config.http.port=9999'],
    message: /config\.http\.port is set by the chart: use <component>\.metricsPort/,
  },
  {
    name: 'partitions the StatefulSet decides',
    set: ['detector.config.detector.partitions[0]=1'],
    message: /detector\.config\.detector\.partitions is set by the chart/,
  },
  {
    name: 'a NATS client certificate without its key',
    set: ['nats.tls.existingSecret=nats-tls', 'nats.tls.certKey=tls.crt'],
    message: /nats\.tls\.certKey and nats\.tls\.keyKey go together/,
  },
  {
    name: 'a NATS auth Secret that names neither a creds file nor a seed',
    set: ['nats.auth.existingSecret=nats-auth'],
    message: /nats\.auth\.existingSecret needs exactly one of nats\.auth\.credsKey/,
  },
  {
    name: 'NATS credentials in the ConfigMap',
    set: ['config.nats.auth.nkeySeedFile=/seed'],
    message: /config\.nats\.auth is set by the chart: use nats\.auth\.existingSecret/,
  },
];

describe('values the chart refuses', () => {
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const result = await helmTemplate({ set: c.set });
      assert.notEqual(result.code, 0, `accepted ${c.set.join(' ')}`);
      assert.match(result.stderr.replace(/\n\s*/g, ' '), c.message);
    });
  }

  it('accepts Foresight settings the chart does not own', async () => {
    const result = await helmTemplate({
      set: [
        'config.features.windowSeconds=120',
        'detector.config.scoring.minThreat=0.4',
        'controller.config.controller.workers=8',
      ],
    });
    assert.equal(result.code, 0, result.stderr);
  });
});
