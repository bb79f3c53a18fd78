/**
 * POST /v1/observations has no nonce item since 0.3: the batch's heartbeat write refuses a replay
 * (core/coordinator/store.ts replayRefused). Over the HTTP API, on the memory store and on the
 * DynamoDB store (dynalite): a byte-identical replay and a batch of an older round get the nonce
 * replay's 401 replayed_nonce and change nothing; two slices of one round are both accepted; a
 * batch that records nothing, and every other signed route, still claim their nonce.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryStateStore, type StateStore } from '#core/coordinator/store.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch } from '#core/model.ts';
import { silentLogger } from '#core/ports.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { signRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore, type NonceStore } from '#core/signing/nonce-store.ts';
import { DynamoNonceStore } from '../../functions/dynamo/nonce-store.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { keyBytes, OPERATOR, PROBE, TestClock, testConfigInput } from '../support/coordinators.ts';

const SERVICES = ['a.example.com', 'b.example.com'];
const config = loadConfig(testConfigInput({
  services: SERVICES.map((name) => ({
    name, primary: { url: 'http://127.0.0.1:9/', a: ['198.51.100.10'] }, secondary: { url: 'http://127.0.0.1:9/', a: ['198.51.100.20'] },
    healthCheck: { type: 'http', path: '/healthz' }, dns: [{ provider: 'embedded', ttl: 5 }],
  })),
}));

let dynalite: Dynalite;
beforeAll(async () => { dynalite = await startDynalite(); });
afterAll(async () => { await dynalite.stop(); });

interface Backend {
  readonly store: StateStore;
  readonly nonces: NonceStore;
  /** Everything stored (ledger, states, audit, nonces), to prove a refusal wrote nothing. */
  readonly dump: () => Promise<unknown>;
  /** Nonce items held. */
  readonly nonceCount: () => Promise<number>;
}

