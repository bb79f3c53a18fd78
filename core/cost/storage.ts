/**
 * The coordinators' storage operations for a stretch of time: the one place that knows the
 * storage layout, so a layout change is one function here (and its counted test,
 * test/cost/counted-operations.test.ts, which runs the real DynamoDB store against dynalite).
 *
 * The vote ledger (core/coordinator/ledger.ts, functions/dynamo/state-store.ts): per signed batch
 *   - one Query of the batch's vantage point's ledger items (its heartbeats and sheets), strongly
 *     consistent: what the batch is compared with;
 *   - one conditional PutItem of the slice's heartbeat, which is also the batch's replay guard
 *     (since 0.3: no LB1 nonce item per batch, core/coordinator/store.ts replayRefused);
 *   - one Query of the whole state partition (every decision state, every heartbeat and sheet):
 *     what the batch's services are evaluated on;
 * per coordinator tick one Query of the state partition; and writes only on change: a vote sheet
 * when a verdict changes, a decision state when a decision changes.
 * A Query bills the summed size of the items it returns, rounded up to 4 KB (strongly
 * consistent); a PutItem the larger of the old and new item, rounded up to 1 KB.
 */

/** DynamoDB rounds every write up to 1 KB units and every strongly consistent read up to 4 KB. */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number) => Math.ceil(bytes / 4096);

/** A DynamoDB attribute value, as the low-level API writes it (the kinds the stores use). */
export type SizedValue = { readonly S: string } | { readonly N: string };

/**
 * DynamoDB's size of an item: per attribute its name's bytes plus its value's (a string's UTF-8
 * bytes; a number 1 byte plus 1 per two significant digits), per the DynamoDB developer guide's
 * "Item sizes and formats". The counted test measures the real items with it.
 */
export function itemBytes(item: Readonly<Record<string, SizedValue>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += new TextEncoder().encode(name).length;
    total += 'S' in value ? new TextEncoder().encode(value.S).length : numberBytes(value.N);
  }
  return total;
}

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length === 0) return 1;
  const [whole = ''] = n.replace(/^-/, '').split('.');
  // Digits are stored in pairs aligned on the decimal point (base 100), plus one byte of
  // exponent: an even number of digits starting on an odd position takes one pair more.
  const oddWholeDigits = whole.replace(/^0+/, '').length % 2 === 1;
  return 1 + Math.ceil(digits.length / 2) + (digits.length % 2 === 0 && oddWholeDigits ? 1 : 0) + (n.startsWith('-') ? 1 : 0);
}

export interface StorageInput {
  readonly services: number;
  readonly vantagePoints: number;
  /** Signed batches the coordinator received in the stretch. */
  readonly batches: number;
  /** Batches per vantage point per round (a round over many services is split). */
  readonly slicesPerRound: number;
  /** Evaluations of every service without new observations (the coordinator's tick). */
  readonly ticks: number;
  /** One heartbeat item (its size does not grow with services: receive times in the gray window). */
  readonly heartbeatItemBytes: number;
  /** One vote sheet item: a fixed part, and a part per service its slice covers. */
  readonly sheetBaseBytes: number;
  readonly sheetBytesPerService: number;
  /** One service's decision state item. */
  readonly stateItemBytes: number;
  /** Vote sheet and decision state writes (about 0 in steady state). */
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

export function storageOps(s: StorageInput): StorageOps {
  // One vantage point's items: a heartbeat and a sheet per slice, the sheets naming every service.
  const ownLedgerBytes = s.slicesPerRound * (s.heartbeatItemBytes + s.sheetBaseBytes) + s.services * s.sheetBytesPerService;
  const sheetBytes = s.sheetBaseBytes + Math.ceil(s.services / s.slicesPerRound) * s.sheetBytesPerService;
  const partitionBytes = s.services * s.stateItemBytes + s.vantagePoints * ownLedgerBytes;
  const snapshots = s.batches + s.ticks;
  const ledgerRows = s.vantagePoints * s.slicesPerRound * 2;
  return {
    dynamoWriteRequests: s.batches + s.changeWrites,
    dynamoReadRequests: s.batches + snapshots,
    dynamoWriteUnits: s.batches * writeUnits(s.heartbeatItemBytes) + s.changeWrites * writeUnits(Math.max(sheetBytes, s.stateItemBytes)),
    dynamoReadUnits: s.batches * readUnits(ownLedgerBytes) + snapshots * readUnits(partitionBytes),
    // SQLite (workers/storage): one heartbeat row per batch (lb_ledger is WITHOUT ROWID: one b-tree), no nonce row.
    doRowsWritten: s.batches + s.changeWrites,
    doRowsRead: s.batches * s.slicesPerRound * 2 + snapshots * (s.services + ledgerRows),
  };
}
