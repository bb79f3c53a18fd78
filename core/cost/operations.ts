/**
 * How many billed operations a config performs in a stretch of time: pure counting, no prices.
 * The estimate (estimate.ts) prices a month of these; the counted-operations test
 * (test/cost/counted-operations.test.ts) runs the real code for a few rounds and compares what it
 * counted with these formulas for the same config and duration.
 */
import type { LifeboatConfig } from '../config/schema.ts';
import { probeInvocationMs, probeMemoryMb, WATCHDOG_INVOCATION_MS } from './probe-sizing.ts';
import { storageOps, type StorageOps } from './storage.ts';

/** How the deployed parts behave; defaults match the CDK stacks, the Worker and measurements. */
export interface CostAssumptions {
  /** Default: sized from the measured peak RSS (probe-sizing.ts), as the stack does. */
  readonly probeLambdaMemoryMb?: number;
  readonly coordinatorLambdaMemoryMb: number;
  /** One probe chain invocation; default from the local measurement (probe-sizing.ts). */
  readonly probeInvocationMs?: number;
  /** One coordinator call (verify, evaluate, store). */
  readonly coordinatorCallMs: number;
  readonly workerCpuMsPerRequest: number;
  /**
   * Item sizes of the vote ledger (bytes, DynamoDB's formula, core/cost/storage.ts itemBytes),
   * measured on the real items in test/cost/counted-operations.test.ts: a heartbeat (10 s
   * interval: the gray window's receive times, and the signed batch that wrote it), a sheet's
   * fixed part and per covered service, a decision state.
   */
  readonly heartbeatItemBytes: number;
  readonly sheetBaseBytes: number;
  readonly sheetBytesPerService: number;
  readonly stateItemBytes: number;
  /** Services one signed batch covers (64 KiB body; 2,000 results measured 231 KiB). */
  readonly servicesPerBatch: number;
  /** Vote and decision changes written per month per service (steady state: about none). */
  readonly changeWritesPerServiceMonth: number;
  /** Lambda's SQS poller: long-polling connections per queue (AWS starts with five). */
  readonly sqsPollers: number;
  readonly logBytesPerInvocation: number;
  /** Custom CloudWatch metrics the coordinator emits (functions/emf.ts). */
  readonly customMetrics: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  coordinatorLambdaMemoryMb: 512,
  coordinatorCallMs: 60,
  workerCpuMsPerRequest: 5,
  // Measured on the real items (test/cost/counted-operations.test.ts asserts these): 10 s
  // interval, service names of 14 characters; longer names add a byte each per service.
  heartbeatItemBytes: 741,
  sheetBaseBytes: 131,
  sheetBytesPerService: 197,
  stateItemBytes: 395,
  servicesPerBatch: 250,
  changeWritesPerServiceMonth: 10,
  sqsPollers: 5,
  logBytesPerInvocation: 1_000,
  customMetrics: 2,
};

export type CostInput = Pick<LifeboatConfig, 'services' | 'vantagePoints' | 'probing' | 'coordinators'>;

export interface AwsOperations {
  /** Probe chain hops: one invocation per round slot per region. */
  readonly probeInvocations: number;
  /** The probe chain's watchdog schedule: one a minute per region. */
  readonly watchdogInvocations: number;
  /** The coordinator's tick schedule: one a minute (also counted in coordinatorInvocations). */
  readonly tickInvocations: number;
  readonly coordinatorInvocations: number;
  readonly probeGbSeconds: number;
  readonly coordinatorGbSeconds: number;
  /** SendMessage by the chain; ReceiveMessage and DeleteMessageBatch by Lambda's poller. */
  readonly sqsSends: number;
  readonly sqsReceives: number;
  readonly sqsDeletes: number;
  /** Slot claims: one conditional UpdateItem per hop, one consistent GetItem per watchdog. */
  readonly claimWriteUnits: number;
  readonly claimReadUnits: number;
  readonly storage: StorageOps;
  readonly logBytes: number;
  readonly alarms: number;
}

export interface CloudflareOperations {
  readonly workerRequests: number;
  readonly workerCpuMs: number;
  readonly doRequests: number;
  readonly doGbSeconds: number;
  readonly storage: StorageOps;
}

