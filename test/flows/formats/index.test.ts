import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForesightError } from '../../../src/errors.js';
import { FORMATS, getFormat, sniffFormat } from '../../../src/flows/formats/index.js';
import { fixtureLines } from './fixtures.js';

describe('sniffFormat: every fixture', () => {
  const cases: [string, string | undefined][] = [
    ['aws_vpc_flow_v2_default.sample', 'aws-vpc'],
    ['aws_vpc_flow_v3_v5_custom.sample', 'aws-vpc'],
    ['azure_nsg_flow_v2.sample', 'azure-nsg'],
    ['azure_vnet_flow_v4.sample', 'azure-vnet'],
    ['gcp_vpc_flow.sample', 'gcp-vpc'],
    ['cilium_hubble_flow.sample', 'hubble'],
    ['calico_enterprise_flowlog.sample', 'calico'],
    ['zeek_conn_tsv_labeled.sample', 'zeek-tsv'],
    ['stratosphere_008_zeek_conn_first200.labeled', 'zeek-tsv'],
    ['zeek_conn_json_portscan.sample', 'zeek-json'],
    ['ctu13_capture20110816_first200.binetflow.csv', 'argus-csv'],
    ['ctu13_capture20110816_botnet_first20.binetflow.csv', 'argus-csv'],
    ['unsw_nb15_1_first200.csv', 'unsw-nb15'],
    // No adapter for these: sniffing must say so rather than guess.
    ['calico_felix_policy_syslog.sample', undefined],
    ['netobserv_k8s_flow.sample', undefined],
    ['suricata_eve_flow.sample', undefined],
  ];
  for (const [file, expected] of cases) {
    it(`${file} → ${expected ?? 'nothing'}`, () => {
      assert.equal(sniffFormat(fixtureLines(file).slice(0, 50))?.name, expected);
    });
  }

  const headerless: [string, string][] = [
    ['aws_vpc_flow_v2_default.sample', 'aws-vpc'],
    ['zeek_conn_tsv_labeled.sample', 'zeek-tsv'],
    ['ctu13_capture20110816_first200.binetflow.csv', 'argus-csv'],
    ['unsw_nb15_1_first200.csv', 'unsw-nb15'],
  ];
  for (const [file, expected] of headerless) {
    it(`${file} without its header lines → ${expected}`, () => {
      const rows = fixtureLines(file)
        .filter((l) => !l.startsWith('#') && !l.startsWith('StartTime,') && !l.startsWith('srcip,'))
        .slice(0, 50);
      assert.equal(sniffFormat(rows)?.name, expected);
    });
  }

  it('finds nothing in no lines, blank lines or prose', () => {
    assert.equal(sniffFormat([]), undefined);
    assert.equal(sniffFormat(['', '   ']), undefined);
    assert.equal(sniffFormat(['hello world', 'this is not a flow log']), undefined);
  });
});

describe('sniffFormat: what each adapter writes', () => {
  const flow = {
    ts: 1714564800123,
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 40000,
    dstPort: 443,
    proto: 6,
    action: 'allow' as const,
    bytes: 100,
    packets: 2,
  };
  for (const format of FORMATS) {
    it(`${format.name} output sniffs as ${format.name}`, () => {
      assert.equal(sniffFormat(format.write([flow, flow]))?.name, format.name);
    });
  }
});

describe('getFormat', () => {
  it('returns every adapter by name', () => {
    for (const f of FORMATS) assert.equal(getFormat(f.name), f);
  });

  it('throws unknown-format listing the valid names', () => {
    assert.throws(
      () => getFormat('netflow-v9'),
      (err: unknown) =>
        err instanceof ForesightError &&
        err.code === 'unknown-format' &&
        err.message.includes('netflow-v9') &&
        err.message.includes('aws-vpc') &&
        err.message.includes('unsw-nb15'),
    );
  });

  it('has eleven adapters with distinct names', () => {
    assert.equal(new Set(FORMATS.map((f) => f.name)).size, 11);
  });
});
