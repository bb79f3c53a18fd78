/**
 * Stored states with the votes the coordinator would see: since the vote ledger
 * (core/coordinator/ledger.ts) a state item holds the decision only, and each vantage point's
 * votes live in its own ledger items. Tests that check "this vote was stored" read both.
 */
import { bookOf, indexLedger, mergeBooks } from '#core/coordinator/ledger.ts';
import type { StateStore, Versioned } from '#core/coordinator/store.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';

export async function statesWithVotes(store: Pick<StateStore, 'snapshot'>): Promise<Versioned<ServiceState>[]> {
  const snap = await store.snapshot();
  const index = indexLedger(snap.ledger);
  const known = new Set(snap.states.map((s) => s.value.service));
  const states = snap.states.map((s) => ({ ...s, value: { ...s.value, votes: mergeBooks(s.value.votes, bookOf(index, s.value.service)) } }));
  // A service with votes but no decision state yet shows as version 0 with its votes.
  for (const service of index.rows.keys()) {
    if (!known.has(service)) states.push({ version: 0, value: { ...initialServiceState(service), votes: bookOf(index, service) } });
  }
  return states;
}