export interface Operations {
  readonly seconds: number;
  readonly rounds: number;
  readonly minutes: number;
  /** Signed batches one coordinator receives. */
  readonly batches: number;
  readonly aws?: AwsOperations;
  readonly cloudflare?: CloudflareOperations;
}

export function batchesPerRound(services: number, servicesPerBatch: number): number {
  return Math.max(1, Math.ceil(services / servicesPerBatch));
}

/** Every billed operation in `seconds` of running `config` (whole rounds and whole minutes). */
export function countOperations(config: CostInput, seconds: number, assumptions: Partial<CostAssumptions> = {}): Operations {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const S = config.services.length;
  const awsVps = config.vantagePoints.aws.length;
  const cfVps = config.vantagePoints.cloudflare.length;
  const V = awsVps + cfVps;
  const rounds = Math.floor(seconds / config.probing.intervalSeconds);
  const minutes = Math.floor(seconds / 60);
  const perRound = batchesPerRound(S, a.servicesPerBatch);
  const batches = V * rounds * perRound;
  const storage = (ticks: number) => storageOps({
    services: S, vantagePoints: V, batches, slicesPerRound: perRound, ticks,
    heartbeatItemBytes: a.heartbeatItemBytes, sheetBaseBytes: a.sheetBaseBytes, sheetBytesPerService: a.sheetBytesPerService,
    stateItemBytes: a.stateItemBytes,
    changeWrites: Math.round(a.changeWritesPerServiceMonth * S * (seconds / (30 * 86_400))),
  });
  const out: { -readonly [K in keyof Operations]: Operations[K] } = { seconds, rounds, minutes, batches };

  if (awsVps > 0 || config.coordinators.aws !== undefined) {
    const probeGb = (a.probeLambdaMemoryMb ?? probeMemoryMb(S)) / 1024;
    const probeInvocations = awsVps * rounds;
    const watchdogInvocations = awsVps * minutes;
    // The control stack (the coordinator) is deployed with any AWS vantage point, URL set or not.
    // Every vantage point's batches, plus the coordinator's one-minute tick.
    const tickInvocations = minutes;
    const coordinatorInvocations = batches + tickInvocations;
    out.aws = {
      probeInvocations, watchdogInvocations, tickInvocations, coordinatorInvocations,
      probeGbSeconds: probeGb * (probeInvocations * (a.probeInvocationMs ?? probeInvocationMs(S)) + watchdogInvocations * WATCHDOG_INVOCATION_MS) / 1000,
      coordinatorGbSeconds: coordinatorInvocations * (a.coordinatorCallMs / 1000) * (a.coordinatorLambdaMemoryMb / 1024),
      sqsSends: probeInvocations,
      // Each delivered hop is one receive; the other pollers' long polls return empty every 20 s.
      sqsReceives: probeInvocations + awsVps * Math.max(0, a.sqsPollers - 1) * 3 * minutes,
      sqsDeletes: probeInvocations,
      claimWriteUnits: probeInvocations,
      claimReadUnits: watchdogInvocations,
      storage: storage(minutes),
      logBytes: (probeInvocations + watchdogInvocations + coordinatorInvocations) * a.logBytesPerInvocation,
      // One errors alarm per function (each probe region, the coordinator) and the coordinator's silence alarm.
      alarms: awsVps + 2,
    };
  }

  if (cfVps > 0 || config.coordinators.cloudflare !== undefined) {
    const awsBatchesToCf = awsVps * rounds * perRound; // over HTTP: a Worker request, then a DO request
    const cron = minutes; // the watchdog re-arming alarms
    const workerRequests = awsBatchesToCf + cron;
    const proberAlarms = cfVps * rounds;
    const coordRequests = batches + rounds + cron * (cfVps + 1); // batches, tick alarms, watchdog RPCs
    const roundMs = probeInvocationMs(S);
    out.cloudflare = {
      workerRequests,
      workerCpuMs: workerRequests * a.workerCpuMsPerRequest,
      doRequests: proberAlarms + coordRequests,
      doGbSeconds: (proberAlarms * (roundMs / 1000) + (batches + rounds) * (a.coordinatorCallMs / 1000)) * 0.125,
      storage: storage(rounds),
    };
  }
  return out;
}
