/** The delivery-sequence bookkeeping behind reading lost messages back (the integration test drives it on NATS). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryGaps } from '../../../src/detector/ingest/lost-deliveries.js';

const delivery = (deliverySequence: number, redelivered = false) =>
  ({ info: { deliverySequence }, redelivered }) as Parameters<DeliveryGaps['observe']>[0];

describe('DeliveryGaps', () => {
  it('reports lost deliveries at the next first delivery, once', () => {
    const gaps = new DeliveryGaps(10);
    assert.equal(gaps.observe(delivery(1)), 0);
    assert.equal(gaps.observe(delivery(4)), 2);
    assert.equal(gaps.observe(delivery(5)), 0);
  });

  it('waits past redeliveries, which cannot bound where new messages were lost', () => {
    const gaps = new DeliveryGaps(10);
    assert.equal(gaps.observe(delivery(3, true)), 0);
    assert.equal(gaps.observe(delivery(4)), 2);
  });

  it('remembers read-back sequences once each, the oldest dropped past its bound', () => {
    const gaps = new DeliveryGaps(2);
    gaps.remember(7);
    gaps.remember(8);
    gaps.remember(9);
    assert.equal(gaps.forget(7), false);
    assert.equal(gaps.forget(8), true);
    assert.equal(gaps.forget(8), false);
    assert.equal(gaps.forget(9), true);
  });
});