const backends: Record<string, () => Promise<Backend>> = {
  memory: async () => {
    const store = new MemoryStateStore();
    const nonces = new MemoryNonceStore();
    return { store, nonces, dump: async () => ({ snap: await store.snapshot(), audit: await store.audit({ limit: 1000 }) }), nonceCount: async () => nonces.size };
  },
  'dynamodb (dynalite)': async () => {
    const client = dynalite.client();
    const tableName = await dynalite.table();
    const scan = async () => ((await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? []).sort((x, y) => `${x.pk!.S}${x.sk!.S}`.localeCompare(`${y.pk!.S}${y.sk!.S}`));
    return {
      store: new DynamoStateStore({ client, tableName }), nonces: new DynamoNonceStore({ client, tableName }),
      dump: scan, nonceCount: async () => (await scan()).filter((i) => i.pk!.S!.startsWith('nonce#')).length,
    };
  },
};

for (const [name, make] of Object.entries(backends)) {
  describe(`observation batch replay guard: ${name}`, () => {
    async function rig() {
      const backend = await make();
      const clock = new TestClock(Date.UTC(2026, 10, 29, 12, 0, 0));
      const zone = new MemoryZone('example.com');
      const provider = new MemoryDnsProvider(zone, { name: 'embedded' });
      const { app } = createCoordinatorApp({
        name: 'aws', config, store: backend.store, nonces: backend.nonces, clock, logger: silentLogger, dnsProvider: () => provider,
        keys: staticKeyResolver([{ id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) }, { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) }]),
      });
      const sign = async (key: typeof PROBE, path: string, body: string) => ({
        'content-type': 'application/json', ...await signRequest({ method: 'POST', path, body, keyId: key.id, secret: keyBytes(key.hex), now: clock.now() }),
      });
      /** One signed request, kept so it can be sent again byte for byte. */
      const signedPost = async (body: string, key = PROBE, path = '/v1/observations') => ({ path, body, headers: await sign(key, path, body) });
      const send = async (r: { path: string; body: string; headers: Record<string, string> }) => {
        const res = await app.request(r.path, { method: 'POST', headers: r.headers, body: r.body });
        return { status: res.status, json: await res.json() as Record<string, unknown> };
      };
      const batch = (round: number, services = SERVICES): string => JSON.stringify({
        vantagePoint: 'aws:us-east-1', round, sentAt: clock.now(), controlOk: true,
        results: services.flatMap((service) => (['primary', 'secondary'] as const).map((target) => ({ service, target, verdict: 'healthy', observedAt: clock.now() - 500, latencyMs: 5 }))),
      } satisfies ObservationBatch);
      return { ...backend, clock, signedPost, send, batch };
    }

    it('refuses a byte-identical replay of an accepted batch with 401 replayed_nonce, writing nothing and storing no nonce', async () => {
      const r = await rig();
      const first = await r.signedPost(r.batch(1));
      expect(await r.send(first)).toMatchObject({ status: 200, json: { accepted: 4 } });
      expect(await r.nonceCount()).toBe(0);
      const before = await r.dump();
      r.clock.advance(2_000);
      expect(await r.send(first)).toEqual({ status: 401, json: { error: 'replayed_nonce', detail: 'X-Lifeboat-Nonce was already used' } });
      expect(await r.dump()).toEqual(before);
    });

    it('refuses a batch of an older round of the same slice, and accepts the next one', async () => {
      const r = await rig();
      const older = await r.signedPost(r.batch(7));
      r.clock.advance(10_000);
      const newer = await r.signedPost(r.batch(8));
      expect((await r.send(newer)).status).toBe(200);
      const before = await r.dump();
      expect(await r.send(older)).toMatchObject({ status: 401, json: { error: 'replayed_nonce' } });
      expect(await r.dump()).toEqual(before);
      r.clock.advance(10_000);
      expect((await r.send(await r.signedPost(r.batch(9)))).status).toBe(200);
    });

    it('accepts two slices of one round (a round split into two signed batches), each once', async () => {
      const r = await rig();
      const [one, two] = [await r.signedPost(r.batch(3, ['a.example.com'])), await r.signedPost(r.batch(3, ['b.example.com']))];
      expect([(await r.send(one)).status, (await r.send(two)).status]).toEqual([200, 200]);
      expect((await r.store.ledger('aws:us-east-1')).heartbeats.map((h) => h.slice).sort()).toEqual(SERVICES);
      expect([(await r.send(one)).status, (await r.send(two)).status]).toEqual([401, 401]);
    });

    it('refuses a sentAt more than a minute ahead (400 naming sentAt), so a stolen key cannot silence the vantage point it speaks for', async () => {
      const r = await rig();
      const poison = JSON.stringify({ ...JSON.parse(r.batch(5)), sentAt: r.clock.now() + 365 * 86_400_000 });
      const before = await r.dump();
      expect(await r.send(await r.signedPost(poison))).toMatchObject({ status: 400, json: { error: 'invalid_request', field: 'sentAt' } });
      expect(await r.dump()).toEqual(before);
      // The honest prober's next batch is recorded: nothing of the refused one stands in its way.
      r.clock.advance(10_000);
      expect((await r.send(await r.signedPost(r.batch(6)))).status).toBe(200);
    });

    it('claims the nonce of a batch that records nothing (no configured service), and of every other signed route', async () => {
      const r = await rig();
      const unknown = await r.signedPost(r.batch(4, ['nobody.example.com']));
      expect(await r.send(unknown)).toMatchObject({ status: 200, json: { accepted: 0, ignored: 2 } });
      expect(await r.nonceCount()).toBe(1);
      expect(await r.send(unknown)).toMatchObject({ status: 401, json: { error: 'replayed_nonce' } });
      const override = await r.signedPost(JSON.stringify({ service: 'a.example.com', action: 'freeze', reason: 'drill' }), OPERATOR, '/v1/override');
      expect((await r.send(override)).status).toBe(200);
      expect(await r.nonceCount()).toBe(2);
      expect(await r.send(override)).toMatchObject({ status: 401, json: { error: 'replayed_nonce' } });
    });
  });
}
