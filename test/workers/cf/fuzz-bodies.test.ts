/**
 * Issue 11's body fuzz over Durable Object SQLite storage, inside workerd: the coordinator app
 * composed as core composes it, over DurableStateStore and DurableNonceStore in a fresh object
 * (each store call a real request into the object), signed by workerd's WebCrypto. The same
 * rules as the Node run (test/support/fuzz-bodies.ts): never 5xx, a refused request changes no
 * stored state and adds only the documented audit entry, no state outgrows the config's bound.
 * Then the real Worker entry (SELF, the fixture config) gets the same kind of requests.
 */
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from '#core/coordinator/store.ts';
import type { NonceStore } from '#core/signing/nonce-store.ts';
import { DurableNonceStore } from '../../../workers/storage/nonce-store.ts';
import { DurableStateStore } from '../../../workers/storage/state-store.ts';
import { importPrivateKey } from '#core/signing/ecdsa.ts';
import { hexToBytes } from '#core/signing/keys.ts';
import { workerConfig } from '../../../workers/config.ts';
import type { CoordinatorObject } from '../../../workers/coordinator.ts';
import { coordinatorStub } from '../../../workers/stubs.ts';
import {
  attackRun, checkRequest, DYNAMO_ITEM_LIMIT, fuzzKeys, fuzzRequest, fuzzRig, newStats, type FuzzKeyMaterial, type FuzzTarget,
} from '../../support/fuzz-bodies.ts';
import { AWS_PROBE_KEY, ECDSA_PROBE_KEY, OPERATOR_KEY } from './shared.ts';

/** Both stores of one fresh, empty Durable Object, each call its own request into the object. */
function durableStores(): { store: StateStore; nonces: NonceStore } {
  const stub = env.COORDINATOR.get(env.COORDINATOR.newUniqueId());
  const inDo = <R>(fn: (state: DurableObjectState) => R | Promise<R>) => runInDurableObject(stub, (_i, state) => fn(state));
  const store = (fn: (s: DurableStateStore) => unknown) => inDo((state) => fn(new DurableStateStore(state.storage)));
  return {
    store: {
      get: (service) => store((s) => s.get(service)) as ReturnType<StateStore['get']>,
      put: (state, expected) => store((s) => s.put(state, expected)) as ReturnType<StateStore['put']>,
      list: () => store((s) => s.list()) as ReturnType<StateStore['list']>,
      appendAudit: (entries) => store((s) => s.appendAudit(entries)) as ReturnType<StateStore['appendAudit']>,
      audit: (query) => store((s) => s.audit(query)) as ReturnType<StateStore['audit']>,
      ledger: (vp) => store((s) => s.ledger(vp)) as ReturnType<StateStore['ledger']>,
      writeLedger: (write) => store((s) => s.writeLedger(write)) as ReturnType<StateStore['writeLedger']>,
      snapshot: () => store((s) => s.snapshot()) as ReturnType<StateStore['snapshot']>,
    },
    nonces: {
      claim: (nonce, keyId, expiresAt, now) => inDo((state) => new DurableNonceStore(state.storage).claim(nonce, keyId, expiresAt, now)),
    },
  };
}

let material: FuzzKeyMaterial;
beforeAll(async () => { material = await fuzzKeys(); });

describe('coordinator API fuzzed over Durable Object storage', () => {
  const numRuns = 40;

  it(`never 5xx, refusals change nothing, state stays bounded (${numRuns} runs of 1-12 requests)`, async () => {
    const { store, nonces } = durableStores();
    const rig = await fuzzRig(store, nonces, material);
    const stats = newStats();
    await fc.assert(fc.asyncProperty(fc.array(fuzzRequest, { minLength: 1, maxLength: 12 }), async (requests) => {
      for (const req of requests) await checkRequest(rig, req, stats);
    }), { numRuns });
    for (const status of [200, 400, 401, 404]) expect(stats.statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    console.info(`fuzz durable object: statuses ${JSON.stringify(Object.fromEntries(stats.statuses))}, largest state ${stats.maxStateBytes} B`);
  }, 60_000);

  it('a stolen probe key with the largest bodies for many rounds, and invented vantage points, cannot grow the state', async () => {
    const { store, nonces } = durableStores();
    const rig = await fuzzRig(store, nonces, material);
    const report = await attackRun(rig, 12);
    console.info(`attack durable object: ${JSON.stringify(report)}`);
    expect(report.bodyBytes).toBeGreaterThan(60_000);
    expect(report.maxStateBytes).toBeLessThanOrEqual(report.boundBytes);
    expect(report.boundBytes).toBeLessThan(DYNAMO_ITEM_LIMIT / 10);
  }, 60_000);
});

describe('the real Worker entry (SELF) over its Durable Object, fuzzed', () => {
  const numRuns = 25;

  it(`never 5xx, refusals change nothing, state stays bounded (${numRuns} runs of 1-8 requests)`, async () => {
    const stub = coordinatorStub(env);
    const target: FuzzTarget = {
      app: { fetch: (request) => SELF.fetch(request) },
      // The Worker reads the real clock: sign with it too, and never run ahead of it.
      clock: { get at() { return Date.now(); }, set at(_ignored: number) { /* real time */ }, now: () => Date.now() },
      keys: {
        aws: { id: AWS_PROBE_KEY.id, kind: 'hmac', secret: hexToBytes(AWS_PROBE_KEY.secret)! },
        cloudflare: { id: ECDSA_PROBE_KEY.id, kind: 'ecdsa', privateKey: await importPrivateKey(ECDSA_PROBE_KEY.privateKey, ECDSA_PROBE_KEY.id) },
        operator: { id: OPERATOR_KEY.id, kind: 'hmac', secret: hexToBytes(OPERATOR_KEY.secret)! },
      },
      store: {
        snapshot: () => runInDurableObject(stub as unknown as DurableObjectStub<CoordinatorObject>, (instance: CoordinatorObject) => instance.store.snapshot()),
        audit: (query) => runInDurableObject(stub as unknown as DurableObjectStub<CoordinatorObject>, (instance: CoordinatorObject) => instance.store.audit(query)),
      },
      config: workerConfig(),
      exactClock: false,
    };
    // No override that the schema accepts: the fixture's Cloudflare zone and the coordinator
    // object are shared with the other files of this project, and an override would move them.
    const request = fuzzRequest.filter((r) => r.route !== 'override' || !['force-primary', 'force-secondary', 'freeze', 'auto'].includes(String((r.body as { action?: unknown } | null)?.action)));
    const stats = newStats();
    await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 8 }), async (requests) => {
      for (const req of requests) await checkRequest(target, req, stats);
    }), { numRuns });
    for (const status of [200, 400, 401, 404]) expect(stats.statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    console.info(`fuzz worker entry: statuses ${JSON.stringify(Object.fromEntries(stats.statuses))}, largest state ${stats.maxStateBytes} B`);
  }, 60_000);
});
