/**
 * Local vantage points: core's vantage round (core/probe/vantage.ts), as the Lambdas and the
 * prober Durable Objects run it, named after the config's AWS regions and Cloudflare locations,
 * each on its own interval at its own phase (core/probe/schedule.ts: the rounds do not all land at once).
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import { vantagePointsOf } from '#core/config/validate.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import type { CoordinatorEndpoint, PostResult } from '#core/probe/post.ts';
import { probeOffsetMs, roundsOnInterval } from '#core/probe/schedule.ts';
import { runVantageRound } from '#core/probe/vantage.ts';
import type { RequestSigner } from '#core/signing/signer.ts';
import { realSleep, systemClock, type Logger } from '#core/ports.ts';
import { nodeTcpConnect } from '../../functions/runtime/node-tcp.ts';

export interface VantageOptions {
  readonly config: LifeboatConfig;
  /** Where to post; read at every round so a coordinator can be swapped while running. */
  readonly coordinators: () => readonly CoordinatorEndpoint[];
  /** Each vantage point's signer: a provider's vantage points sign with that provider's key. */
  readonly signerFor: (vp: VantagePoint) => RequestSigner;
  readonly logger: Logger;
  /** Called after each round with what was seen and how each post went. */
  readonly onRound?: (batch: ObservationBatch, posts: readonly PostResult[]) => void;
  /** Lets a test make some vantage points see a different world (e.g. every probe fails). */
  readonly fetchFor?: (vp: VantagePoint) => typeof fetch;
}

export interface VantageFleet {
  readonly vantagePoints: readonly VantagePoint[];
  stop(): Promise<void>;
}

export function startVantagePoints(options: VantageOptions): VantageFleet {
  const { config, logger } = options;
  const intervalMs = config.probing.intervalSeconds * 1000;
  const vps = vantagePointsOf(config);
  const stop = new AbortController();
  const started = systemClock.now();
  const loops = vps.map((vp) => roundsOnInterval({
    // Each vantage point at its own phase in the interval (plus jitter), as deployed probers are.
    firstAt: started + probeOffsetMs(vp, intervalMs, Math.random), intervalMs, sleep: realSleep, clock: systemClock, signal: stop.signal,
  }, async (index) => {
    try {
      const { batch, posts } = await runVantageRound(
        { config, vantagePoint: vp, round: index + 1, ranIn: 'local', endpoints: options.coordinators() },
        { fetch: options.fetchFor?.(vp) ?? fetch, postFetch: fetch, tcpConnect: nodeTcpConnect, sleep: realSleep, clock: systemClock, logger,
          signer: options.signerFor(vp), postTimeoutMs: Math.min(3000, intervalMs), signal: stop.signal },
      );
      if (!stop.signal.aborted) options.onRound?.(batch, posts);
    } catch (err) {
      logger.error('probe round failed', { vantagePoint: vp, error: (err as Error).message });
    }
  }));
  return {
    vantagePoints: vps,
    async stop() {
      stop.abort();
      await Promise.all(loops);
    },
  };
}
