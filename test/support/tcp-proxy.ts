// A TCP proxy in front of a real dependency (Postgres, Temporal) that a test can cut (connections refused and
// dropped, as when the dependency is down) or freeze (connections open but silent, as in a network partition). A cut
// can also wait for a given request to be sent, so an outage meets exactly that request.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Cuts the moment a client sends bytes holding `marker` (which never reach the dependency); resolves then. */
  cutWhenSent(marker: string): Promise<void>;
  /** Keeps connections open but passes nothing either way, and accepts new ones that never answer. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let frozen = false;
  let port = 0;
  let trigger: { marker: Buffer; fire(): void } | undefined;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const listen = async (): Promise<Server> => {
    const server = createServer((client) => {
      track(client);
      if (frozen) return client.pause();
      const upstream = connect({ host: target.host ?? '127.0.0.1', port: target.port });
      track(upstream);
      client.on('data', (chunk: Buffer) => {
        if (trigger && chunk.includes(trigger.marker)) {
          const fired = trigger;
          trigger = undefined;
          void stop().then(() => fired.fire());
          return;
        }
        if (!frozen) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => frozen || client.write(chunk));
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    return server;
  };
  let server: Server | undefined = await listen();
  const stop = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    get port() {
      return port;
    },
    cut: stop,
    cutWhenSent(marker) {
      return new Promise<void>((fire) => {
        trigger = { marker: Buffer.from(marker), fire };
      });
    },
    async restore() {
      frozen = false;
      server ??= await listen();
    },
    freeze() {
      frozen = true;
    },
    close: stop,
  };
}
