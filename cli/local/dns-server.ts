/**
 * The embedded authoritative DNS server of the local run: UDP and TCP on one port, answering
 * from the zone's record sets as they are at each query, so `dig @127.0.0.1 -p PORT name` shows
 * a flip the moment the zone changes. Answers come from zone-answer.ts; the wire format from
 * dns2 (through dns2-typed.ts), whose UDP server also sets TC and drops the records when a reply
 * exceeds 512 bytes (or the client's EDNS size), so resolvers retry over TCP.
 */
import type { Socket } from 'node:net';
import { MemoryZone } from '#core/dns/memory.ts';
import { ConfigurationError } from '#core/errors.ts';
import { normaliseName } from '#core/model.ts';
import { silentLogger, type Logger } from '#core/ports.ts';
import {
  RCODE, decodeQuery, encodeReply, listenUdpAndTcp, qtypeName, type Packet, type Send, type WireReply,
} from './dns2-typed.ts';
import { answer, isInZone, type ZoneSnapshot } from './zone-answer.ts';

/** Anything the server can read a zone from, once per query. */
export interface ZoneSource {
  readonly apex: string;
  snapshot(): ZoneSnapshot;
}

/** A MemoryZone as a source; its write counter is the SOA serial (+1, so a new zone has serial 1). */
export function memoryZoneSource(zone: MemoryZone, apex = zone.apex): ZoneSource {
  const name = normaliseName(apex);
  return { apex: name, snapshot: () => ({ apex: name, serial: zone.writes + 1, sets: zone.all() }) };
}

export interface DnsServerOptions {
  /** One zone (with `apex`, or the zone's own apex)... */
  readonly zone?: ZoneSource | MemoryZone;
  readonly apex?: string;
  /** ...or several; a query goes to the zone with the longest matching apex. */
  readonly zones?: readonly (ZoneSource | MemoryZone)[];
  /** 0 picks a free port (the same number for UDP and TCP). */
  readonly port: number;
  readonly host?: string;
  /** TTL of SOA and NS, and the negative-caching TTL. Record sets keep their own TTL. */
  readonly ttl?: number;
  readonly logger?: Logger;
}

export interface RunningDnsServer {
  readonly port: number;
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly host: string;
  readonly apexes: readonly string[];
  close(): Promise<void>;
}

export const DEFAULT_DNS_TTL = 5;

function asSource(zone: ZoneSource | MemoryZone, apex?: string): ZoneSource {
  if (zone instanceof MemoryZone) return memoryZoneSource(zone, apex);
  if (!apex || normaliseName(apex) === zone.apex) return zone;
  const name = normaliseName(apex);
  return { apex: name, snapshot: () => ({ ...zone.snapshot(), apex: name }) };
}

export async function startDnsServer(options: DnsServerOptions): Promise<RunningDnsServer> {
  const sources = [
    ...(options.zone ? [asSource(options.zone, options.apex)] : []),
    ...(options.zones ?? []).map((z) => asSource(z)),
  ].sort((a, b) => b.apex.length - a.apex.length);
  if (sources.length === 0) throw new ConfigurationError('startDnsServer: give a zone to serve');
  const host = options.host ?? '127.0.0.1';
  const ttl = options.ttl ?? DEFAULT_DNS_TTL;
  const logger = options.logger ?? silentLogger;

  const reply = (request: Packet): { reply: WireReply; query: ReturnType<typeof decodeQuery> } => {
    const query = decodeQuery(request);
    const bare = (rcode: number): WireReply => ({ rcode, aa: false, answers: [], authorities: [] });
    const q = query.question;
    if (!q) return { query, reply: bare(RCODE.FORMERR) };
    if (query.opcode !== 0) return { query, reply: bare(RCODE.NOTIMP) };
    const name = normaliseName(q.name);
    const source = sources.find((s) => isInZone(name, s.apex));
    // Class IN (1) or ANY (255) only; everything outside our zones is refused, never recursed.
    if (!source || (q.class !== 1 && q.class !== 255)) return { query, reply: bare(RCODE.REFUSED) };
    return { query, reply: answer(source.snapshot(), q.name, q.type, { ttl }) };
  };

  const sockets = new Set<Socket>();
  const handle = (request: Packet, send: Send, transport: 'udp' | 'tcp') => {
    let out: ReturnType<typeof reply>;
    try {
      out = reply(request);
    } catch (err) {
      // A zone that cannot be read (e.g. a corrupt zone file) is a server failure, not NXDOMAIN.
      logger.error('dns: cannot read zone', { error: (err as Error).message });
      const query = decodeQuery(request);
      out = { query, reply: { rcode: RCODE.SERVFAIL, aa: false, answers: [], authorities: [] } };
    }
    const q = out.query.question;
    logger.debug('dns query', { transport, name: q?.name, type: q ? qtypeName(q.type) ?? q.type : null, rcode: out.reply.rcode, answers: out.reply.answers.length });
    const failed = (err: unknown) => logger.warn('dns: cannot send reply', { transport, error: (err as Error).message });
    try {
      send(encodeReply(request, out.query, out.reply)).catch(failed);
    } catch (err) {
      failed(err); // e.g. a record name dns2 cannot encode: drop this reply, keep serving
    }
  };

  const { udp, tcp, port } = await listenUdpAndTcp(options.port, host, handle, sockets);
  // Without 'error' listeners a socket error after startup would crash the whole local run.
  udp.on('error', (err: Error) => logger.error('dns: udp socket error', { error: err.message }));
  tcp.on('error', (err: Error) => logger.error('dns: tcp server error', { error: err.message }));
  udp.on('requestError', (err: Error) => logger.debug('dns: bad udp message', { error: err.message }));
  tcp.on('requestError', (err: Error) => logger.debug('dns: bad tcp message', { error: err.message }));
  const apexes = sources.map((s) => s.apex);
  logger.info('dns server listening', { host, port, zones: apexes });

  let closing: Promise<void> | undefined;
  return {
    port, udpPort: port, tcpPort: port, host, apexes,
    close() {
      closing ??= Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => {
          tcp.close(() => resolve());
          // Idle keep-alive connections would hold close() open for dns2's 10 s idle timeout.
          for (const socket of sockets) socket.destroy();
        }),
      ]).then(() => undefined);
      return closing;
    },
  };
}
