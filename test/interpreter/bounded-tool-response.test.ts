// Tool HTTP responses are read with a size limit: an endless or oversized answer fails the step with LIMIT_EXCEEDED,
// which on_error can route, instead of being buffered whole by the worker.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StewardClient } from '../../src/client';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, startTenantWorker, type RunningWorker } from '../support/stack';

let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;
let server: Server;
let url: string;

beforeAll(async () => {
  // /endless streams without a length and never ends; /huge declares 5 MB.
  server = createServer((req, res) => {
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(5_000_000) });
      res.end('x'.repeat(5_000_000));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = 'y'.repeat(64 * 1024);
    const timer = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tenant = await createTestTenant('toolcap');
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
});
afterAll(async () => {
  await client?.close();
  await worker?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const CALL = (path: string) => `
id: tool-cap-${path}
version: 1
input: { type: object, properties: { target: { type: string } } }
start: call
nodes:
  call: { type: tool, tool: http, request: { method: GET, url: "{{ input.target }}/${path}" }, timeout: 60s, on_error: recover, next: done }
  done: { type: end, output: "'unexpected'" }
  recover: { type: end, output: nodes.call.error }
`;

test.each(['endless', 'huge'])('an %s response fails the step with LIMIT_EXCEEDED naming the limit, at once', async (path) => {
  const { definition } = await client.register(CALL(path));
  const started = Date.now();
  const output = await (await client.start({ workflow: definition.id, version: definition.version, input: { target: url } })).result();
  expect(output).toEqual({ type: 'LIMIT_EXCEEDED', message: expect.stringMatching(/^nodes\.call: GET 127\.0\.0\.1:\d+: the response is larger than the limit of 2000000 bytes$/) });
  expect(Date.now() - started).toBeLessThan(20_000);
});
