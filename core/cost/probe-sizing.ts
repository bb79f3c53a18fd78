/**
 * The probe Lambda's size and time, from measurement (bench/cost-probe.ts, recorded in
 * docs/benchmarks.md): the bundled probe in its own node process, loopback targets and
 * coordinators answering after 100 ms. Both the CDK stack (memory) and the cost model (GB-s)
 * read these, so they cannot disagree. These are LOCAL timings: Lambda's arm64 CPU and real
 * network latency differ, which the cost model says in its notes.
 */

/** Peak RSS measured: 104 MB (3 services), 133 MB (500), 174 MB (1,000). Linear fit, rounded up. */
export function probePeakRssMb(services: number): number {
  return Math.ceil(104 + 0.07 * services);
}

/**
 * Memory setting: half again the measured peak (GC headroom, Lambda's own runtime), in 64 MB
 * steps, at least Lambda's 128 MB.
 */
export function probeMemoryMb(services: number): number {
  return Math.max(128, Math.ceil((probePeakRssMb(services) * 1.5) / 64) * 64);
}

/**
 * One chain invocation's wall time: measured median 328 ms for the production example (6 targets,
 * 2 control URLs, posts to 2 coordinators) and about 9 ms more per target at 16 probes in flight
 * (9.8 s at 1,000 targets, 18.2 s at 2,000).
 */
export function probeInvocationMs(services: number): number {
  return 300 + 9 * 2 * services;
}

/** The watchdog's invocation: one GetItem (and rarely one SendMessage). */
export const WATCHDOG_INVOCATION_MS = 50;
