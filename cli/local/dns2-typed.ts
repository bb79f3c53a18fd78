/**
 * The one place that touches dns2 (3.0.0). Its types are loose (one bag type for every record,
 * handlers typed as `any` events), so this module turns its packets into small discriminated
 * unions on the way in and out, and the rest of the code never sees a dns2 type.
 */
import type { Socket } from 'node:net';
import { Packet, TCPServer, UDPServer, type Resource } from 'dns2';

export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export type QTypeName = keyof typeof QTYPE;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASS_IN = 1;

export const qtypeName = (code: number): QTypeName | undefined =>
  (Object.keys(QTYPE) as QTypeName[]).find((k) => QTYPE[k] === code);

interface WireBase { readonly name: string; readonly ttl: number }
/** The record shapes the embedded server answers with. */
export type WireRecord =
  | (WireBase & { readonly type: 'A' | 'AAAA'; readonly address: string })
  | (WireBase & { readonly type: 'CNAME'; readonly target: string })
  | (WireBase & { readonly type: 'NS'; readonly host: string })
  | (WireBase & { readonly type: 'TXT'; readonly strings: readonly string[] })
  | (WireBase & {
    readonly type: 'SOA'; readonly mname: string; readonly rname: string; readonly serial: number;
    readonly refresh: number; readonly retry: number; readonly expire: number; readonly minimum: number;
  });

/** A parsed query: what the server needs to answer it. */
export interface WireQuery {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  /** null when the message carries no question (answered FORMERR). */
  readonly question: { readonly name: string; readonly type: number; readonly class: number } | null;
  /** The requester's EDNS UDP payload size, when it sent an OPT record. */
  readonly ednsUdpSize: number | null;
}

export interface WireReply {
  readonly rcode: number;
  readonly aa: boolean;
  readonly answers: readonly WireRecord[];
  readonly authorities: readonly WireRecord[];
}

/** A decoded response, for tests and tools. */
export interface WireResponse {
  readonly id: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rcode: number;
  readonly answers: readonly WireRecord[];
  readonly authorities: readonly WireRecord[];
}

function toResource(r: WireRecord): Resource {
  const base = { name: r.name, ttl: r.ttl, class: CLASS_IN, type: QTYPE[r.type] };
  switch (r.type) {
    case 'A': case 'AAAA': return new Packet.Resource({ ...base, address: r.address });
    case 'CNAME': return new Packet.Resource({ ...base, domain: r.target });
    case 'NS': return new Packet.Resource({ ...base, ns: r.host });
    case 'TXT': return new Packet.Resource({ ...base, data: [...r.strings] });
    case 'SOA': return new Packet.Resource({
      ...base, primary: r.mname, admin: r.rname, serial: r.serial, refresh: r.refresh, retry: r.retry,
      expiration: r.expire, minimum: r.minimum,
    });
  }
}

function fromResource(r: Resource): WireRecord | null {
  const base = { name: r.name, ttl: r.ttl };
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  switch (qtypeName(r.type)) {
    case 'A': return { ...base, type: 'A', address: str(r.address) };
    case 'AAAA': return { ...base, type: 'AAAA', address: str(r.address) };
    case 'CNAME': return { ...base, type: 'CNAME', target: str(r.domain) };
    case 'NS': return { ...base, type: 'NS', host: str(r.ns) };
    case 'TXT': return { ...base, type: 'TXT', strings: Array.isArray(r.data) ? r.data.map(String) : [str(r.data)] };
    case 'SOA': return {
      ...base, type: 'SOA', mname: str(r.primary), rname: str(r.admin), serial: num(r.serial), refresh: num(r.refresh),
      retry: num(r.retry), expire: num(r.expiration), minimum: num(r.minimum),
    };
    default: return null;
  }
}

export function decodeQuery(packet: Packet): WireQuery {
  const q = packet.questions[0];
  const opt = packet.additionals.find((r) => r?.type === QTYPE.OPT);
  return {
    id: packet.header.id,
    opcode: packet.header.opcode,
    rd: packet.header.rd === 1,
    question: q ? { name: String(q.name ?? ''), type: q.type, class: q.class } : null,
    ednsUdpSize: opt ? Math.max(512, opt.class) : null,
  };
}

/** Builds the response packet; dns2's UDP server then truncates it (TC=1) if it exceeds the limit. */
export function encodeReply(request: Packet, query: WireQuery, reply: WireReply): Packet {
  const response = Packet.createResponseFromRequest(request);
  response.header.aa = reply.aa ? 1 : 0;
  response.header.rcode = reply.rcode;
  response.answers = reply.answers.map(toResource);
  response.authorities = reply.authorities.map(toResource);
  // RFC 6891: answer an EDNS query with an OPT record of our own (we accept 1232-byte UDP).
  response.additionals = query.ednsUdpSize === null
    ? []
    : [{ ...Packet.Resource.EDNS([]), name: '', class: 1232 } as Resource];
  return response;
}

export type Send = (response: Packet) => Promise<unknown>;
export type RequestHandler = (request: Packet, send: Send, transport: 'udp' | 'tcp') => void;

export interface Listening {
  readonly udp: UDPServer;
  readonly tcp: TCPServer;
  readonly port: number;
}

/**
 * Binds UDP first (so port 0 picks a free number), then TCP on the same number. If TCP finds the
 * number taken (only possible with port 0), both are closed and another number is tried.
 */
export async function listenUdpAndTcp(port: number, host: string, handler: RequestHandler, sockets: Set<Socket>): Promise<Listening> {
  const attempts = port === 0 ? 10 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const udp = new UDPServer({ type: host.includes(':') ? 'udp6' : 'udp4' });
    udp.on('request', (req: Packet, send: (r: Packet) => Promise<Buffer>) => handler(req, send, 'udp'));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => { udp.off('error', reject); resolve(); });
    });
    const bound = udp.address().port;
    const tcp = new TCPServer();
    tcp.on('request', (req: Packet, send: (r: Packet) => void) => handler(req, async (r) => send(r), 'tcp'));
    tcp.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(bound, host, () => { tcp.off('error', reject); resolve(); });
      });
      return { udp, tcp, port: bound };
    } catch (err) {
      lastError = err;
      udp.close();
    }
  }
  throw lastError;
}

/** A query message, for clients and tests (raw TCP/UDP queries). */
export function encodeQuery(name: string, type: QTypeName, options: { id?: number; ednsUdpSize?: number } = {}): Buffer {
  const packet = new Packet();
  packet.header.id = options.id ?? Packet.uuid();
  packet.questions.push(new Packet.Question(name, QTYPE[type], CLASS_IN));
  if (options.ednsUdpSize) packet.additionals.push({ ...Packet.Resource.EDNS([]), name: '', class: options.ednsUdpSize } as Resource);
  return packet.toBuffer();
}

export function decodeResponse(buffer: Buffer): WireResponse {
  const packet = Packet.parse(buffer);
  const records = (list: Resource[]) => list.map(fromResource).filter((r): r is WireRecord => r !== null);
  return {
    id: packet.header.id,
    aa: packet.header.aa === 1,
    tc: packet.header.tc === 1,
    rcode: packet.header.rcode,
    answers: records(packet.answers),
    authorities: records(packet.authorities),
  };
}

export function parseMessage(buffer: Buffer): Packet {
  return Packet.parse(buffer);
}

export type { Packet };
