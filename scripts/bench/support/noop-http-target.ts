// A loopback HTTP server that answers every request at once with a small JSON body: the benchmark's tools cost
// next to nothing, so what is measured is the workflow and activity machinery.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NoopTarget {
  url: string;
  requests(): number;
  close(): Promise<void>;
}

export async function startNoopTarget(): Promise<NoopTarget> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Kept-alive connections from the activities' fetch would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
