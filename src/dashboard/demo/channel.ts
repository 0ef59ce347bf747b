/**
 * Calls and events between the dashboard (main thread) and the demo worker over a worker_threads
 * port. `call(method, args)` resolves with what the other side's handler returned; a failure
 * comes back with its class, `code` and message, so a ForesightError still maps to its HTTP
 * status and a PostgreSQL error still reads as, say, a unique violation (SQLSTATE in `code`).
 * `emit`/`on` carry one-way events (status, changed incidents). Messages keep their order.
 */
import { ForesightError, errorMessage } from '../../errors.js';

/** What both a Worker and the worker's parentPort offer. */
export interface Port {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Message =
  | { kind: 'call'; id: number; method: string; args: unknown }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError }
  | { kind: 'event'; name: string; data: unknown };

interface SerializedError {
  message: string;
  foresight: boolean;
  code?: string;
  detail?: string;
}

function serialize(err: unknown): SerializedError {
  const e = err as { code?: unknown; detail?: unknown };
  return {
    message: errorMessage(err),
    foresight: err instanceof ForesightError,
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.detail === 'string' ? { detail: e.detail } : {}),
  };
}

function revive(e: SerializedError): Error {
  if (e.foresight && e.code) return new ForesightError(e.code, e.message);
  return Object.assign(new Error(e.message), {
    ...(e.code ? { code: e.code } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
  });
}

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, (args: never) => unknown>();
  private readonly listeners = new Map<string, ((data: never) => void)[]>();
  private broken: Error | undefined;

  constructor(private readonly port: Port) {
    port.on('message', (m) => this.receive(m as Message));
  }

  call<T>(method: string, args?: unknown): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ kind: 'call', id, method, args });
    });
  }

  handle<A, R>(method: string, fn: (args: A) => R | Promise<R>): void {
    this.handlers.set(method, fn);
  }

  emit(name: string, data: unknown): void {
    if (!this.broken) this.send({ kind: 'event', name, data });
  }

  on<D>(name: string, fn: (data: D) => void): void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
  }

  /** The other side is gone: fails every pending call and every later one with `err`. */
  fail(err: Error): void {
    this.broken ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private send(m: Message): void {
    try {
      this.port.postMessage(m);
    } catch (err) {
      // Not cloneable (a function, a class instance with private state): answer with an error.
      if (m.kind === 'call') {
        this.pending.get(m.id)?.reject(new ForesightError('demo-channel', errorMessage(err)));
        this.pending.delete(m.id);
      } else if (m.kind === 'reply' && m.ok) {
        this.port.postMessage({ kind: 'reply', id: m.id, ok: false, error: serialize(err) });
      } else throw err;
    }
  }

  private receive(m: Message): void {
    switch (m.kind) {
      case 'call': {
        const fn = this.handlers.get(m.method);
        const run = fn
          ? Promise.resolve().then(() => fn(m.args as never))
          : Promise.reject(new ForesightError('demo-channel', `no handler for ${m.method}`));
        run.then(
          (value) => this.send({ kind: 'reply', id: m.id, ok: true, value }),
          (err: unknown) => this.send({ kind: 'reply', id: m.id, ok: false, error: serialize(err) }),
        );
        return;
      }
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(revive(m.error));
        return;
      }
      case 'event':
        for (const fn of this.listeners.get(m.name) ?? []) fn(m.data as never);
        return;
    }
  }
}
