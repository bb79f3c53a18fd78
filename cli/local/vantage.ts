/**
 * Local vantage points: the same probe round as the Lambdas and the prober Durable Objects
 * (core/probe/round.ts), named after the config's AWS regions and Cloudflare locations, each on
 * its own interval timer (phases spread so the rounds do not all land at once).
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import { vantagePointsOf } from '#core/config/validate.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { postObservations, type CoordinatorEndpoint, type PostResult } from '#core/probe/post.ts';
import { runRound } from '#core/probe/round.ts';
import type { RequestSigner } from '#core/signing/signer.ts';
import { realSleep, systemClock, type Logger } from '#core/ports.ts';
import { nodeTcpConnect } from '../../functions/runtime/node-tcp.ts';

export interface VantageOptions {
  readonly config: LifeboatConfig;
  /** Where to post; read at every round so a coordinator can be swapped while running. */
  readonly coordinators: () => readonly CoordinatorEndpoint[];
  /** What each vantage point signs with (its provider's probe key). */
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
  const loops = vps.map(async (vp, i) => {
    // Spread the first rounds over one interval, as real probers in different regions would be.
    await realSleep(Math.floor((i * intervalMs) / vps.length), stop.signal).catch(() => undefined);
    for (let round = 1; !stop.signal.aborted; round++) {
      const started = Date.now();
      try {
        const fetchImpl = options.fetchFor?.(vp) ?? fetch;
        const batch = await runRound({ config, vantagePoint: vp, round, ranIn: 'local' }, { fetch: fetchImpl, tcpConnect: nodeTcpConnect, sleep: realSleep, clock: systemClock, logger });
        if (stop.signal.aborted) break;
        // Not awaited before the next round's timer: a slow coordinator never delays probing.
        void postObservations(batch, options.coordinators(), { fetch, clock: systemClock, signer: options.signerFor(vp), timeoutMs: Math.min(3000, intervalMs), logger })
          .then((posts) => options.onRound?.(batch, posts));
      } catch (err) {
        logger.error('probe round failed', { vantagePoint: vp, error: (err as Error).message });
      }
      await realSleep(Math.max(0, intervalMs - (Date.now() - started)), stop.signal).catch(() => undefined);
    }
  });
  return {
    vantagePoints: vps,
    async stop() {
      stop.abort();
      await Promise.all(loops);
    },
  };
}
