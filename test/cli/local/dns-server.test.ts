/**
 * The embedded DNS server, queried by real resolvers: Node's c-ares Resolver, dig, and raw
 * UDP/TCP messages for the wire-level checks (AA, TC, SOA in the authority section).
 */
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryZone } from '#core/dns/memory.ts';
import type { RecordSet } from '#core/dns/types.ts';
import { startDnsServer, type RunningDnsServer } from '../../../cli/local/dns-server.ts';
import { decodeResponse, encodeQuery, RCODE, type QTypeName, type WireResponse } from '../../../cli/local/dns2-typed.ts';
import { dig, digFlags, digShort, digStatus, runDigTests } from '../dig.ts';

const set = (name: string, type: RecordSet['type'], values: string[], ttl = 30): RecordSet => ({ name, type, ttl, values });
/** 8 TXT strings of ~100 bytes: about 950 bytes on the wire, over 512 and under 1232. */
const BIG_TXT = Array.from({ length: 8 }, (_, i) => `chunk-${String(i).padStart(2, '0')}-${'x'.repeat(90)}`);
/** Over 1232 bytes: too big even for c-ares's EDNS buffer, so it must fall back to TCP. */
const HUGE_TXT = Array.from({ length: 30 }, (_, i) => `huge-${String(i).padStart(2, '0')}-${'y'.repeat(90)}`);

let zone: MemoryZone;
let server: RunningDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  zone = new MemoryZone('example.com');
  zone.write([
    set('app.example.com', 'A', ['203.0.113.10', '203.0.113.11']),
    set('app.example.com', 'AAAA', ['2001:db8::10']),
    set('www.example.com', 'CNAME', ['app.example.com']),
    set('cdn.example.com', 'CNAME', ['edge.example.net']),
    set('_lifeboat.app.example.com', 'TXT', ['lifeboat=1 active=primary epoch=1 at=1000']),
    set('big.example.com', 'TXT', BIG_TXT),
    set('huge.example.com', 'TXT', HUGE_TXT),
    set('deep.sub.example.com', 'A', ['192.0.2.1']),
  ]);
  server = await startDnsServer({ zone, apex: 'example.com', port: 0, host: '127.0.0.1', ttl: 7 });
  resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
});

afterAll(async () => {
  await server?.close();
});

function udpQuery(port: number, name: string, type: QTypeName, ednsUdpSize?: number): Promise<WireResponse> {
  const socket = createSocket('udp4');
  return new Promise<WireResponse>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('udp query timed out')), 3_000);
    socket.once('message', (msg) => { clearTimeout(timer); resolve(decodeResponse(msg)); });
    socket.send(encodeQuery(name, type, ednsUdpSize ? { ednsUdpSize } : {}), port, '127.0.0.1');
  }).finally(() => socket.close());
}

function tcpQuery(port: number, name: string, type: QTypeName): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('tcp query timed out')); }, 3_000);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.end();
        resolve(decodeResponse(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      }
    });
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    const query = encodeQuery(name, type);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(query.length);
    socket.write(Buffer.concat([len, query]));
  });
}

