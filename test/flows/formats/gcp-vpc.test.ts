import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gcpVpc } from '../../../src/flows/formats/gcp-vpc.js';
import { errorOf, fixtureLines, parseAll, single } from './fixtures.js';

describe('gcp-vpc: sample', () => {
  const lines = fixtureLines('gcp_vpc_flow.sample');
  const out = parseAll(gcpVpc, lines);

  it('reads the connection, RFC 3339 times with microseconds and int64 strings', () => {
    assert.deepEqual(single(out[0]), {
      ts: Date.UTC(2019, 5, 14, 3, 45, 37) + 186.193,
      durationMs: 115.76,
      src: '10.87.40.76',
      dst: '203.0.113.12',
      srcPort: 5601,
      dstPort: 33478,
      proto: 6,
      action: 'allow',
      bytes: 1776,
      packets: 7,
      direction: 'egress',
    });
  });

  it('maps reporter DEST to ingress and treats every record as allowed', () => {
    const f = single(out[1]);
    assert.equal(f.direction, 'ingress');
    assert.equal(f.bytes, 173663);
    assert.ok(out.every((o) => o.kind === 'flows' && o.flows[0]?.action === 'allow'));
  });

  it('reads GKE pod identity and the firewall-log disposition', () => {
    const entry = {
      jsonPayload: {
        connection: {
          src_ip: '10.8.0.5',
          dest_ip: '10.8.1.7',
          protocol: 6,
          src_port: 40000,
          dest_port: 8080,
        },
        start_time: '2024-03-01T10:00:00Z',
        disposition: 'DENIED',
        src_gke_details: {
          pod: { pod_name: 'web-1', pod_namespace: 'shop', pod_workload: { workload_name: 'web' } },
        },
      },
    };
    const f = single(gcpVpc.createParser().parse(JSON.stringify(entry)));
    assert.equal(f.action, 'deny');
    assert.deepEqual(f.srcK8s, { namespace: 'shop', pod: 'web-1', workload: 'web' });
    assert.equal(f.dstK8s, undefined);
  });

  it('names the field of an invalid value', () => {
    const bad = lines[0]?.replace('"dest_port":33478', '"dest_port":"http"') ?? '';
    assert.match(
      errorOf(gcpVpc.createParser().parse(bad)).detail,
      /^jsonPayload\.connection\.dest_port "http"/,
    );
    assert.match(errorOf(gcpVpc.createParser().parse('{"jsonPayload":{}}')).detail, /connection is missing/);
  });
});
