/** A raw HTTP/1.1 server on loopback for the lean client's tests: each reply written by hand on the socket. */
import net from 'node:net';

export interface Scripted {
  url: string;
  connections: () => number;
  requests: string[];
  close: () => Promise<void>;
}

/** A server that answers each request head with whatever `reply` writes on the raw socket. */
export async function scripted(reply: (socket: net.Socket, head: string, n: number) => void): Promise<Scripted> {
  let conns = 0;
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    conns++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        requests.push(head);
        reply(socket, head, requests.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => conns,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