describe('embedded DNS server, through Node\'s resolver', () => {
  it('answers A, AAAA, CNAME and TXT with the record set\'s TTL', async () => {
    expect((await resolver.resolve4('app.example.com', { ttl: true })).sort((a, b) => a.address.localeCompare(b.address)))
      .toEqual([{ address: '203.0.113.10', ttl: 30 }, { address: '203.0.113.11', ttl: 30 }]);
    expect(await resolver.resolve6('app.example.com')).toEqual(['2001:db8::10']);
    expect(await resolver.resolveCname('www.example.com')).toEqual(['app.example.com']);
    expect(await resolver.resolveTxt('_lifeboat.app.example.com')).toEqual([['lifeboat=1 active=primary epoch=1 at=1000']]);
  });

  it('follows a CNAME inside the zone for an A query', async () => {
    expect((await resolver.resolve4('www.example.com')).sort()).toEqual(['203.0.113.10', '203.0.113.11']);
  });

  it('answers SOA and NS at the apex', async () => {
    const soa = await resolver.resolveSoa('example.com');
    expect(soa).toMatchObject({ nsname: 'ns1.example.com', hostmaster: 'hostmaster.example.com', minttl: 7 });
    expect(await resolver.resolveNs('example.com')).toEqual(['ns1.example.com']);
  });

  it('says NXDOMAIN (ENOTFOUND) for an unknown name in the zone, NODATA for a known name and other type', async () => {
    await expect(resolver.resolve4('nope.example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolveTxt('app.example.com')).rejects.toMatchObject({ code: 'ENODATA' });
    // An empty non-terminal (a name with names below it) exists: NODATA, not NXDOMAIN.
    await expect(resolver.resolve4('sub.example.com')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('refuses names outside its zone (EREFUSED)', async () => {
    await expect(resolver.resolve4('example.org')).rejects.toMatchObject({ code: 'EREFUSED' });
    await expect(resolver.resolve4('notexample.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('answers from the zone as it is at each query, and bumps the SOA serial on every write', async () => {
    const before = (await resolver.resolveSoa('example.com')).serial;
    zone.write([set('app.example.com', 'A', ['198.51.100.20'])]);
    expect(await resolver.resolve4('app.example.com')).toEqual(['198.51.100.20']);
    expect((await resolver.resolveSoa('example.com')).serial).toBe(before + 1);
    zone.write([set('app.example.com', 'A', ['203.0.113.10', '203.0.113.11'])]);
    expect((await resolver.resolveSoa('example.com')).serial).toBe(before + 2);
  });

  it('serves a TXT set too big for EDNS UDP by TC and a retry over TCP', async () => {
    const txt = await resolver.resolveTxt('huge.example.com');
    expect(txt.map((strings) => strings.join('')).sort()).toEqual([...HUGE_TXT].sort());
  });
});

describe('embedded DNS server, on the wire', () => {
  it('sets AA, puts the SOA in the authority section of NXDOMAIN and NODATA, and clears AA on REFUSED', async () => {
    const nx = await udpQuery(server.port, 'nope.example.com', 'A');
    expect(nx).toMatchObject({ aa: true, rcode: RCODE.NXDOMAIN, answers: [] });
    expect(nx.authorities).toMatchObject([{ type: 'SOA', name: 'example.com', mname: 'ns1.example.com', minimum: 7 }]);
    const nodata = await udpQuery(server.port, 'app.example.com', 'TXT');
    expect(nodata).toMatchObject({ aa: true, rcode: RCODE.NOERROR, answers: [] });
    expect(nodata.authorities[0]?.type).toBe('SOA');
    expect(await udpQuery(server.port, 'example.org', 'A')).toMatchObject({ aa: false, rcode: RCODE.REFUSED });
  });

  it('answers a CNAME pointing out of the zone with just the CNAME', async () => {
    const r = await udpQuery(server.port, 'cdn.example.com', 'A');
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.answers).toEqual([{ type: 'CNAME', name: 'cdn.example.com', ttl: 30, target: 'edge.example.net' }]);
  });

  it('truncates a reply over 512 bytes on plain UDP (TC, no answers) and sends it whole over TCP', async () => {
    const udp = await udpQuery(server.port, 'big.example.com', 'TXT');
    expect(udp).toMatchObject({ tc: true, answers: [] });
    const tcp = await tcpQuery(server.port, 'big.example.com', 'TXT');
    expect(tcp.tc).toBe(false);
    expect(tcp.answers).toHaveLength(BIG_TXT.length);
    // With EDNS the client's buffer size applies: 8 x ~110 bytes fit in 1232.
    const edns = await udpQuery(server.port, 'big.example.com', 'TXT', 1232);
    expect(edns).toMatchObject({ tc: false });
    expect(edns.answers).toHaveLength(BIG_TXT.length);
  });

  it('listens on the same port number for UDP and TCP', () => {
    expect(server.udpPort).toBe(server.port);
    expect(server.tcpPort).toBe(server.port);
  });
});

describe.runIf(runDigTests)('embedded DNS server, through dig', () => {
  it('answers A, AAAA, CNAME, TXT, SOA and NS authoritatively', async () => {
    const out = await dig(server.port, ['app.example.com', 'A']);
    expect(digStatus(out)).toBe('NOERROR');
    expect(digFlags(out)).toContain('aa');
    expect((await digShort(server.port, ['app.example.com', 'A'])).sort()).toEqual(['203.0.113.10', '203.0.113.11']);
    expect(await digShort(server.port, ['app.example.com', 'AAAA'])).toEqual(['2001:db8::10']);
    expect(await digShort(server.port, ['www.example.com', 'CNAME'])).toEqual(['app.example.com.']);
    expect(await digShort(server.port, ['_lifeboat.app.example.com', 'TXT'])).toEqual(['"lifeboat=1 active=primary epoch=1 at=1000"']);
    expect((await digShort(server.port, ['example.com', 'SOA']))[0]).toMatch(/^ns1\.example\.com\. hostmaster\.example\.com\. \d+ 3600 600 86400 7$/);
    expect(await digShort(server.port, ['example.com', 'NS'])).toEqual(['ns1.example.com.']);
  });

  it('says NXDOMAIN inside the zone and REFUSED outside it', async () => {
    const nx = await dig(server.port, ['nope.example.com', 'A']);
    expect(digStatus(nx)).toBe('NXDOMAIN');
    expect(nx).toMatch(/AUTHORITY SECTION:\nexample\.com\.\s+7\s+IN\s+SOA/);
    expect(digStatus(await dig(server.port, ['www.example.org', 'A']))).toBe('REFUSED');
  });

  it('sees a zone change on the next query', async () => {
    zone.write([set('app.example.com', 'A', ['198.51.100.99'])]);
    try {
      expect(await digShort(server.port, ['app.example.com', 'A'])).toEqual(['198.51.100.99']);
    } finally {
      zone.write([set('app.example.com', 'A', ['203.0.113.10', '203.0.113.11'])]);
    }
  });

  it('answers over TCP, and a truncated UDP answer makes dig retry over TCP', async () => {
    expect((await digShort(server.port, ['+tcp', 'app.example.com', 'A'])).sort()).toEqual(['203.0.113.10', '203.0.113.11']);
    const noRetry = await dig(server.port, ['+noedns', '+ignore', 'big.example.com', 'TXT']);
    expect(digFlags(noRetry)).toContain('tc');
    const retried = await dig(server.port, ['+noedns', 'big.example.com', 'TXT']);
    expect(retried).toContain('Truncated, retrying in TCP mode');
    expect(retried).toContain(`ANSWER: ${BIG_TXT.length},`);
  });
});
