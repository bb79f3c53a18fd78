/**
 * The RFC 2136 provider against real servers from Debian packages (BIND 9 and Knot DNS), started
 * on loopback high ports with a generated zone and TSIG key (test/fixtures/bind.ts, knot.ts),
 * judged by dig and the zone's SOA serial; plus the wire codec and TSIG on their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLASS, OPCODE, TYPE, decodeAAAA, decodeMessage, encodeAAAA, encodeMessage, encodeName, encodeTxt, decodeTxt, readName,
} from '#core/dns/dns-wire.ts';
import { DnsTransportError, type DnsTransport } from '#core/dns/dns-transport.ts';
import { Rfc2136Error, Rfc2136Provider, createRfc2136Provider } from '#core/dns/rfc2136.ts';
import { rfc2136RecordSchema } from '#core/config/rfc2136-schema.ts';
import { encodeStateRecord, stateRecordName } from '#core/dns/state-record.ts';
import { decodeTsigSecret, importTsigKey, signMessage, verifyResponse } from '#core/dns/tsig.ts';
import { DnsError, DnsRetryExhaustedError, type RecordSet, type StateRecord } from '#core/dns/types.ts';
import { nodeDnsTransport } from '../../functions/runtime/node-dns-transport.ts';
import { bindAvailable, startBind } from '../fixtures/bind.ts';
import { READER_KEY_NAME, freePort, newSecret, type DnsServerFixture } from '../fixtures/dns-server.ts';
import { knotAvailable, startKnot } from '../fixtures/knot.ts';
import { planFor, providerContract, SERVICE, serviceDns } from './provider-contract.ts';

const dns = serviceDns();
const TXT_NAME = stateRecordName(SERVICE);

describe('DNS wire codec', () => {
  it('writes IPv6 addresses in full and reads them back in RFC 5952 form', () => {
    for (const [text, canonical] of [['2001:db8::20', '2001:db8::20'], ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::1', '::1'], ['1::', '1::'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8']]) {
      expect(decodeAAAA(encodeAAAA(text!))).toBe(canonical);
    }
    expect(() => encodeAAAA('1::2::3')).toThrow(/not an IPv6 address/);
    expect(() => encodeAAAA('1:2:3')).toThrow(/not an IPv6 address/);
  });

  it('splits TXT strings at 255 bytes and reads compressed names, refusing pointer loops', () => {
    const long = 'x'.repeat(300);
    expect(decodeTxt(encodeTxt([long])).join('')).toBe(long);
    // "a.example.com" then a pointer to "example.com" at offset 2.
    const bytes = Uint8Array.from([...encodeName('a.example.com'), 0xc0, 2]);
    expect(readName(bytes, 15)[0]).toBe('example.com');
    expect(() => readName(Uint8Array.from([0xc0, 0]), 0)).toThrow(/loop/);
    expect(() => encodeName(`${'a'.repeat(64)}.com`)).toThrow(/1 to 63 bytes/);
  });

  it('round-trips an UPDATE with prerequisites of class NONE and IN and deletions of class ANY', () => {
    const message = encodeMessage({
      id: 7, response: false, opcode: OPCODE.UPDATE, rcode: 0,
      questions: [{ name: 'example.com', type: TYPE.SOA, class: CLASS.IN }],
      answers: [{ name: TXT_NAME, type: TYPE.TXT, class: CLASS.NONE, ttl: 0, rdata: new Uint8Array(0) }],
      authorities: [{ name: SERVICE, type: TYPE.A, class: CLASS.ANY, ttl: 0, rdata: new Uint8Array(0) }],
      additionals: [],
    });
    const back = decodeMessage(message);
    expect(back).toMatchObject({ id: 7, opcode: OPCODE.UPDATE, response: false });
    expect(back.answers[0]).toMatchObject({ name: TXT_NAME, class: CLASS.NONE, type: TYPE.TXT });
    expect(back.authorities[0]).toMatchObject({ name: SERVICE, class: CLASS.ANY, type: TYPE.A });
  });
});

describe('TSIG', () => {
  it('verifies a response signed with the same key over the request MAC, in time, and nothing else', async () => {
    const key = await importTsigKey('k', decodeTsigSecret('k', newSecret()));
    const other = await importTsigKey('k', decodeTsigSecret('k', newSecret()));
    const query = encodeMessage({ id: 9, response: false, opcode: 0, rcode: 0, questions: [{ name: 'a.example.com', type: 1, class: 1 }], answers: [], authorities: [], additionals: [] });
    const request = await signMessage(query, key, 1_000);
    const body = encodeMessage({ ...decodeMessage(query), response: true });
    const verify = async (bytes: Uint8Array, k = key, now = 1_000) => verifyResponse(bytes, decodeMessage(bytes), k, request.mac, now);

    const good = (await signMessage(body, key, 1_000, request.mac)).bytes;
    expect(await verify(good)).toEqual({ ok: true });
    expect(await verify(good, other)).toMatchObject({ ok: false, reason: 'invalid', detail: 'the MAC does not verify' });
    expect(await verify(good, key, 1_000 + 301)).toMatchObject({ ok: false, reason: 'invalid', detail: expect.stringMatching(/more than 300s from now/) });
    // Bound to the request: the same response signed over another request's MAC does not hold.
    const otherRequest = await signMessage(query, other, 1_000);
    expect(await verify((await signMessage(body, key, 1_000, otherRequest.mac)).bytes)).toMatchObject({ ok: false, reason: 'invalid' });
    const tampered = good.slice();
    tampered[3] = tampered[3]! ^ 0x01; // a header flag bit
    expect(await verify(tampered)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await verify(body)).toEqual({ ok: false, reason: 'unsigned' });
  });

  it('refuses a secret that is not base64 or too short, naming the key and never the secret', () => {
    expect(() => decodeTsigSecret('lifeboat-key', 'not base64!')).toThrow(/TSIG key lifeboat-key: the secret is not base64/);
    expect(() => decodeTsigSecret('lifeboat-key', btoa('short'))).toThrow(/TSIG key lifeboat-key: the secret is 5 bytes/);
    try {
      decodeTsigSecret('lifeboat-key', 'c2VjcmV0');
    } catch (err) {
      expect((err as Error).message).not.toContain('c2VjcmV0');
    }
  });
});

describe('rfc2136 config entry', () => {
  it('fills the defaults and names the field at fault', () => {
    const entry = rfc2136RecordSchema.parse({ provider: 'rfc2136', server: '192.0.2.53', zone: 'example.com', keyName: 'lifeboat-key', secretFrom: 'LIFEBOAT_TSIG_SECRET' });
    expect(entry).toEqual({ provider: 'rfc2136', server: '192.0.2.53', port: 53, zone: 'example.com', keyName: 'lifeboat-key', algorithm: 'hmac-sha256', secretFrom: 'LIFEBOAT_TSIG_SECRET', ttl: 60, tcp: true });
    const bad = rfc2136RecordSchema.safeParse({ provider: 'rfc2136', server: '192.0.2.53', zone: 'example.com', keyName: 'k', secretFrom: 'lower', algorithm: 'hmac-md5' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['algorithm', 'secretFrom']);
  });

  it('builds the provider from an entry, and a missing secret names the secret and key, not a value', () => {
    const entry = rfc2136RecordSchema.parse({ provider: 'rfc2136', server: '192.0.2.53', zone: 'Example.COM.', keyName: 'lifeboat-key', secretFrom: 'LIFEBOAT_TSIG_SECRET' });
    const built = createRfc2136Provider(entry, { secret: newSecret(), transport: nodeDnsTransport });
    expect(built).toMatchObject({ name: 'rfc2136', zone: 'example.com' });
    expect(() => createRfc2136Provider(entry, { secret: undefined, transport: nodeDnsTransport }))
      .toThrow(/RFC 2136 zone example.com is configured but the secret LIFEBOAT_TSIG_SECRET \(the base64 secret of TSIG key lifeboat-key\) was not given/);
    expect(() => createRfc2136Provider(entry, { secret: newSecret(), transport: undefined })).toThrow(/gave no DNS transport/);
  });
});

/** nsupdate lines that put record sets and a state record into the zone. */
function seedLines(sets: readonly RecordSet[], state?: StateRecord): string[] {
  return [
    ...sets.flatMap((s) => [`update delete ${s.name}. ${s.type}`, ...s.values.map((v) => `update add ${s.name}. ${s.ttl} ${s.type} ${v}`)]),
    ...(state ? [`update delete ${TXT_NAME}. TXT`, `update add ${TXT_NAME}. 60 TXT "${encodeStateRecord(state)}"`] : []),
  ];
}

