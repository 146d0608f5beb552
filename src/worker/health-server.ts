// The worker's health endpoint for a process manager: GET /healthz answers 200 when every tenant the process should
// serve has a running Worker, else 503, with the per-tenant state as JSON (tenant ids, states, error names; no data).
// GET /metrics answers the worker's metrics in Prometheus' text format, when given a handler for them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SupervisorHealth } from './tenant-supervisor';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  port: number;
  host: string;
  health: () => SupervisorHealth;
  metrics?: (request: IncomingMessage, response: ServerResponse) => void;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/metrics' && options.metrics) {
      options.metrics(request, response);
      return;
    }
    if (request.method !== 'GET' || (path !== '/healthz' && path !== '/health')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found: GET /healthz or /metrics' }));
      return;
    }
    const health = options.health();
    response.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(health));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  // Health checks must never keep a stopping process alive.
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
