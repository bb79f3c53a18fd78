/**
 * The probe chain: how an AWS region probes on the interval without a function billed while it
 * waits. Each invocation owns one round slot, probes once and enqueues the next slot's message
 * with a delay, so nothing runs between rounds. A one-minute watchdog restarts a chain that has
 * stopped, and a slot claim (a conditional write of "newest slot claimed", only ever increasing)
 * makes a second chain die at its next hop: of two messages for one slot only one is probed.
 *
 * A round too big for one invocation is sharded (core/probe/shard.ts): one chain per shard, each
 * with its own slot claim, so every shard probes its services once per slot and no shard's chain
 * is ever doubled. A message of another shard plan (the config changed) is dropped; the watchdog
 * then starts the current plan's chains.
 *
 * Pure: the queue and the claim store are ports the adapter implements (functions/chain-*.ts).
 */
import { InputError } from '../errors.ts';
import type { UnixMs } from '../model.ts';
import { probeOffsetMs, slotOf } from './schedule.ts';
import type { ProbeShard } from './shard.ts';

/** What a chain message carries: the slot it owns. `v` lets the format grow. */
export interface ChainMessage {
  readonly v: 1;
  readonly slot: number;
  /** The shard this chain probes; absent when the round is not sharded (count 1). */
  readonly shard?: ProbeShard;
}

/** SQS's ceiling for DelaySeconds. The config's interval (at most 300 s) stays below it. */
export const MAX_DELAY_SECONDS = 900;

/** How late a chain may be before the watchdog calls it broken: Lambda/SQS latency, a slow round. */
export const DEFAULT_CHAIN_GRACE_MS = 30_000;

export class ChainMessageError extends InputError {
  override readonly name: string = 'ChainMessageError';
}

export function encodeChainMessage(slot: number, shard?: ProbeShard): string {
  // An unsharded message keeps the original form, so chains running before shards stay valid.
  const message: ChainMessage = shard === undefined || shard.count === 1 ? { v: 1, slot } : { v: 1, slot, shard: { index: shard.index, count: shard.count } };
  return JSON.stringify(message);
}

/** The slot claim's key for one shard's chain: the vantage point itself when there is one chain. */
export function chainKey(vantagePoint: string, shard?: ProbeShard): string {
  return shard === undefined || shard.count === 1 ? vantagePoint : `${vantagePoint}#${shard.index}/${shard.count}`;
}

function decodeShard(value: unknown): ProbeShard | undefined {
  if (value === undefined) return undefined;
  const s = value as Partial<ProbeShard> | null;
  if (typeof s !== 'object' || s === null) throw new ChainMessageError('chain message: field "shard" must be an object');
  if (!Number.isSafeInteger(s.count) || (s.count as number) < 1) throw new ChainMessageError('chain message: field "shard.count" must be an integer >= 1');
  if (!Number.isSafeInteger(s.index) || (s.index as number) < 0 || (s.index as number) >= (s.count as number)) {
    throw new ChainMessageError('chain message: field "shard.index" must be an integer from 0 to shard.count - 1');
  }
  return s.count === 1 ? undefined : { index: s.index as number, count: s.count as number };
}

/** Parses a message body; anything else is an error naming the field (it was not sent by a chain). */
export function decodeChainMessage(body: string): ChainMessage {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { throw new ChainMessageError('chain message is not JSON'); }
  const m = parsed as Partial<ChainMessage> | null;
  if (typeof m !== 'object' || m === null || m.v !== 1) throw new ChainMessageError('chain message: field "v" must be 1');
  if (!Number.isSafeInteger(m.slot) || (m.slot as number) < 0) throw new ChainMessageError('chain message: field "slot" must be a non-negative integer');
  const shard = decodeShard(m.shard);
  return shard === undefined ? { v: 1, slot: m.slot as number } : { v: 1, slot: m.slot as number, shard };
}

/** When a slot's round starts for this vantage point: slot start plus its phase and jitter. */
export function roundStartAt(slot: number, intervalMs: number, vantagePoint: string, random: () => number): UnixMs {
  return slot * intervalMs + probeOffsetMs(vantagePoint, intervalMs, random);
}

export interface NextHop {
  readonly slot: number;
  /**
   * Whole seconds (SQS's unit), rounded to nearest: the round starts on arrival, at most half a
   * second off its time plus delivery latency, which only adds to the jitter. Waiting for the exact
   * moment would bill the wait.
   */
  readonly delaySeconds: number;
  /** When the round is meant to start. */
  readonly at: UnixMs;
}

/**
 * The message to enqueue after (or instead of) slot `after`: the next slot still ahead, so a chain
 * that fell behind skips the rounds it missed rather than probing them late, back to back.
 */
