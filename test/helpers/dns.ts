import { createSocket, type Socket } from 'node:dgram';

export interface TestDns {
  readonly port: number;
  /** Names asked so far, in order. */
  readonly queries: string[];
  close(): Promise<void>;
}

function questionName(msg: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  return { name: labels.join('.'), end: i + 5 }; // the 0 byte, QTYPE, QCLASS
}

/**
 * A DNS server on loopback UDP that answers every A query with 127.0.0.1
 * (real DNS packets, as c-ares sends and parses them), or, `silent`, reads
 * the queries and never answers.
 */
export function startDns(options: { silent?: boolean } = {}): Promise<TestDns> {
  const socket: Socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, peer) => {
    if (msg.length < 17) return;
    const { name, end } = questionName(msg);
    queries.push(name);
    if (options.silent) return;
    const header = Buffer.from([msg[0]!, msg[1]!, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const question = msg.subarray(12, end);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    socket.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () =>
      resolve({
        port: socket.address().port,
        queries,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      }),
    );
  });
}
