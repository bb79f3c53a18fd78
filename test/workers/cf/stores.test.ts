/**
 * The Durable Object storage adapters pass the same contracts as every other backend, run
 * inside workerd against real DO SQLite storage: each call is its own request into the object,
 * so the concurrency cases are real concurrent requests.
 */
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { StateStore } from '#core/coordinator/store.ts';
import type { NonceStore } from '#core/signing/nonce-store.ts';
import { DurableNonceStore } from '../../../workers/storage/nonce-store.ts';
import { DurableStateStore } from '../../../workers/storage/state-store.ts';
import { stateStoreContract } from '../../coordinator/state-store-contract.ts';
import { nonceStoreContract } from '../../signing/nonce-store-contract.ts';
import { batch, coordinatorObject, coordinatorStorage, postBatch, signedRequest } from './helpers.ts';
import { PROBE_KEY } from './shared.ts';

/** A fresh, empty object per store: each contract case starts from nothing. */
const freshStub = () => env.COORDINATOR.get(env.COORDINATOR.newUniqueId());

function remoteStateStore(): StateStore {
  const stub = freshStub();
  const inDo = <R>(fn: (store: DurableStateStore) => Promise<R>) =>
    runInDurableObject(stub, (_i, state) => fn(new DurableStateStore(state.storage)));
  return {
    get: (service) => inDo((s) => s.get(service)),
    put: (state, expected) => inDo((s) => s.put(state, expected)),
    list: () => inDo((s) => s.list()),
    appendAudit: (entries) => inDo((s) => s.appendAudit(entries)),
    audit: (query) => inDo((s) => s.audit(query)),
    ledger: (vp) => inDo((s) => s.ledger(vp)),
    writeLedger: (write) => inDo((s) => s.writeLedger(write)),
    snapshot: () => inDo((s) => s.snapshot()),
  };
}

function remoteNonceStore(): NonceStore {
  const stub = freshStub();
  return {
    claim: (nonce, keyId, expiresAt, now) =>
      runInDurableObject(stub, (_i, state) => new DurableNonceStore(state.storage).claim(nonce, keyId, expiresAt, now)),
  };
}

stateStoreContract('Durable Object SQLite storage', remoteStateStore);
nonceStoreContract(remoteNonceStore, 'Durable Object SQLite storage');

it('sweeps audit entries older than the retention, and only those', async () => {
  const stub = freshStub();
  const swept = await runInDurableObject(stub, async (_i, state) => {
    const store = new DurableStateStore(state.storage);
    const day = 24 * 3600 * 1000;
    const now = Date.UTC(2026, 10, 25);
    await store.appendAudit([
      { at: now - 400 * day, service: null, kind: 'rejected', message: 'ancient' },
      { at: now - day, service: null, kind: 'rejected', message: 'recent' },
    ]);
    const count = store.sweepAudit(now);
    return { count, left: (await store.audit({ limit: 10 })).map((e) => e.message) };
  });
  expect(swept).toEqual({ count: 1, left: ['recent'] });
});

// POST /v1/observations keeps no nonce row since 0.3: the batch's ledger heartbeat refuses a replay.
describe('observation batch replay guard in the coordinator object', () => {
  const ledgerRows = () => runInDurableObject(coordinatorObject(), (_i, state) =>
    state.storage.sql.exec<{ vp: string; slice: string; kind: string; value: string }>('SELECT vp, slice, kind, value FROM lb_ledger ORDER BY vp, slice, kind').toArray());

  it('refuses a byte-identical replay with 401 replayed_nonce and writes no row, nonce or ledger', async () => {
    const request = await signedRequest('POST', '/v1/observations', PROBE_KEY, JSON.stringify(batch('cloudflare:weur', 11, 'healthy')));
    expect((await SELF.fetch(request.clone())).status).toBe(200);
    const before = { storage: await coordinatorStorage(), ledger: await ledgerRows() };
    expect(before.storage.nonces).toBe(0);
    const replay = await SELF.fetch(request);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'replayed_nonce', detail: 'X-Lifeboat-Nonce was already used' });
    expect({ storage: await coordinatorStorage(), ledger: await ledgerRows() }).toEqual(before);
  });

  it('refuses a batch of an older round of the same slice, and accepts the next round', async () => {
    const now = Date.now();
    const older = await signedRequest('POST', '/v1/observations', PROBE_KEY, JSON.stringify(batch('cloudflare:apac', 20, 'healthy', now - 10_000)));
    const newer = await signedRequest('POST', '/v1/observations', PROBE_KEY, JSON.stringify(batch('cloudflare:apac', 21, 'healthy', now)));
    expect((await SELF.fetch(newer)).status).toBe(200);
    const before = await ledgerRows();
    const refused = await SELF.fetch(older);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'replayed_nonce' });
    expect(await ledgerRows()).toEqual(before);
    expect((await postBatch(batch('cloudflare:apac', 22, 'healthy', now + 1), PROBE_KEY)).status).toBe(200);
  });
});
