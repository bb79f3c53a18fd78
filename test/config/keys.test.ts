/** The `keys` section: speaksFor required for probe keys, ECDSA public keys, and validate's key warnings. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/validate.ts';
import production from '../../examples/production.config.ts';
import local from '../../lifeboat.config.ts';

const PUB = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO0e4jbOyw8+sTRAKQXpzJxgsooSt36NT9fkylr4upxtY0p2aZJMqTIjZ4XFiJv09cAozA4GDZm+dy1/gEvoX3w==';
const withKeys = (keys: unknown[]) => parseConfig({ ...production, keys });
const problems = (keys: unknown[]) => { const r = withKeys(keys); return r.ok ? [] : r.problems; };
const warnings = (keys: unknown[]) => { const r = withKeys(keys); return r.ok ? r.warnings : []; };

describe('config keys', () => {
  it('refuses a probe key without speaksFor, naming keys[i].speaksFor and how to fix it', () => {
    expect(problems([{ id: 'ops-a1', scope: 'operator' }, { id: 'probe-x', scope: 'probe' }])).toEqual([
      { path: 'keys[1].speaksFor', message: expect.stringMatching(/speaksFor: \["aws"\].*one probe key per provider/) },
    ]);
  });

  it('refuses speaksFor on operator keys, unknown providers and vantage points the config does not declare', () => {
    expect(problems([{ id: 'ops-a1', scope: 'operator', speaksFor: ['aws'] }, { id: 'probe-x', scope: 'probe', speaksFor: ['aws'] }]).map((p) => p.path)).toEqual(['keys[0].speaksFor']);
    expect(problems([{ id: 'probe-x', scope: 'probe', speaksFor: ['gcp'] }]).map((p) => p.path)).toContain('keys[0].speaksFor[0]');
    expect(problems([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws:mars-east-1'] }])).toEqual([
      { path: 'keys[0].speaksFor[0]', message: 'no vantage point aws:mars-east-1 in vantagePoints.aws' },
    ]);
  });

  it('checks ECDSA public keys and refuses asymmetric operator keys', () => {
    expect(problems([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws'], publicKey: PUB }])).toEqual([]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${PUB.slice(0, 64)}\n${PUB.slice(64)}\n-----END PUBLIC KEY-----\n`;
    expect(problems([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws'], publicKey: pem }])).toEqual([]);
    expect(problems([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws'], publicKey: 'abcd' }]).map((p) => p.path)).toEqual(['keys[0].publicKey']);
    expect(problems([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws'], algorithm: 'ecdsa-p256' }]).map((p) => p.path)).toEqual(['keys[0].publicKey']);
    expect(problems([{ id: 'ops-a1', scope: 'operator', publicKey: PUB }, { id: 'probe-x', scope: 'probe', speaksFor: ['aws'], publicKey: PUB }]).map((p) => p.path)).toEqual(['keys[0].publicKey']);
  });

  it('warns about HMAC probe keys, keys for both providers, and vantage points no key speaks for', () => {
    const w = warnings([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }]);
    expect(w).toEqual(expect.arrayContaining([
      { path: 'keys[0]', message: expect.stringContaining('LB1-HMAC-SHA256, deprecated for probe keys') },
      { path: 'keys[0].speaksFor', message: expect.stringContaining('both providers') },
    ]));
    const uncovered = warnings([{ id: 'probe-x', scope: 'probe', speaksFor: ['aws'], publicKey: PUB }]);
    expect(uncovered.map((x) => x.path)).toContain('vantagePoints.cloudflare[0]');
  });

  it('the shipped configs have one ECDSA probe key per provider and no key warnings', () => {
    for (const cfg of [production, local]) {
      const r = parseConfig(cfg);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      const probes = r.config.keys.filter((k) => k.scope === 'probe');
      expect(probes.map((k) => k.speaksFor)).toEqual([['aws'], ['cloudflare']]);
      expect(probes.every((k) => k.publicKey !== undefined)).toBe(true);
      expect(r.warnings.filter((x) => x.path.startsWith('keys'))).toEqual([]);
    }
  });
});
