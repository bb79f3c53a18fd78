/**
 * The scenario file format of `lifeboat simulate` (documented in docs/simulate.md). Times are in
 * seconds of virtual time from the start of the run.
 */
import { z } from 'zod';
import { policySchema } from '../config/policy-schema.ts';
import { CLOUDFLARE_LOCATION_HINTS } from '../config/schema.ts';

const seconds = z.number().nonnegative();
const vpName = z.string().regex(/^(aws|cloudflare):[a-z0-9-]+$/, 'must be provider:region, e.g. aws:us-east-1');
const vpList = z.array(vpName).min(1);
const window = { at: seconds, until: seconds.optional() };
const coordinator = z.enum(['aws', 'cloudflare']);
const provider = coordinator;
const rate = z.number().min(0).max(1);

/** Who a fault applies to: listed vantage points, a whole provider, or (neither) every one. */
const who = { vantagePoints: vpList.optional(), provider: provider.optional() };

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('primary-down'), ...window }).describe('Every probe of the primary fails (a real outage).'),
  z.strictObject({ kind: z.literal('primary-slow'), ...window, latencyMs: z.number().int().positive() })
    .describe('The primary answers, but this slowly (a real outage when over maxLatencyMs).'),
  z.strictObject({ kind: z.literal('primary-flaky'), ...window, failureRate: rate })
    .describe('Each probe of the primary fails with this probability (real at the moments it fails).'),
  z.strictObject({ kind: z.literal('primary-flapping'), ...window, downSeconds: z.number().positive(), upSeconds: z.number().positive() })
    .describe('The primary alternates between down and up (real while down).'),
  z.strictObject({ kind: z.literal('secondary-down'), ...window }),
  z.strictObject({ kind: z.literal('secondary-slow'), ...window, latencyMs: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('secondary-flaky'), ...window, failureRate: rate }),
  z.strictObject({ kind: z.literal('false-failures'), ...window, ...who })
    .describe('These vantage points see the primary fail although it is healthy (not real).'),
  z.strictObject({ kind: z.literal('vp-cutoff'), ...window, vantagePoints: vpList })
    .describe('These vantage points lose the internet: they must abstain.'),
  z.strictObject({ kind: z.literal('vp-silent'), ...window, ...who })
    .describe('These vantage points send nothing (crashed prober, expired credentials).'),
  z.strictObject({ kind: z.literal('partition'), ...window, ...who, coordinators: z.array(coordinator).min(1) })
    .describe("Posts from these vantage points (default: all) to these coordinators are lost; the rest of the network works."),
  z.strictObject({ kind: z.literal('provider-down'), ...window, provider })
    .describe('All of a provider: its vantage points and its coordinator go silent.'),
  z.strictObject({ kind: z.literal('coordinator-down'), ...window, coordinator }),
  z.strictObject({ kind: z.literal('coordinator-restart'), at: seconds, coordinator, duringFlip: z.boolean().default(false) })
    .describe('The coordinator process is replaced (state survives in its store); duringFlip: it crashes between saving a flip and writing DNS (as coordinator-crash).'),
  z.strictObject({
    kind: z.literal('coordinator-crash'), at: seconds, coordinator,
    point: z.enum(['now', 'before-dns-write', 'after-dns-write']).default('before-dns-write'),
    restartAfterSeconds: seconds.default(0),
  }).describe('The coordinator process dies (at once, or at its next DNS write, before or after it): its memory is lost, whatever it was doing stops, and it restarts from its store.'),
  z.strictObject({ kind: z.literal('dns-errors'), ...window, coordinator: coordinator.optional(), error: z.enum(['5xx', 'throttling', 'timeout']).default('5xx') })
    .describe('The DNS API fails for one coordinator (or both) during the window.'),
  z.strictObject({ kind: z.literal('clock-skew'), at: seconds.default(0), vantagePoints: vpList, seconds: z.number() })
    .describe("These vantage points' clocks are off by this many seconds."),
  z.strictObject({ kind: z.literal('forged-observations'), ...window, attack: z.enum(['forged', 'replayed', 'expired', 'tampered', 'wrong-scope']) })
    .describe('An attacker without a valid probe key posts "primary unhealthy" from every vantage point, once per interval.'),
  z.strictObject({
    kind: z.literal('malicious-vp'), ...window,
    key: provider.describe("Whose valid probe key the attacker holds (stolen, or a rogue prober)."),
    attack: z.enum(['lie', 'impersonate', 'invent', 'skew', 'replay']),
    postAs: vpList.optional().describe('Vantage points it posts as (default: lie/skew/replay the key\'s provider, impersonate the other provider).'),
    verdict: z.enum(['healthy', 'unhealthy']).default('unhealthy'),
    count: z.number().int().min(1).max(200).default(20).describe('invent: how many invented names.'),
    skewSeconds: z.number().default(365 * 24 * 3600).describe('skew: observedAt this far from now (negative: in the past).'),
    ageSeconds: seconds.default(290).describe('replay: re-sends the honest batches of this many seconds ago, freshly signed.'),
  }).describe('An attacker holding a valid probe key posts every interval to both coordinators.'),
  z.strictObject({
    kind: z.literal('override'), ...window,
    action: z.enum(['force-primary', 'force-secondary', 'freeze', 'auto']),
    coordinators: z.array(coordinator).min(1).default(['aws', 'cloudflare']),
    reason: z.string().min(3).default('simulated operator action'),
  }).describe('An operator sends a signed override at `at`, expiring at `until` (none: until cleared).'),
  z.strictObject({ kind: z.literal('maintenance'), at: seconds, until: seconds })
    .describe('A configured one-off maintenance window: automation frozen, no hold alerts.'),
]).superRefine((f, ctx) => {
  if ('until' in f && f.until !== undefined && f.until <= f.at) ctx.addIssue({ code: 'custom', path: ['until'], message: `must be after at (${f.at})` });
  if ('vantagePoints' in f && 'provider' in f && f.vantagePoints !== undefined && f.provider !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['provider'], message: 'give vantagePoints or provider, not both' });
  }
});

