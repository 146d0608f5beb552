// A deliberately misbehaving token endpoint, to prove the client checks what a server answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RogueServer {
  url: string;
  /** The form bodies and authorization headers received, in order. */
  requests: Array<{ form: URLSearchParams; authorization: string | undefined }>;
  stop(): Promise<void>;
}

export type RogueHandler = (form: URLSearchParams, res: ServerResponse, req: IncomingMessage) => void;

export async function startRogueServer(handle: RogueHandler): Promise<RogueServer> {
  const requests: RogueServer['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      requests.push({ form, authorization: req.headers.authorization });
      handle(form, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
