/**
 * The scenario file format of `lifeboat simulate` (documented in docs/simulate.md). Times are in
 * seconds of virtual time from the start of the run.
 */
import { z } from 'zod';
import { policySchema } from '../engine/policy.ts';
import { CLOUDFLARE_LOCATION_HINTS } from '../config/schema.ts';

const seconds = z.number().nonnegative();
const vpList = z.array(z.string().regex(/^(aws|cloudflare):[a-z0-9-]+$/, 'must be provider:region, e.g. aws:us-east-1')).min(1);
const window = { at: seconds, until: seconds.optional() };
const coordinator = z.enum(['aws', 'cloudflare']);

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('primary-down'), ...window }).describe('Every probe of the primary fails (a real outage).'),
  z.strictObject({ kind: z.literal('primary-slow'), ...window, latencyMs: z.number().int().positive() })
    .describe('The primary answers, but this slowly (a real outage when over maxLatencyMs).'),
  z.strictObject({ kind: z.literal('primary-flaky'), ...window, failureRate: z.number().min(0).max(1) })
    .describe('Each probe of the primary fails with this probability (degraded, real).'),
  z.strictObject({ kind: z.literal('primary-flapping'), ...window, downSeconds: z.number().positive(), upSeconds: z.number().positive() })
    .describe('The primary alternates between down and up (real while down).'),
  z.strictObject({ kind: z.literal('secondary-down'), ...window }),
  z.strictObject({ kind: z.literal('false-failures'), ...window, vantagePoints: vpList.optional(), provider: coordinator.optional() })
    .describe('These vantage points see the primary fail although it is healthy (not real).'),
  z.strictObject({ kind: z.literal('vp-cutoff'), ...window, vantagePoints: vpList })
    .describe('These vantage points lose the internet: they must abstain.'),
  z.strictObject({ kind: z.literal('provider-down'), ...window, provider: coordinator })
    .describe('All of a provider: its vantage points and its coordinator go silent.'),
  z.strictObject({ kind: z.literal('coordinator-down'), ...window, coordinator }),
  z.strictObject({ kind: z.literal('coordinator-restart'), at: seconds, coordinator, duringFlip: z.boolean().default(false) })
    .describe('The coordinator process is replaced (state survives in its store); duringFlip: it dies between deciding and writing DNS.'),
  z.strictObject({ kind: z.literal('dns-errors'), ...window, coordinator: coordinator.optional(), error: z.enum(['5xx', 'throttling', 'timeout']).default('5xx') })
    .describe('The DNS API fails for one coordinator (or both) during the window.'),
  z.strictObject({ kind: z.literal('clock-skew'), at: seconds.default(0), vantagePoints: vpList, seconds: z.number() })
    .describe("These vantage points' clocks are off by this many seconds."),
  z.strictObject({ kind: z.literal('forged-observations'), ...window, attack: z.enum(['forged', 'replayed', 'expired', 'tampered', 'wrong-scope']) })
    .describe('An attacker posts "primary unhealthy" from every vantage point, once per interval.'),
]);

const countExpectation = z.union([z.number().int().nonnegative(), z.strictObject({ min: z.number().int().nonnegative().default(0), max: z.number().int().nonnegative().optional() })]);

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
    aws: z.array(z.string()).default(['us-east-1', 'eu-west-1', 'ap-northeast-2']),
    cloudflare: z.array(z.enum(CLOUDFLARE_LOCATION_HINTS)).default(['wnam', 'weur', 'apac']),
  }).default({ aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: ['wnam', 'weur', 'apac'] }),
  policy: policySchema.partial().default({}),
  faults: z.array(faultSchema).default([]),
  expect: z.strictObject({
    failovers: countExpectation.optional(),
    falseFailovers: countExpectation.default(0),
    failbacks: countExpectation.optional(),
    maxTimeToDecisionSeconds: z.number().positive().optional(),
    minSecondsBetweenFailovers: z.number().positive().optional().describe('Flap damping: no two failovers closer than this.'),
    finalActive: z.enum(['primary', 'secondary']).optional(),
    notifications: countExpectation.optional().describe('Failover + failback messages sent, across both coordinators.'),
    rejected: countExpectation.optional().describe('Requests the coordinators refused (forged, replayed...).'),
  }).default({ falseFailovers: 0 }),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Fault = z.output<typeof faultSchema>;
export type CountExpectation = z.output<typeof countExpectation>;
