import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ForesightError } from '../../src/errors.js';
import { openFlowFile, readFlowFile, type FlowBatch } from '../../src/flows/flow-file.js';
import { FIXTURE_DIR } from './formats/fixtures.js';

const fixture = (name: string): string => fileURLToPath(new URL(name, FIXTURE_DIR));
const dir = mkdtempSync(join(tmpdir(), 'foresight-flow-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(batches: AsyncIterable<FlowBatch>): Promise<FlowBatch[]> {
  const out: FlowBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

function isCode(code: string) {
  return (err: unknown) => err instanceof ForesightError && err.code === code;
}

describe('openFlowFile / readFlowFile', () => {
  it('sniffs the format and yields batches covering every line', async () => {
    const file = await openFlowFile(fixture('ctu13_capture20110816_first200.binetflow.csv'), {
      batchLines: 50,
    });
    assert.equal(file.format.name, 'argus-csv');
    assert.equal(file.gzip, false);
    const batches = await collect(file.batches());
    assert.deepEqual(
      batches.map((b) => [b.firstLine, b.lines]),
      [
        [1, 50],
        [51, 50],
        [101, 50],
        [151, 50],
        [201, 1],
      ],
    );
    assert.equal(
      batches.reduce((n, b) => n + b.flows.length, 0),
      199,
    );
    assert.equal(
      batches.reduce((n, b) => n + (b.skipped['non-ip'] ?? 0), 0),
      1,
    );
    assert.ok(batches.every((b) => b.format === 'argus-csv' && b.deadLetters.length === 0));
    assert.equal(file.headerLines()[0]?.startsWith('StartTime,'), true);
  });

  it('reads gzip files (by magic bytes) and exposes the learnt header lines', async () => {
    const path = join(dir, 'conn.log.labeled.gz');
    writeFileSync(path, gzipSync(readFileSync(fixture('stratosphere_008_zeek_conn_first200.labeled'))));
    const file = await openFlowFile(path);
    assert.equal(file.gzip, true);
    assert.equal(file.format.name, 'zeek-tsv');
    const batches = await collect(file.batches());
    assert.equal(
      batches.reduce((n, b) => n + b.flows.length, 0),
      200,
    );
    assert.equal(file.headerLines().length, 8);
  });

  it('reads CRLF files and a last line without newline', async () => {
    const path = join(dir, 'crlf.ndjson');
    const line = '{"timestamp":1714564800,"src_ip":"10.0.0.1","dst_ip":"10.0.0.2","action":"allow"}';
    writeFileSync(path, `${line}\r\n${line}\r\n${line}`);
    const batches = await collect(readFlowFile(path));
    assert.equal(batches[0]?.flows.length, 3);
    assert.equal(batches[0]?.deadLetters.length, 0);
  });

  it('uses an explicit format without sniffing', async () => {
    const batches = await collect(readFlowFile(fixture('unsw_nb15_1_first200.csv'), { format: 'unsw-nb15' }));
    assert.equal(
      batches.reduce((n, b) => n + b.flows.length, 0),
      200,
    );
  });

  it('reports lines the explicit format cannot read as dead letters', async () => {
    const batches = await collect(readFlowFile(fixture('gcp_vpc_flow.sample'), { format: 'aws-vpc' }));
    assert.equal(
      batches.reduce((n, b) => n + b.deadLetters.length, 0),
      4,
    );
  });

  it('names the formats it tried when nothing matches', async () => {
    await assert.rejects(
      openFlowFile(fixture('suricata_eve_flow.sample')),
      (err: unknown) =>
        isCode('unknown-format')(err) && /tried foresight-ndjson \(0\.00\)/.test((err as Error).message),
    );
  });

  it('fails clearly on an unknown format name, an empty file and a missing file', async () => {
    await assert.rejects(
      openFlowFile(fixture('gcp_vpc_flow.sample'), { format: 'pcap' }),
      isCode('unknown-format'),
    );
    const empty = join(dir, 'empty.log.txt');
    writeFileSync(empty, '');
    await assert.rejects(
      openFlowFile(empty),
      (err: unknown) => isCode('unknown-format')(err) && /empty/.test(String(err)),
    );
    await assert.rejects(openFlowFile(join(dir, 'nope.csv')), isCode('flow-file-unreadable'));
  });

  it('can be iterated once, and stopping early is fine', async () => {
    const file = await openFlowFile(fixture('ctu13_capture20110816_first200.binetflow.csv'), {
      batchLines: 10,
    });
    for await (const b of file.batches()) {
      assert.equal(b.lines, 10);
      break;
    }
    await assert.rejects(collect(file.batches()), isCode('flow-file-consumed'));
  });

  it('fails with flow-file-unreadable on a corrupt gzip file', async () => {
    const path = join(dir, 'corrupt.gz');
    const gz = gzipSync(readFileSync(fixture('ctu13_capture20110816_first200.binetflow.csv')));
    writeFileSync(path, gz.subarray(0, gz.length - 200));
    await assert.rejects(async () => {
      const file = await openFlowFile(path, { format: 'argus-csv' });
      await collect(file.batches());
    }, isCode('flow-file-unreadable'));
  });
});
