/**
 * Built-in scenarios: the seven properties of docs/design.md and the other faults an SRE asks
 * about. Defaults: 3 AWS + 3 Cloudflare vantage points, 10 s interval, failAfter 2, minVotes 3.
 */
import { scenarioSchema, type Scenario, type ScenarioInput } from './scenario.ts';

const AUTO_FAILBACK = { failback: 'auto', recoverAfterSeconds: 600, minDwellSeconds: 900 } as const;

export const BUILTIN_SCENARIOS: readonly ScenarioInput[] = [
  {
    name: 'primary-hard-down',
    property: '1',
    description: 'The primary site loses power at 60 s and stays down: fail over within interval x (failAfter + 1).',
    durationSeconds: 300,
    faults: [{ kind: 'primary-down', at: 60 }],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 30, finalActive: 'secondary', notifications: 1 },
  },
  {
    name: 'one-vp-false-failures',
    property: '2',
    description: 'One vantage point sees the primary fail for an hour while the other five see it healthy.',
    durationSeconds: 3600,
    faults: [{ kind: 'false-failures', at: 30, vantagePoints: ['aws:us-east-1'] }],
    expect: { failovers: 0, finalActive: 'primary' },
  },
  {
    name: 'one-provider-false-failures',
    property: '2',
    description: "All of Cloudflare's vantage points see the primary fail (a Cloudflare-side routing problem) while AWS's see it healthy.",
    durationSeconds: 3600,
    faults: [{ kind: 'false-failures', at: 30, provider: 'cloudflare' }],
    expect: { failovers: 0, finalActive: 'primary' },
  },
  {
    name: 'provider-down-then-primary-dies',
    property: '3',
    description: 'Cloudflare goes silent (probes and coordinator) at 50 s, then the primary dies at 60 s: AWS alone fails over once the silent votes go stale.',
    durationSeconds: 400,
    faults: [{ kind: 'provider-down', at: 50, provider: 'cloudflare' }, { kind: 'primary-down', at: 60 }],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 60, finalActive: 'secondary', notifications: 1 },
  },
  {
    name: 'aws-down-then-primary-dies',
    property: '3',
    description: 'The mirror image: AWS is silent, Cloudflare alone fails over.',
    durationSeconds: 400,
    faults: [{ kind: 'provider-down', at: 0, provider: 'aws' }, { kind: 'primary-down', at: 60 }],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 30, finalActive: 'secondary', notifications: 1 },
  },
  {
    name: 'flapping-primary',
    property: '4',
    description: 'The primary is down 60 s, up 60 s, for an hour, under auto failback: one failover, and no failback (never healthy for recoverAfter).',
    durationSeconds: 3600,
    policy: AUTO_FAILBACK,
    faults: [{ kind: 'primary-flapping', at: 60, downSeconds: 60, upSeconds: 60 }],
    expect: { failovers: 1, failbacks: 0, finalActive: 'secondary' },
  },
  {
    name: 'flapping-slowly',
    property: '4',
    description: 'Down 60 s, up 12 min, under auto failback: fails back after recoverAfter, and never fails over twice within minDwell.',
    durationSeconds: 7200,
    policy: AUTO_FAILBACK,
    faults: [{ kind: 'primary-flapping', at: 60, downSeconds: 60, upSeconds: 720 }],
    expect: { failovers: { min: 2, max: 8 }, failbacks: { min: 2 }, minSecondsBetweenFailovers: 900 },
  },
  {
    name: 'dns-errors-on-one-coordinator',
    property: '5',
    description: "AWS's DNS calls fail with 5xx during the outage: the Cloudflare coordinator makes the change; one message.",
    durationSeconds: 300,
    faults: [{ kind: 'primary-down', at: 60 }, { kind: 'dns-errors', at: 0, until: 200, coordinator: 'aws', error: '5xx' }],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 30, finalActive: 'secondary', notifications: 1 },
  },
  {
    name: 'dns-throttled-everywhere',
    property: '5',
    description: 'Both coordinators are throttled by the DNS API for two minutes: the flip is retried and lands once, whole.',
    durationSeconds: 400,
    faults: [{ kind: 'primary-down', at: 60 }, { kind: 'dns-errors', at: 0, until: 200, error: 'throttling' }],
    expect: { failovers: 1, finalActive: 'secondary', notifications: 1 },
  },
  {
    name: 'coordinator-restart-mid-incident',
    property: '6',
    description: 'The AWS coordinator restarts while the failover streak is running: the decision is neither lost nor repeated.',
    durationSeconds: 300,
    faults: [{ kind: 'primary-down', at: 60 }, { kind: 'coordinator-restart', at: 75, coordinator: 'aws' }],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 30, finalActive: 'secondary', notifications: 1 },
  },
  {
    name: 'coordinator-dies-while-writing-dns',
    property: '6',
    description: 'Cloudflare is down; the AWS coordinator dies between saving its decision and writing DNS: its restart applies the saved flip once.',
    durationSeconds: 400,
    faults: [
      { kind: 'provider-down', at: 0, provider: 'cloudflare' },
      { kind: 'primary-down', at: 60 },
      { kind: 'coordinator-restart', at: 61, coordinator: 'aws', duringFlip: true },
    ],
    expect: { failovers: 1, finalActive: 'secondary', notifications: 1 },
  },
  ...(['forged', 'replayed', 'expired', 'tampered', 'wrong-scope'] as const).map((attack): ScenarioInput => ({
    name: `${attack}-observations`,
    property: '7',
    description: `An attacker posts "primary unhealthy" (${attack}) to both coordinators every interval for 10 minutes: all refused, nothing changes.`,
    durationSeconds: 700,
    faults: [{ kind: 'forged-observations', at: 30, until: 630, attack }],
    expect: { failovers: 0, finalActive: 'primary', rejected: { min: 100 } },
  })),
  {
    name: 'slow-primary',
    description: 'The primary answers in 5 s, over the 2 s latency limit: a real outage for users, so fail over.',
    durationSeconds: 300,
    faults: [{ kind: 'primary-slow', at: 60, latencyMs: 5000 }],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 30, finalActive: 'secondary' },
  },
  {
    name: 'slow-but-within-limit',
    description: 'The primary answers in 1.5 s, under the 2 s limit: no failover.',
    durationSeconds: 600,
    faults: [{ kind: 'primary-slow', at: 60, latencyMs: 1500 }],
    expect: { failovers: 0 },
  },
  {
    name: 'half-failing-primary',
    description: 'Half of all requests to the primary fail for an hour. The rapid recheck filters most of it; Lifeboat must not flap (at most one failover, no failback storm).',
    durationSeconds: 3600,
    faults: [{ kind: 'primary-flaky', at: 60, failureRate: 0.5 }],
    expect: { failovers: { max: 1 }, failbacks: 0 },
  },
  {
    name: 'clock-skew-30s',
    description: "One vantage point's clock is 30 s behind and another's 30 s ahead; then the primary dies: failover as usual, no false alarm before.",
    durationSeconds: 400,
    faults: [
      { kind: 'clock-skew', at: 0, vantagePoints: ['aws:eu-west-1'], seconds: -30 },
      { kind: 'clock-skew', at: 0, vantagePoints: ['cloudflare:apac'], seconds: 30 },
      { kind: 'primary-down', at: 200 },
    ],
    expect: { failovers: 1, maxTimeToDecisionSeconds: 30, finalActive: 'secondary' },
  },
  {
    name: 'secondary-dies-after-failover',
    description: 'The primary dies for good at 60 s; the secondary dies at 200 s. Lifeboat stays on the secondary (fails static, never empty) and raises an alert.',
    durationSeconds: 600,
    faults: [{ kind: 'primary-down', at: 60 }, { kind: 'secondary-down', at: 200 }],
    expect: { failovers: 1, failbacks: 0, finalActive: 'secondary' },
  },
  {
    name: 'secondary-dies-after-primary-recovers',
    description: 'The primary is down 60-300 s; after it recovers (manual failback), the secondary dies at 400 s: Lifeboat returns to the healthy primary at once.',
    durationSeconds: 700,
    faults: [{ kind: 'primary-down', at: 60, until: 300 }, { kind: 'secondary-down', at: 400 }],
    expect: { failovers: 1, failbacks: 1, finalActive: 'primary' },
  },
  {
    name: 'secondary-unhealthy-before-outage',
    description: 'The secondary is already down when the primary dies: never fail over onto an unhealthy secondary.',
    durationSeconds: 400,
    faults: [{ kind: 'secondary-down', at: 0 }, { kind: 'primary-down', at: 60 }],
    expect: { failovers: 0, finalActive: 'primary' },
  },
  {
    name: 'vantage-points-cut-off',
    description: 'Two vantage points lose the internet: they abstain instead of voting the primary down.',
    durationSeconds: 600,
    faults: [{ kind: 'vp-cutoff', at: 60, vantagePoints: ['aws:us-east-1', 'cloudflare:wnam'] }],
    expect: { failovers: 0, finalActive: 'primary' },
  },
  {
    name: 'manual-failback-stays',
    description: 'The primary is down 60-200 s, then healthy: under manual failback Lifeboat stays on the secondary.',
    durationSeconds: 1200,
    faults: [{ kind: 'primary-down', at: 60, until: 200 }],
    expect: { failovers: 1, failbacks: 0, finalActive: 'secondary' },
  },
  {
    name: 'auto-failback',
    description: 'Same outage under auto failback: back to the primary once it has been healthy for recoverAfter (600 s).',
    durationSeconds: 1200,
    policy: { failback: 'auto', recoverAfterSeconds: 600 },
    faults: [{ kind: 'primary-down', at: 60, until: 200 }],
    expect: { failovers: 1, failbacks: 1, finalActive: 'primary', notifications: 2 },
  },
];

export function builtinScenarios(): Scenario[] {
  return BUILTIN_SCENARIOS.map((s) => scenarioSchema.parse(s));
}