const countExpectation = z.union([z.number().int().nonnegative(), z.strictObject({ min: z.number().int().nonnegative().default(0), max: z.number().int().nonnegative().optional() })]);
const secondsRange = z.strictObject({ min: z.number().nonnegative().optional(), max: z.number().nonnegative().optional() });

export const scheduleSchema = z.strictObject({
  phase: z.enum(['random', 'spread', 'aligned']).default('random')
    .describe('random: a seeded phase per vantage point; spread: the deployed probers\' phase, derived from the VP name (core/probe/schedule.ts); aligned: all at the start of each interval (0.1\'s Durable Object alarms).'),
  phases: z.record(vpName, z.number().nonnegative()).default({}).describe('Seconds into the interval, per vantage point; beats `phase`.'),
  jitterMs: z.number().int().nonnegative().optional().describe('Each round starts up to this much later, drawn afresh every round (default: the deployed jitter).'),
}).default({ phase: 'random', phases: {} });

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  property: z.string().optional().describe('Which DESIGN property this scenario proves, if any.'),
  seed: z.number().int().default(1),
  durationSeconds: z.number().positive().max(7 * 24 * 3600),
  intervalSeconds: z.number().int().min(1).max(300).default(10),
  recheckDelayMs: z.number().int().min(0).default(1000),
  maxLatencyMs: z.number().int().positive().default(2000),
  dnsWriteMs: z.number().int().nonnegative().default(500).describe('How long one DNS API call takes.'),
  vantagePoints: z.strictObject({
    aws: z.array(z.string().regex(/^[a-z0-9-]+$/, 'must be a region name, e.g. us-east-1')).default(['us-east-1', 'eu-west-1', 'ap-northeast-2']),
    cloudflare: z.array(z.enum(CLOUDFLARE_LOCATION_HINTS)).default(['wnam', 'weur', 'apac']),
  }).default({ aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: ['wnam', 'weur', 'apac'] }),
  probeSchedule: scheduleSchema,
  policy: policySchema.partial().default({}),
  faults: z.array(faultSchema).default([]),
  expect: z.strictObject({
    failovers: countExpectation.optional(),
    falseFailovers: countExpectation.default(0),
    failbacks: countExpectation.optional(),
    maxTimeToDecisionSeconds: z.number().positive().optional(),
    timeToDecisionSeconds: secondsRange.optional().describe('From the first real primary fault to the first failover decision.'),
    timeToDnsSeconds: secondsRange.optional().describe('From the first real primary fault to DNS serving the secondary.'),
    minSecondsBetweenFailovers: z.number().positive().optional().describe('Flap damping: no two failovers closer than this.'),
    finalActive: z.enum(['primary', 'secondary']).optional(),
    noticed: z.boolean().optional().describe('true: a failover decision or a degraded alert happened; false: neither.'),
    notifications: countExpectation.optional().describe('Failover + failback messages sent, across both coordinators.'),
    events: z.record(z.string().min(1), countExpectation).optional().describe('Notices per event name (hold, degraded, flip-abandoned...), across both coordinators.'),
    holds: z.record(z.string().min(1), countExpectation).optional().describe('Hold alerts per reason.'),
    uniqueNotificationKeys: z.boolean().optional().describe('No idempotency key is used by two different notices.'),
    decidedBy: z.array(coordinator).optional().describe('Every failover/failback decision was made by one of these coordinators.'),
    rejected: countExpectation.optional().describe('Requests the coordinators refused (forged, replayed, impersonating...).'),
    refusedObservations: countExpectation.optional().describe('Observations refused for their observedAt.'),
  }).default({ falseFailovers: 0 }),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Fault = z.output<typeof faultSchema>;
export type CountExpectation = z.output<typeof countExpectation>;
