/**
 * A small real HTTP server that records what it is sent (method, path, headers, JSON body) and
 * answers with scripted status codes (then 200): the stand-in for Alertmanager and webhooks.
 */
import http from 'node:http';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface HttpSink {
  url: string;
  received: Received[];
  /** Status codes for the next requests, in order; 200 after they run out. */
  script: number[];
  close(): Promise<void>;
}

export async function startHttpSink(): Promise<HttpSink> {
  const sink: Omit<HttpSink, 'url' | 'close'> = { received: [], script: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Keep the text.
      }
      sink.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const status = sink.script.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? '{}' : '{"error":"scripted failure"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(sink, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
