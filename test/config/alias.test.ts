/** Route 53 alias targets in the config: accepted for Route 53 zones, refused elsewhere with the path at fault. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/validate.ts';
import { serviceDns } from '#core/dns/desired.ts';

const ALB = { dnsName: 'dualstack.primary-alb-123.ap-northeast-2.elb.amazonaws.com', hostedZoneId: 'ZWKZPGTI48KDX' };
const CF = { dnsName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2' };

function cfg(service: Record<string, unknown>) {
  return {
    services: [{
      name: 'app.example.com',
      primary: { url: 'https://primary.example.com', alias: ALB },
      secondary: { url: 'https://secondary.example.com', alias: CF },
      healthCheck: { type: 'http', path: '/health' },
      dns: [{ provider: 'route53', hostedZoneId: 'Z0SERVICEZONE' }],
      ...service,
    }],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }],
  };
}

const problems = (input: unknown) => {
  const r = parseConfig(input);
  return r.ok ? [] : r.problems;
};

describe('alias targets in the config', () => {
  it('accepts alias targets on a Route 53 zone, with evaluateTargetHealth and ipv6 defaulting to false', () => {
    const r = parseConfig(cfg({}));
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    const service = r.config.services[0]!;
    expect(service.primary.alias).toEqual({ ...ALB, evaluateTargetHealth: false, ipv6: false });
    expect(serviceDns(service, service.dns[0]!).targets.secondary).toEqual([
      { name: 'app.example.com', type: 'A', ttl: 0, values: [], alias: { dnsName: CF.dnsName, hostedZoneId: CF.hostedZoneId, evaluateTargetHealth: false } },
    ]);
  });

  it('accepts an address primary with an alias secondary (both serve A)', () => {
    expect(problems(cfg({ primary: { url: 'https://primary.example.com', a: ['203.0.113.10'] } }))).toEqual([]);
  });

  it('refuses an alias for a Cloudflare zone, suggesting a CNAME', () => {
    expect(problems(cfg({ dns: [{ provider: 'route53', hostedZoneId: 'Z0SERVICEZONE' }, { provider: 'cloudflare', zoneId: 'a'.repeat(32) }] }))).toEqual([
      { path: 'services[0].dns[1].provider', message: 'primary.alias is a Route 53 alias record, which a cloudflare zone cannot hold (Cloudflare has no Route 53 alias: give the target a cname to the resource\'s DNS name instead); use Route 53 zones only for this service, or give primary a, aaaa or cname' },
      { path: 'services[0].dns[1].provider', message: 'secondary.alias is a Route 53 alias record, which a cloudflare zone cannot hold (Cloudflare has no Route 53 alias: give the target a cname to the resource\'s DNS name instead); use Route 53 zones only for this service, or give secondary a, aaaa or cname' },
    ]);
  });

  it('refuses an alias for the embedded zone', () => {
    expect(problems(cfg({ dns: [{ provider: 'embedded' }] })).map((p) => p.path)).toEqual(['services[0].dns[0].provider', 'services[0].dns[0].provider']);
  });

  it('refuses a malformed alias hosted zone id, a bad DNS name, and alias beside other values', () => {
    expect(problems(cfg({
      primary: { url: 'https://primary.example.com', alias: { dnsName: 'not a name', hostedZoneId: 'z-lower' }, a: ['203.0.113.10'] },
    }))).toEqual(expect.arrayContaining([
      { path: 'services[0].primary.alias.dnsName', message: 'must be a DNS name such as app.example.com' },
      { path: 'services[0].primary.alias.hostedZoneId', message: 'must be a Route 53 hosted zone id such as Z0123456789ABC' },
    ]));
    expect(problems(cfg({ primary: { url: 'https://primary.example.com', alias: ALB, a: ['203.0.113.10'], cname: 'x.example.com' } }))).toEqual([
      { path: 'services[0].primary.alias', message: 'an alias cannot be combined with a, cname: give alias alone' },
    ]);
  });

  it('refuses alias with a cname on the other side, unknown alias fields, and data-plane mode', () => {
    expect(problems(cfg({ secondary: { url: 'https://secondary.example.com', cname: 'backup.example.net' } }))).toEqual([
      { path: 'services[0].secondary', message: 'primary and secondary must both use cname, or both use a/aaaa records or alias' },
    ]);
    expect(problems(cfg({ primary: { url: 'https://primary.example.com', alias: { ...ALB, ttl: 60 } } }))).toEqual([
      { path: 'services[0].primary.alias.ttl', message: 'unknown field (check the spelling)' },
    ]);
    expect(problems(cfg({ mode: 'data-plane' })).map((p) => p.path)).toEqual(['services[0].primary.alias', 'services[0].secondary.alias']);
  });

  it('takes checkPropagation on a Route 53 entry only', () => {
    expect(problems(cfg({ dns: [{ provider: 'route53', hostedZoneId: 'Z0SERVICEZONE', checkPropagation: false }] }))).toEqual([]);
    expect(problems(cfg({ primary: { url: 'https://p.example.com', a: ['203.0.113.1'] }, secondary: { url: 'https://s.example.com', a: ['203.0.113.2'] }, dns: [{ provider: 'embedded', checkPropagation: true }] }))).toEqual([
      { path: 'services[0].dns[0].checkPropagation', message: 'unknown field (check the spelling)' },
    ]);
  });
});
