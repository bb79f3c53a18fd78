/** Helpers for the workerd tests: signing like a prober or an operator, and reading the fixtures. */
import { statesWithVotes } from '../../support/stored-votes.ts';
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { inject } from 'vitest';
import type { ObservationBatch } from '#core/model.ts';
import { hexToBytes } from '#core/signing/keys.ts';
import { signRequest } from '#core/signing/lb1.ts';
import type { CoordinatorObject } from '../../../workers/coordinator.ts';
import { coordinatorStub } from '../../../workers/stubs.ts';
import { SERVICE, type AwsPost, type CfRecordSeen, type CfRequestSeen } from './shared.ts';

/**
 * The coordinator DO's stub typed by its class, for runInDurableObject callbacks that read its
 * storage fields. workers/env.ts types the namespace by the RPC interface (workers/bindings.ts),
 * which is all production code may use; only tests reach inside the instance.
 */
export const coordinatorObject = (): DurableObjectStub<CoordinatorObject> =>
  coordinatorStub(env) as unknown as DurableObjectStub<CoordinatorObject>;

export const BASE = 'https://lifeboat.example.workers.dev';

export interface TestKey { id: string; secret: string }

export async function signedRequest(method: string, path: string, key: TestKey, body = '', options: { now?: number; nonce?: string } = {}): Promise<Request> {
  const headers = await signRequest({
    method, path, body, keyId: key.id, secret: hexToBytes(key.secret)!, now: options.now ?? Date.now(),
    ...(options.nonce ? { nonce: options.nonce } : {}),
  });
  return new Request(`${BASE}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body }) });
}

export function batch(vantagePoint: string, round: number, primary: 'healthy' | 'unhealthy', now = Date.now()): ObservationBatch {
  return {
    vantagePoint: vantagePoint as ObservationBatch['vantagePoint'], round, sentAt: now, controlOk: true,
    results: [
      { service: SERVICE, target: 'primary', verdict: primary, observedAt: now, ...(primary === 'unhealthy' ? { failure: 'timeout' as const } : {}) },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt: now },
    ],
  };
}

export async function postBatch(b: ObservationBatch, key: TestKey): Promise<Response> {
  return SELF.fetch(await signedRequest('POST', '/v1/observations', key, JSON.stringify(b)));
}

/** What the coordinator DO holds: service states, audit, nonce count. */
export async function coordinatorStorage() {
  return runInDurableObject(coordinatorObject(), async (instance: CoordinatorObject) => ({
    // With the votes the coordinator would see: they live in the vote ledger since 0.2.
    states: await statesWithVotes(instance.store),
    audit: await instance.store.audit({ limit: 1000 }),
    nonces: instance.nonces.count(),
  }));
}

export interface Inspect { awsPosts: AwsPost[]; cfRequests: CfRequestSeen[]; cfRecords: CfRecordSeen[] }

export async function inspect(): Promise<Inspect> {
  const res = await fetch(`${inject('cfWorkerWorldUrl')}/_inspect`);
  return res.json() as Promise<Inspect>;
}

export async function control(body: { primary?: number; secondary?: number; reset?: boolean }): Promise<void> {
  const res = await fetch(`${inject('cfWorkerWorldUrl')}/_control`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`fixture control failed: ${res.status}`);
  await res.body?.cancel();
}
