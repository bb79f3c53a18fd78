import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '#core/log.ts';
import { keyParameterName, SecretFetchError, SecretNotFoundError, SsmSecretSource, ssmKeyResolver } from '../../functions/secrets.ts';
import { SsmFixture } from './ssm-fixture.ts';

const KEY_HEX = 'ab'.repeat(32);
const fixture = new SsmFixture().put('/lifeboat/keys/probe-aws', KEY_HEX).put('/lifeboat/keys/ops-bad', 'not-hex');
let endpoint = '';
beforeAll(async () => { endpoint = await fixture.start(); });
afterAll(() => fixture.stop());

const client = () => new SSMClient({ region: 'ap-northeast-2', endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });

describe('SsmSecretSource (real SSMClient, loopback SSM)', () => {
  it('reads a SecureString with decryption, signed, once per container', async () => {
    const before = fixture.requests.length;
    const source = new SsmSecretSource(client());
    expect(await source.get('/lifeboat/keys/probe-aws')).toBe(KEY_HEX);
    expect(await source.get('/lifeboat/keys/probe-aws')).toBe(KEY_HEX);
    const sent = fixture.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ target: 'AmazonSSM.GetParameter', name: '/lifeboat/keys/probe-aws', withDecryption: true });
    expect(sent[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/ap-northeast-2\/ssm\/aws4_request/);
  });

  it('names a missing parameter, and does not cache failures', async () => {
    const source = new SsmSecretSource(client());
    await expect(source.get('/lifeboat/keys/nope')).rejects.toBeInstanceOf(SecretNotFoundError);
    fixture.throttle(1);
    const err = await source.get('/lifeboat/keys/probe-aws').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretFetchError);
    expect((err as Error).message).toContain('/lifeboat/keys/probe-aws');
    expect(await source.get('/lifeboat/keys/probe-aws')).toBe(KEY_HEX);
  });
});

describe('ssmKeyResolver', () => {
  const lines: string[] = [];
  const logger = jsonLogger((l) => lines.push(l));
  const keys = [{ id: 'probe-aws', scope: 'probe' as const }, { id: 'ops-bad', scope: 'operator' as const }, { id: 'ops-missing', scope: 'operator' as const }];

  it('resolves configured keys, refuses unknown ids without asking SSM', async () => {
    const resolve = ssmKeyResolver(keys, '/lifeboat/keys/', new SsmSecretSource(client()), logger);
    const before = fixture.requests.length;
    expect(await resolve('stranger')).toBeNull();
    expect(fixture.requests.length).toBe(before);
    const key = await resolve('probe-aws');
    expect(key?.scope).toBe('probe');
    expect(key?.secret?.length).toBe(32);
  });

  it('refuses a key whose parameter is missing or malformed, logging the name but never the value', async () => {
    const resolve = ssmKeyResolver(keys, '/lifeboat/keys', new SsmSecretSource(client()), logger);
    expect(await resolve('ops-bad')).toBeNull();
    expect(await resolve('ops-missing')).toBeNull();
    const log = lines.join('\n');
    expect(log).toContain('/lifeboat/keys/ops-missing');
    expect(log).not.toContain('not-hex');
  });

  it('builds parameter names with exactly one slash', () => {
    expect(keyParameterName('/lifeboat/keys', 'a.b')).toBe('/lifeboat/keys/a.b');
    expect(keyParameterName('/lifeboat/keys/', 'a.b')).toBe('/lifeboat/keys/a.b');
  });
});