const virtualSleep = { slept: [] as number[], sleep: async (ms: number) => { virtualSleep.slept.push(ms); } };

for (const server of [
  { kind: 'BIND', available: bindAvailable, start: startBind },
  { kind: 'Knot', available: knotAvailable, start: startKnot },
] as const) {
  const available = server.available();
  describe.skipIf(!available)(`rfc2136 on ${server.kind}`, () => {
    let fx: DnsServerFixture;
    beforeAll(async () => { fx = await server.start(); });
    afterAll(async () => { await fx?.stop(); });

    const provider = (overrides: Partial<ConstructorParameters<typeof Rfc2136Provider>[0]> = {}) => new Rfc2136Provider({
      server: { host: fx.host, port: fx.port, tcp: true }, zone: fx.zone,
      key: { name: fx.keyName, secret: fx.secret }, transport: nodeDnsTransport, ...overrides,
    });
    /** Empties the service's names so every case starts from a fresh zone. */
    const reset = () => fx.nsupdate([`update delete ${SERVICE}.`, `update delete ${TXT_NAME}.`]);
    const values = (name: string, type: string) => {
      const out = fx.digShort(name, type).sort();
      return out.length > 0 ? out : undefined;
    };

    providerContract(`rfc2136 on ${server.kind}`, async () => {
      reset();
      let baseline = fx.serial();
      return {
        provider: provider(),
        seed(sets, state) {
          fx.nsupdate(seedLines(sets, state));
          baseline = fx.serial();
        },
        // The server increments the SOA serial once per accepted update.
        writes: () => fx.serial() - baseline,
        values,
      };
    });

    it('flips to the secondary and back, dig confirming each answer and the state record', async () => {
      reset();
      fx.nsupdate(seedLines(dns.targets.primary));
      const p = provider();
      expect((await p.apply(await planFor(p, dns, 'secondary', 1_000))).outcome).toBe('applied');
      expect(fx.digShort(SERVICE, 'A').sort()).toEqual(['198.51.100.20', '198.51.100.21']);
      expect(fx.digShort(SERVICE, 'AAAA')).toEqual(['2001:db8::20']);
      expect(fx.digShort(TXT_NAME, 'TXT')).toEqual([`"${encodeStateRecord({ active: 'secondary', epoch: 1, at: 1_000 })}"`]);
      expect((await p.apply(await planFor(p, dns, 'primary', 2_000))).outcome).toBe('applied');
      expect(fx.digShort(SERVICE, 'A')).toEqual(['203.0.113.10']);
      expect(fx.digShort(SERVICE, 'AAAA')).toEqual(['2001:db8::10']);
      expect(fx.digShort(TXT_NAME, 'TXT')).toEqual([`"${encodeStateRecord({ active: 'primary', epoch: 2, at: 2_000 })}"`]);
    });

    it('flips a CNAME service and reads the target back normalised', async () => {
      reset();
      const cname: typeof dns = {
        service: SERVICE, ttl: 60,
        targets: {
          primary: [{ name: SERVICE, type: 'CNAME', ttl: 60, values: ['primary.example.net'] }],
          secondary: [{ name: SERVICE, type: 'CNAME', ttl: 60, values: ['standby.example.net'] }],
        },
      };
      fx.nsupdate(seedLines(cname.targets.primary));
      const p = provider();
      expect((await p.read(cname)).records).toEqual(cname.targets.primary);
      expect((await p.apply(await planFor(p, cname, 'secondary', 1_000))).outcome).toBe('applied');
      expect(fx.digShort(SERVICE, 'CNAME')).toEqual(['standby.example.net.']);
    });

    for (const [label, state] of [['an existing state record (value-dependent prerequisite)', { active: 'primary' as const, epoch: 7, at: 1 }], ['no state record yet (RRset-does-not-exist prerequisite)', undefined]] as const) {
      it(`refuses the update when a rival writes the TXT inside the read->apply window, with ${label}`, async () => {
        reset();
        fx.nsupdate(seedLines(dns.targets.primary, state));
        const rival: StateRecord = { active: 'secondary', epoch: (state?.epoch ?? 0) + 1, at: 999 };
        let raced = 0;
        // The rival writes just before the UPDATE goes out, after the provider's own re-read.
        const racing: DnsTransport = async (address, message, options) => {
          if (decodeMessage(message).opcode === OPCODE.UPDATE && raced++ === 0) fx.nsupdate(seedLines([], rival));
          return nodeDnsTransport(address, message, options);
        };
        const p = provider({ transport: racing });
        const plan = await planFor(p, dns, 'secondary', 1_000);
        const before = fx.serial();
        const result = await p.apply(plan);
        expect(raced).toBe(1);
        expect(result).toMatchObject({ provider: 'rfc2136', zone: 'example.com', outcome: 'conflict', state: rival });
        // Only the rival's write landed: the service still answers the primary.
        expect(fx.serial()).toBe(before + 1);
        expect(fx.digShort(SERVICE, 'A')).toEqual(['203.0.113.10']);
        expect(fx.digShort(TXT_NAME, 'TXT')).toEqual([`"${encodeStateRecord(rival)}"`]);
      });
    }

    describe('refusals: nothing changes and the error names the key, never the secret', () => {
      const secondaryPlan = async () => {
        reset();
        fx.nsupdate(seedLines(dns.targets.primary));
        return planFor(provider(), dns, 'secondary', 1_000);
      };
      const expectUnchanged = (serial: number) => {
        expect(fx.serial()).toBe(serial);
        expect(fx.digShort(SERVICE, 'A')).toEqual(['203.0.113.10']);
        expect(fx.digShort(TXT_NAME, 'TXT')).toEqual([]);
      };

      it('a wrong secret for the key: NOTAUTH with TSIG BADSIG, not retried', async () => {
        const plan = await secondaryPlan();
        const serial = fx.serial();
        const wrong = newSecret();
        virtualSleep.slept.length = 0;
        const err = await provider({ key: { name: fx.keyName, secret: wrong }, sleep: virtualSleep.sleep }).apply(plan).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Rfc2136Error);
        expect(err).toMatchObject({ provider: 'rfc2136', zone: 'example.com', rcode: 'NOTAUTH', tsigError: 'BADSIG' });
        expect((err as Error).message).toContain(`key ${fx.keyName}`);
        expect(`${(err as Error).message} ${JSON.stringify(err)}`).not.toContain(wrong);
        expect(virtualSleep.slept).toEqual([]);
        expectUnchanged(serial);
      });

      it('a key the server does not have: NOTAUTH with TSIG BADKEY', async () => {
        const plan = await secondaryPlan();
        const serial = fx.serial();
        const err = await provider({ key: { name: 'nobody-key', secret: fx.secret } }).apply(plan).catch((e: unknown) => e);
        expect(err).toMatchObject({ name: 'Rfc2136Error', rcode: 'NOTAUTH', tsigError: 'BADKEY' });
        expect((err as Error).message).toMatch(/the server has no key nobody-key/);
        expect((err as Error).message).not.toContain(fx.secret);
        expectUnchanged(serial);
      });

      it('a key the server knows but does not let update: the UPDATE itself is REFUSED', async () => {
        const plan = await secondaryPlan();
        const serial = fx.serial();
        const err = await provider({ key: { name: READER_KEY_NAME, secret: fx.readerSecret } }).apply(plan).catch((e: unknown) => e);
        // The queries passed (the key is known); the UPDATE is what was refused. BIND says
        // REFUSED; Knot says NOTAUTH/BADKEY when no ACL of the zone lets the key update.
        const expected = fx.kind === 'bind'
          ? { rcode: 'REFUSED', message: new RegExp(`update refused: REFUSED: key ${READER_KEY_NAME} may not update`) }
          : { rcode: 'NOTAUTH', tsigError: 'BADKEY', message: new RegExp(`update refused: NOTAUTH \\(TSIG BADKEY\\): .*key ${READER_KEY_NAME}.*may not update`) };
        expect(err).toMatchObject({ name: 'Rfc2136Error', record: SERVICE, rcode: expected.rcode, ...(expected.tsigError ? { tsigError: expected.tsigError } : {}) });
        expect((err as Error).message).toMatch(expected.message);
        expect((err as Error).message).not.toContain(fx.readerSecret);
        expectUnchanged(serial);
      });

      it('a missing or malformed secret is refused before anything is sent, naming the key', () => {
        expect(() => provider({ key: { name: fx.keyName, secret: '' } })).toThrow(DnsError);
        expect(() => provider({ key: { name: fx.keyName, secret: '' } })).toThrow(/TSIG key lifeboat-key: the secret is 0 bytes/);
      });

      it('an answer whose TSIG does not verify is not trusted (a flipped MAC byte), and not retried', async () => {
        const plan = await secondaryPlan();
        const serial = fx.serial();
        const tampering: DnsTransport = async (address, message, options) => {
          const answer = await nodeDnsTransport(address, message, options);
          answer[answer.length - 10] = answer[answer.length - 10]! ^ 0xff; // inside the MAC (then original id, error, other len)
          return answer;
        };
        const err = await provider({ transport: tampering }).apply(plan).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Rfc2136Error);
        expect((err as Error).message).toMatch(/answer has a TSIG that does not hold: the MAC does not verify; not trusted/);
        expectUnchanged(serial);
      });
    });

    it('a server that is down: retried with backoff, bounded, then reported naming server, zone and record', async () => {
      const port = await freePort();
      virtualSleep.slept.length = 0;
      const started = Date.now();
      const p = provider({ server: { host: '127.0.0.1', port, tcp: true }, sleep: virtualSleep.sleep, random: () => 0.5, retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 } });
      const err = await p.read(dns).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DnsRetryExhaustedError);
      expect(err).toMatchObject({ provider: 'rfc2136', zone: 'example.com', record: TXT_NAME });
      expect((err as Error).message).toContain(`RFC 2136 server 127.0.0.1:${port} zone example.com, record ${TXT_NAME}: query gave up after bounded retries (at most 4 attempts)`);
      expect((err as Error).message).toContain('ECONNREFUSED');
      expect((err as Error).cause).toBeInstanceOf(DnsTransportError);
      expect(virtualSleep.slept).toEqual([50, 100, 200]);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('a server that accepts but never answers: each attempt times out, bounded', async () => {
      const { createServer } = await import('node:net');
      const hung = createServer(() => { /* never answers */ });
      await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
      const port = (hung.address() as { port: number }).port;
      try {
        virtualSleep.slept.length = 0;
        const started = Date.now();
        const p = provider({ server: { host: '127.0.0.1', port, tcp: true }, timeoutMs: 150, sleep: virtualSleep.sleep, retry: { attempts: 3 } });
        const err = await p.read(dns).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DnsRetryExhaustedError);
        expect((err as Error).message).toMatch(/no answer in time \(ETIMEDOUT\)/);
        expect(virtualSleep.slept).toHaveLength(2);
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        hung.close();
      }
    });

    it('reads and applies over UDP too (tcp: false)', async () => {
      reset();
      fx.nsupdate(seedLines(dns.targets.primary));
      const p = provider({ server: { host: fx.host, port: fx.port, tcp: false } });
      expect((await p.apply(await planFor(p, dns, 'secondary', 1_000))).outcome).toBe('applied');
      expect(fx.digShort(SERVICE, 'AAAA')).toEqual(['2001:db8::20']);
    });

    it('refuses a service outside its zone before sending anything', async () => {
      let sent = 0;
      const p = provider({ transport: async () => { sent++; throw new DnsTransportError('unused', 'EIO', false); } });
      await expect(p.read({ ...dns, service: 'app.example.org' })).rejects.toThrow(/RFC 2136 zone example.com: app.example.org is not inside the zone/);
      expect(sent).toBe(0);
    });
  });
}
