/**
 * Merges time-ordered flow streams into one time-ordered stream, lazily: only the head of each
 * stream is held. Ties go to the stream listed first, so the output order is fully determined.
 */
import type { FlowRecord } from '../flows/flow-record.js';

interface Head {
  flow: FlowRecord;
  stream: number;
}

function before(a: Head, b: Head): boolean {
  return a.flow.ts < b.flow.ts || (a.flow.ts === b.flow.ts && a.stream < b.stream);
}

/** Yields flows with ts < untilMs from every stream in ts order; streams are not drained past it. */
export function* mergeStreams(
  streams: readonly Iterator<FlowRecord>[],
  untilMs: number,
): Generator<FlowRecord> {
  const heap: Head[] = [];
  const pull = (stream: number): void => {
    const r = (streams[stream] as Iterator<FlowRecord>).next();
    if (r.done !== true && r.value.ts < untilMs) push(heap, { flow: r.value, stream });
  };
  for (let i = 0; i < streams.length; i++) pull(i);
  while (heap.length > 0) {
    const top = heap[0] as Head;
    yield top.flow;
    const r = (streams[top.stream] as Iterator<FlowRecord>).next();
    if (r.done !== true && r.value.ts < untilMs) {
      // Replace the root and sift down: one heap operation per flow.
      heap[0] = { flow: r.value, stream: top.stream };
      siftDown(heap, 0);
    } else {
      const last = heap.pop() as Head;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown(heap, 0);
      }
    }
  }
}

function push(heap: Head[], h: Head): void {
  heap.push(h);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as Head, heap[parent] as Head)) break;
    [heap[i], heap[parent]] = [heap[parent] as Head, heap[i] as Head];
    i = parent;
  }
}

function siftDown(heap: Head[], i: number): void {
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let best = i;
    if (l < n && before(heap[l] as Head, heap[best] as Head)) best = l;
    if (r < n && before(heap[r] as Head, heap[best] as Head)) best = r;
    if (best === i) return;
    [heap[i], heap[best]] = [heap[best] as Head, heap[i] as Head];
    i = best;
  }
}
