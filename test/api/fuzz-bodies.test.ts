/**
 * Issue 11, "every field of every request body is range-checked": validly signed, arbitrary
 * requests to every route of the coordinator app, over the memory store and the real DynamoDB
 * stores (dynalite), where the 400 KB item limit bites. Never a 5xx; a refused request changes no
 * stored state and adds only the documented audit entry; no state outgrows the config's bound.
 * The Durable Object side is test/workers/cf/fuzz-bodies.test.ts; the rules are in
 * test/support/fuzz-bodies.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, type StateStore } from '#core/coordinator/store.ts';
import { MemoryNonceStore, type NonceStore } from '#core/signing/nonce-store.ts';
import { DynamoNonceStore } from '../../functions/dynamo/nonce-store.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import {
  attackRun, checkRequest, DYNAMO_ITEM_LIMIT, fuzzConfig, fuzzKeys, fuzzRequest, fuzzRig, newStats, stateBound, type FuzzKeyMaterial,
} from '../support/fuzz-bodies.ts';

let material: FuzzKeyMaterial;
let db: Dynalite;
beforeAll(async () => {
  material = await fuzzKeys();
  db = await startDynalite();
});
afterAll(() => db?.stop());

const backends: [string, () => Promise<{ store: StateStore; nonces: NonceStore }>, number][] = [
  ['memory', async () => ({ store: new MemoryStateStore(), nonces: new MemoryNonceStore() }), 200],
  ['dynamodb (dynalite)', async () => {
    const tableName = await db.table();
    const client = db.client();
    return { store: new DynamoStateStore({ client, tableName }), nonces: new DynamoNonceStore({ client, tableName }) };
  }, 60],
];

describe.each(backends)('coordinator API fuzzed over %s storage', (_name, stores, numRuns) => {
  it(`never 5xx, refusals change nothing, state stays bounded (${numRuns} runs of 1-12 requests)`, async () => {
    const { store, nonces } = await stores();
    const rig = await fuzzRig(store, nonces, material);
    const stats = newStats();
    await fc.assert(fc.asyncProperty(fc.array(fuzzRequest, { minLength: 1, maxLength: 12 }), async (requests) => {
      for (const req of requests) await checkRequest(rig, req, stats);
    }), { numRuns });
    // The run reached every kind of answer, or it proved less than it claims.
    for (const status of [200, 400, 401, 403, 404, 413]) expect(stats.statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    console.info(`fuzz ${_name}: statuses ${JSON.stringify(Object.fromEntries(stats.statuses))}, largest state ${stats.maxStateBytes} B of a ${stateBound(rig.config).bytes} B bound`);
  }, 120_000);

  it('a stolen probe key with the largest bodies for many rounds, and invented vantage points, cannot grow the state', async () => {
    const { store, nonces } = await stores();
    const rig = await fuzzRig(store, nonces, material);
    const report = await attackRun(rig, 24);
    console.info(`attack ${_name}: ${JSON.stringify(report)}`);
    expect(report.bodyBytes).toBeGreaterThan(60_000);
    expect(report.maxStateBytes).toBeLessThanOrEqual(report.boundBytes);
    expect(report.boundBytes).toBeLessThan(DYNAMO_ITEM_LIMIT / 10);
  }, 120_000);
});

describe('the bound itself', () => {
  it('is derived from the config: vantage points x targets x the costliest vote, well under the DynamoDB item limit', () => {
    const config = fuzzConfig(material.config);
    const bound = stateBound(config);
    const vps = config.vantagePoints.aws.length + config.vantagePoints.cloudflare.length;
    expect(bound.bytes).toBeGreaterThan(vps * 2 * (bound.perVote + bound.perEvidenceVote));
    expect(bound.bytes).toBeLessThan(DYNAMO_ITEM_LIMIT / 10);
    console.info(`bound: ${vps} vantage points, ${bound.perVote} B per vote, ${bound.perEvidenceVote} B per evidence vote, ${bound.bytes} B in all`);
  });
});