export function nextHop(after: number, now: UnixMs, intervalMs: number, vantagePoint: string, random: () => number): NextHop {
  // A slot after the current one: its start, and so its round, is always ahead of now.
  const slot = Math.max(after + 1, slotOf(now, intervalMs) + 1);
  const at = roundStartAt(slot, intervalMs, vantagePoint, random);
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round((at - now) / 1000)));
  return { slot, delaySeconds, at };
}

/**
 * Whether a chain is running: the newest claimed slot is no older than one interval plus the
 * grace. The watchdog restarts only a chain that fails this; a wrong "broken" costs one message
 * that loses its slot claim, never a doubled chain.
 */
export function chainAlive(newestClaimed: number | undefined, now: UnixMs, intervalMs: number, graceMs = DEFAULT_CHAIN_GRACE_MS): boolean {
  if (newestClaimed === undefined) return false;
  return newestClaimed >= slotOf(now - intervalMs - graceMs, intervalMs);
}

/** Where chain messages go: the region's own queue. */
export interface ChainQueue {
  send(body: string, delaySeconds: number): Promise<void>;
}

/** The slot claim: newest slot claimed per vantage point, raised only by a conditional write. */
export interface SlotClaims {
  /** True when `slot` is newer than every claim so far (and is now the newest); false when taken. */
  claim(vantagePoint: string, slot: number): Promise<boolean>;
  newest(vantagePoint: string): Promise<number | undefined>;
}

export interface ChainDeps {
  readonly queue: ChainQueue;
  readonly claims: SlotClaims;
  readonly random: () => number;
}

export type HopOutcome =
  | { readonly kind: 'probe'; readonly slot: number; readonly next: NextHop; readonly shard?: ProbeShard }
  | { readonly kind: 'duplicate'; readonly slot: number; readonly shard?: ProbeShard }
  /** The message belongs to another shard plan: its chain ends here, unprobed. */
  | { readonly kind: 'stale-shard'; readonly slot: number; readonly shard?: ProbeShard; readonly shards: number };

/**
 * One chain invocation: claim the slot, enqueue the next one, then (caller) probe. The next
 * message is sent before probing so a round that fails or times out does not break the chain.
 * `shards` is the current plan's count; a message planned for another count ends its chain.
 */
export async function hop(message: ChainMessage, now: UnixMs, intervalMs: number, vantagePoint: string, deps: ChainDeps, shards = 1): Promise<HopOutcome> {
  const shard = message.shard;
  const tagged = shard === undefined ? {} : { shard };
  if ((shard?.count ?? 1) !== shards) return { kind: 'stale-shard', slot: message.slot, ...tagged, shards };
  if (!(await deps.claims.claim(chainKey(vantagePoint, shard), message.slot))) return { kind: 'duplicate', slot: message.slot, ...tagged };
  const next = nextHop(message.slot, now, intervalMs, vantagePoint, deps.random);
  await deps.queue.send(encodeChainMessage(next.slot, shard), next.delaySeconds);
  return { kind: 'probe', slot: message.slot, next, ...tagged };
}

export type WatchdogOutcome =
  | { readonly kind: 'alive'; readonly newest: number; readonly shard?: ProbeShard }
  | { readonly kind: 'restarted'; readonly newest: number | undefined; readonly next: NextHop; readonly shard?: ProbeShard };

/** The one-minute watchdog for one chain: reads its claim, and starts it only when it is not running. */
export async function watchdog(now: UnixMs, intervalMs: number, vantagePoint: string, deps: ChainDeps, graceMs = DEFAULT_CHAIN_GRACE_MS, shard?: ProbeShard): Promise<WatchdogOutcome> {
  const tagged = shard === undefined || shard.count === 1 ? {} : { shard };
  const newest = await deps.claims.newest(chainKey(vantagePoint, shard));
  if (newest !== undefined && chainAlive(newest, now, intervalMs, graceMs)) return { kind: 'alive', newest, ...tagged };
  const next = nextHop(newest ?? -1, now, intervalMs, vantagePoint, deps.random);
  await deps.queue.send(encodeChainMessage(next.slot, shard), next.delaySeconds);
  return { kind: 'restarted', newest, next, ...tagged };
}

/** The watchdog over every shard's chain of the current plan, in shard order. */
export async function watchdogShards(now: UnixMs, intervalMs: number, vantagePoint: string, deps: ChainDeps, shards: number, graceMs = DEFAULT_CHAIN_GRACE_MS): Promise<WatchdogOutcome[]> {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new InputError(`shard count must be a whole number >= 1, got ${shards}`);
  const outcomes: WatchdogOutcome[] = [];
  for (let index = 0; index < shards; index++) outcomes.push(await watchdog(now, intervalMs, vantagePoint, deps, graceMs, { index, count: shards }));
  return outcomes;
}
