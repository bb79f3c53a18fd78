/**
 * The coordinators' storage operations for a stretch of time: the one place that knows the
 * storage layout, so a layout change is one function here (and its counted test).
 *
 * - `per-service-state` (v0.1, what the coordinator on this branch does): every evaluation of a
 *   service reads its state item (strongly consistent GetItem) and writes it back (conditional
 *   PutItem); a batch evaluates every service it covers, and the one-minute tick every service.
 * - `heartbeat` (issue 13's layout): one heartbeat item per vantage point per batch, an item only
 *   when a vote changes, a decision-state write only when a decision changes; one Query per
 *   evaluation reads the heartbeats.
 * Both claim one LB1 nonce per batch (a conditional PutItem / an SQLite row).
 */

export type StorageLayout = 'per-service-state' | 'heartbeat';

/** DynamoDB rounds every write up to 1 KB units and every strongly consistent read up to 4 KB. */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

export interface StorageInput {
  readonly services: number;
  readonly vantagePoints: number;
  /** Signed batches the coordinator received in the stretch. */
  readonly batches: number;
  /** Services one batch covers (a round is split when there are more). */
  readonly servicesPerBatch: number;
  /** Evaluations of every service without new observations (the coordinator's tick). */
  readonly ticks: number;
  /** per-service-state: one service's state item (votes of every vantage point). */
  readonly stateItemBytes: number;
  /** heartbeat: one heartbeat item (names the services its batch covers). */
  readonly heartbeatItemBytes: number;
  /** heartbeat: writes of changed votes and changed decisions (about 0 in steady state). */
  readonly changeWrites: number;
}

export interface StorageOps {
  readonly dynamoWriteRequests: number;
  readonly dynamoReadRequests: number;
  readonly dynamoWriteUnits: number;
  readonly dynamoReadUnits: number;
  readonly doRowsWritten: number;
  readonly doRowsRead: number;
}

export function storageOps(layout: StorageLayout, s: StorageInput): StorageOps {
  const nonces = s.batches;
  if (layout === 'per-service-state') {
    const evaluations = s.batches * s.servicesPerBatch + s.ticks * s.services;
    return {
      dynamoWriteRequests: evaluations + nonces,
      dynamoReadRequests: evaluations,
      dynamoWriteUnits: evaluations * writeUnits(s.stateItemBytes) + nonces * writeUnits(100),
      dynamoReadUnits: evaluations * readUnits(s.stateItemBytes),
      doRowsWritten: evaluations + nonces,
      doRowsRead: evaluations * 2,
    };
  }
  // One Query per evaluation (each batch, each tick) reads every vantage point's heartbeat.
  const evaluations = s.batches + s.ticks;
  const batchesPerRound = Math.ceil(s.services / s.servicesPerBatch);
  const queryBytes = s.vantagePoints * batchesPerRound * s.heartbeatItemBytes;
  return {
    dynamoWriteRequests: s.batches + s.changeWrites + nonces,
    dynamoReadRequests: evaluations,
    dynamoWriteUnits: s.batches * writeUnits(s.heartbeatItemBytes) + s.changeWrites + nonces * writeUnits(100),
    dynamoReadUnits: evaluations * readUnits(queryBytes),
    doRowsWritten: s.batches + s.changeWrites + nonces,
    doRowsRead: evaluations * s.vantagePoints * batchesPerRound,
  };
}
