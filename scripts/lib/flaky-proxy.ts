/**
 * An HTTP proxy in front of the model server whose behaviour a test or benchmark switches: it
 * forwards, answers every request with 500 (a model server that crashes on each call), or stops
 * listening (a model server that is gone: connections refused). tests/integration/model-outage and
 * bench/faults use it to take the model away mid-negotiation without touching the real server.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode = 'forward' | 'error500';

export class FlakyProxy {
  mode: ProxyMode = 'forward';
  forwarded = 0;
  failed = 0;
  port = 0;
  readonly #target: URL;
  #server: http.Server | null = null;
  readonly #sockets = new Set<Socket>();

  constructor(target: string) {
    this.#target = new URL(target);
  }

  async listen(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      if (this.mode === 'error500') {
        this.failed += 1;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"model crashed"}}');
        return;
      }
      this.forwarded += 1;
      const upstream = http.request(
        {
          host: this.#target.hostname,
          port: this.#target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: connections are refused (ECONNREFUSED), as when the model server died. */
  /** The base URL to give a client in place of the target's (same path, e.g. /v1). */
  url(): string {
    return `http://127.0.0.1:${this.port}${this.#target.pathname}`;
  }

  get listening(): boolean {
    return this.#server !== null;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
}
