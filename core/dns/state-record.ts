/**
 * The TXT state record `_lifeboat.<name>`: `lifeboat=1 active=secondary epoch=3 at=<unix ms>`.
 * It lets anyone read Lifeboat's state back from DNS (`dig TXT _lifeboat.app.example.com`) and
 * is the compare-and-swap token that makes two coordinators racing produce one change.
 */
import { normaliseName, type ServiceName } from '../model.ts';
import type { StateRecord } from './types.ts';

export const STATE_RECORD_PREFIX = '_lifeboat.';

export function stateRecordName(service: ServiceName): string {
  return `${STATE_RECORD_PREFIX}${normaliseName(service)}`;
}

export function encodeStateRecord(state: StateRecord): string {
  return `lifeboat=1 active=${state.active} epoch=${state.epoch} at=${state.at}`;
}

/** Parses a state record value; returns null for anything that is not one (never throws). */
export function parseStateRecord(value: string): StateRecord | null {
  const fields = new Map(
    value.replace(/^"|"$/g, '').trim().split(/\s+/).map((kv) => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq), kv.slice(eq + 1)] as const;
    }),
  );
  if (fields.get('lifeboat') !== '1') return null;
  const active = fields.get('active');
  const epoch = Number(fields.get('epoch'));
  const at = Number(fields.get('at'));
  if (active !== 'primary' && active !== 'secondary') return null;
  if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(at)) return null;
  return { active, epoch, at };
}

export function sameState(a: StateRecord | null, b: StateRecord | null): boolean {
  if (a === null || b === null) return a === b;
  return a.active === b.active && a.epoch === b.epoch && a.at === b.at;
}
