/**
 * HttpZoneProvider (the local run's zone API client) under the DNS provider contract, against
 * the real loopback zone API (cli/local/zone-api.ts) over a real file zone in a temp dir, wired
 * as `lifeboat run` wires them (FileDnsProvider behind routeEmbedded).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpZoneProvider } from '#core/dns/http-zone.ts';
import { encodeStateRecord, stateRecordName } from '#core/dns/state-record.ts';
import { DnsError } from '#core/dns/types.ts';
import { routeEmbedded } from '../../cli/local/embedded-router.ts';
import { FileDnsProvider, FileZone, zoneFilePath } from '../../cli/local/file-zone.ts';
import { startZoneApi, type ZoneApi } from '../../cli/local/zone-api.ts';
import { planFor, providerContract, SERVICE, serviceDns } from './provider-contract.ts';

const APEX = 'example.com';
const TOKEN = 'zone-api-token-SECRET-0123456789';
const dirs: string[] = [];
const apis: ZoneApi[] = [];

afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh file zone in its own temp dir, served by its own zone API. */
async function zoneServer() {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-http-zone-'));
  dirs.push(dir);
  const file = new FileZone(zoneFilePath(dir, APEX), APEX);
  const api = await startZoneApi(routeEmbedded(new Map([[APEX, new FileDnsProvider(file)]])), TOKEN);
  apis.push(api);
  return { file, api, provider: new HttpZoneProvider({ baseUrl: api.url, token: TOKEN, zone: APEX }) };
}

providerContract('embedded over HTTP (zone API + file zone)', async () => {
  const { file, provider } = await zoneServer();
  let baseline = file.read().version;
  return {
    provider,
    async seed(sets, state) {
      await file.transact((zone) => zone.write([
        ...sets,
        ...(state ? [{ name: stateRecordName(SERVICE), type: 'TXT' as const, ttl: 60, values: [encodeStateRecord(state)] }] : []),
      ]));
      baseline = file.read().version;
    },
    // Every write through the zone API replaces the file with version + 1.
    writes: () => file.read().version - baseline,
    values: (name, type) => file.read().sets.find((s) => s.name === name && s.type === type)?.values.slice().sort(),
  };
});

describe('HttpZoneProvider errors', () => {
  const dns = serviceDns();
  let refused: Server;
  let refusedUrl = '';
  beforeAll(async () => {
    // A listener that answers 200 with a body that is not JSON, as something else on the port would.
    refused = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a zone api</html>'); });
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
    refusedUrl = `http://127.0.0.1:${(refused.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => refused.close(() => resolve())));

  it('a wrong token is refused with a DnsError naming zone and record, never echoing the token', async () => {
    const { api } = await zoneServer();
    const wrong = `${TOKEN}-wrong`;
    const err = await new HttpZoneProvider({ baseUrl: api.url, token: wrong, zone: APEX }).read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsError);
    expect(err).toMatchObject({ provider: 'embedded', zone: APEX, record: SERVICE });
    expect((err as Error).message).toMatch(/refused read of app\.example\.com: 401/);
    expect(`${(err as Error).message} ${JSON.stringify(err)}`).not.toContain(TOKEN);
  });

  it('an unreachable zone API is a DnsError saying where it looked', async () => {
    const { api } = await zoneServer();
    const url = api.url;
    await api.close();
    apis.splice(apis.indexOf(api), 1);
    const err = await new HttpZoneProvider({ baseUrl: url, token: TOKEN, zone: APEX }).read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsError);
    expect((err as Error).message).toContain(`embedded zone ${APEX} unreachable at ${url}`);
  });

  it('a server error on apply is a DnsError, and the zone is unchanged', async () => {
    const { file, provider } = await zoneServer();
    await file.transact((zone) => zone.write(dns.targets.primary));
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    // A plan that deletes is refused by the embedded provider behind the API (500 from the API).
    const bad = { ...plan, changes: [{ kind: 'delete' as const, before: dns.targets.primary[0]! }] };
    const err = await provider.apply(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsError);
    expect((err as Error).message).toMatch(/refused apply of app\.example\.com: 500 .*may not delete/);
    expect(file.read().sets.find((s) => s.type === 'A')?.values).toEqual(['203.0.113.10']);
  });

  it('an answer that is not a zone API answer is a DnsError, not a raw parse error', async () => {
    const provider = new HttpZoneProvider({ baseUrl: refusedUrl, token: TOKEN, zone: APEX });
    const err = await provider.read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsError);
    expect((err as Error).message).toMatch(new RegExp(`embedded zone ${APEX} at ${refusedUrl}: read of app\\.example\\.com answered something that is not a zone API answer`));
  });

  it('a zone API that does not answer in time is a DnsError (bounded by timeoutMs)', async () => {
    const hung = createServer(() => { /* never answers */ });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const err = await new HttpZoneProvider({ baseUrl: url, token: TOKEN, zone: APEX, timeoutMs: 200 }).read(dns).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DnsError);
      expect((err as Error).message).toContain('unreachable');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });
});
