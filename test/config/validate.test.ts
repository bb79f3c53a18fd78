import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chainIntervalProblem, honouredIntervalSeconds, parseConfig, formatPath, policyFor, toleranceOf, vantagePointsOf } from '#core/config/validate.ts';
import { configJsonSchema } from '#core/config/json-schema.ts';
import { NOTIFY_EVENTS } from '#core/engine/decision.ts';
import production from '../../examples/production.config.ts';
import local from '../../lifeboat.config.ts';

const broken = JSON.parse(readFileSync(new URL('../fixtures/config/broken.config.json', import.meta.url), 'utf8'));

describe('config validation', () => {
  it('accepts the shipped configs', () => {
    for (const cfg of [production, local]) {
      const result = parseConfig(cfg);
      expect(result.ok ? [] : result.problems).toEqual([]);
    }
  });

  it('treats the JSON example exactly like the TypeScript one', () => {
    const json = JSON.parse(readFileSync(new URL('../../examples/production.config.json', import.meta.url), 'utf8'));
    const a = parseConfig(json);
    const b = parseConfig(production);
    expect(a.ok && b.ok && { ...a.config, $schema: undefined }).toEqual(b.ok && { ...b.config, $schema: undefined });
  });

  it('names every bad field by its path', () => {
    const result = parseConfig(broken);
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining([
      'services[0].primary.url',
      'services[0].primary.a[0]',
      'services[0].secondary.cname',
      'services[0].healthCheck.path',
      'services[0].healthCheck.expectStatus[1]',
      'services[0].healthCheck.expectStatus[2]',
      'services[0].healthCheck.timeoutMs',
      'services[0].dns[0].hostedZoneId',
      'services[0].polcy',
      'vantagePoints.aws[0]',
      'vantagePoints.cloudflare[1]',
      'keys[0].scope',
    ]));
  });

  it('refuses duplicate services and a config without a probe key', () => {
    const svc = production.services[0]!;
    const result = parseConfig({ ...production, services: [svc, { ...svc, name: 'APP.example.com.' }], keys: [{ id: 'ops-oncall', scope: 'operator' }] });
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(expect.arrayContaining([
      { path: 'services[1].name', message: 'duplicates services[0].name' },
      expect.objectContaining({ path: 'keys' }),
    ]));
  });

  it('warns when minVotes cannot be reached by one provider alone, or never', () => {
    const result = parseConfig({ ...production, vantagePoints: { aws: ['us-east-1', 'eu-west-1'], cloudflare: ['apac', 'weur'] }, policy: { minVotes: 3 } });
    expect(result.ok).toBe(true);
    const messages = result.ok ? result.warnings.map((w) => w.message).join('\n') : '';
    expect(messages).toContain('aws alone cannot fail over');
    const never = parseConfig({ ...production, vantagePoints: { aws: ['us-east-1'], cloudflare: ['apac'] } });
    expect(never.ok && never.warnings.map((w) => w.message).join('\n')).toContain('can never fail over');
  });

  it('says which provider can act alone, and when, under the quorum across providers', () => {
    const result = parseConfig({ ...production, vantagePoints: { aws: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-2', 'sa-east-1'], cloudflare: ['apac'] } });
    if (!result.ok) throw new Error('invalid');
    const t = toleranceOf(result.config, result.config.services[0]!);
    expect(t.providers).toMatchObject([
      { provider: 'aws', vantagePoints: 5, canJudge: true, canActAlone: true },
      { provider: 'cloudflare', vantagePoints: 1, canJudge: false, canActAlone: false },
    ]);
    expect(t.statements).toContain('cloudflare (1 VP) can never judge: it never blocks aws, and cannot fail over alone (minVotes 3)');
    expect(t.statements).toContain('aws (5 VPs) alone can fail over at any time: cloudflare has fewer than 2 vantage points and never judges');
    expect(t.statements).toContain('only aws judges: a fault or a stolen probe key at aws alone can move DNS');
    expect(result.warnings.map((w) => w.message).join('\n')).toContain('cloudflare can never judge, so aws alone decides');
    const both = parseConfig({ ...production, vantagePoints: { aws: ['us-east-1', 'us-west-2', 'eu-west-1'], cloudflare: ['apac', 'weur', 'enam'] } });
    if (!both.ok) throw new Error('invalid');
    expect(toleranceOf(both.config, both.config.services[0]!).statements).toEqual([
      'aws (3 VPs) alone can fail over when cloudflare has fewer than 2 fresh votes (e.g. cloudflare is down)',
      'cloudflare (3 VPs) alone can fail over when aws has fewer than 2 fresh votes (e.g. aws is down)',
      'a provider whose probes all lie (or whose probe key is stolen) cannot move DNS while the other has 2 or more fresh votes',
      'tolerates the loss of all of aws or all of cloudflare',
      'tolerates up to 3 silent vantage point(s) of 6 and still fails over a dead primary (when the rest agree)',
    ]);
  });

  it('resolves a service policy over the global one over the defaults', () => {
    const result = parseConfig(production);
    if (!result.ok) throw new Error('example invalid');
    const pay = result.config.services.find((s) => s.name === 'pay.example.com')!;
    const p = policyFor(result.config, pay);
    expect(p).toMatchObject({ minDwellMs: 1_800_000, minVotes: 3, failAfter: 2, freshForMs: 30_000, intervalMs: 10_000 });
    expect(vantagePointsOf(result.config)).toContain('aws:ap-northeast-2');
  });

  it('formats paths the way people write them', () => {
    expect(formatPath(['services', 0, 'dns', 1, 'ttl'])).toBe('services[0].dns[1].ttl');
    expect(formatPath([])).toBe('(root)');
  });

  it('ships a JSON Schema that is up to date', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../lifeboat.schema.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(configJsonSchema());
  });
});

describe('vantage point defaults', () => {
  it('probes from five AWS regions on four continents, Seoul among them, when none are given', () => {
    const result = parseConfig({ ...production, vantagePoints: { cloudflare: ['apac'] } });
    if (!result.ok) throw new Error(result.problems.map((p) => p.path).join());
    expect(result.config.vantagePoints.aws).toHaveLength(5);
    expect(result.config.vantagePoints.aws).toContain('ap-northeast-2');
    expect(parseConfig({ ...production, vantagePoints: { aws: [], cloudflare: ['apac', 'weur', 'enam'] } }).ok).toBe(true);
  });

  it('lets a webhook subscribe to every event the engine sends, and only those', () => {
    const withEvents = (events: string[]) => parseConfig({ ...production, notifications: { webhooks: [{ url: 'https://hooks.example.com/x', events }] } });
    for (const event of NOTIFY_EVENTS) expect(withEvents([event]).ok, event).toBe(true);
    expect(NOTIFY_EVENTS).toEqual(expect.arrayContaining(['flip-failing', 'flip-abandoned']));
    const typo = withEvents(['flip-failed']);
    expect(typo.ok).toBe(false);
    if (!typo.ok) expect(typo.problems[0]!.path).toBe('notifications.webhooks[0].events[0]');
  });
});

describe('the interval the AWS probe chain keeps (SQS DelaySeconds: whole seconds, at most 900)', () => {
  it('keeps every whole-second interval up to 900 s, dividing a minute or not', () => {
    for (const s of [1, 7, 10, 45, 90, 300, 900]) {
      expect(chainIntervalProblem(s), `${s} s`).toBeNull();
      expect(honouredIntervalSeconds(s)).toBe(s);
    }
  });

  it('names what it cannot keep: over 900 s, and fractions of a second', () => {
    expect(honouredIntervalSeconds(1200)).toBe(900);
    expect(chainIntervalProblem(1200)).toBe("1200 s is above SQS's longest message delay (900 s): the AWS probe chain really runs one round every 900 s; use at most 900 s");
    expect(chainIntervalProblem(7.5)).toMatch(/^7\.5 s is not whole seconds: .*use whole seconds$/);
  });

  it('the schema refuses both before any warning could', () => {
    for (const intervalSeconds of [7.5, 1200]) {
      const out = parseConfig({ ...production, probing: { ...production.probing, intervalSeconds } });
      expect(out.ok, `${intervalSeconds} s`).toBe(false);
      if (!out.ok) expect(out.problems.map((p) => p.path)).toContain('probing.intervalSeconds');
    }
  });
});
