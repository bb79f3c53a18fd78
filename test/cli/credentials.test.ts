import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinatorEndpoints, CredentialsError, loadCredentials } from '../../cli/credentials.ts';
import { UsageError } from '../../cli/io.ts';

const SECRET = 'ab'.repeat(32);

function credentialsFile(mode: number, body: unknown = { keyId: 'ops-alice', secret: SECRET }) {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cred-'));
  const path = join(dir, 'credentials.json');
  writeFileSync(path, JSON.stringify(body));
  chmodSync(path, mode);
  return { dir, path };
}

describe('operator credentials', () => {
  it('reads LIFEBOAT_KEY_ID and LIFEBOAT_KEY_SECRET', () => {
    const c = loadCredentials({ env: { LIFEBOAT_KEY_ID: 'ops-alice', LIFEBOAT_KEY_SECRET: SECRET }, cwd: '/' });
    expect(c).toMatchObject({ keyId: 'ops-alice', source: 'environment' });
    expect(Buffer.from(c.secret).toString('hex')).toBe(SECRET);
  });

  it('refuses half a pair from the environment', () => {
    expect(() => loadCredentials({ env: { LIFEBOAT_KEY_ID: 'ops-alice' }, cwd: '/' })).toThrow(/LIFEBOAT_KEY_SECRET is not/);
    expect(() => loadCredentials({ env: { LIFEBOAT_KEY_SECRET: SECRET }, cwd: '/' })).toThrow(/LIFEBOAT_KEY_ID is not/);
  });

  it('reads a 0600 file given with --credentials, and refuses one that others can read, saying why', () => {
    const ok = credentialsFile(0o600);
    expect(loadCredentials({ file: ok.path, env: {}, cwd: '/' })).toMatchObject({ keyId: 'ops-alice', source: ok.path });
    const open = credentialsFile(0o644);
    const readOpen = () => loadCredentials({ file: open.path, env: {}, cwd: '/' });
    expect(readOpen).toThrow(CredentialsError);
    expect(readOpen).toThrow(UsageError);
    expect(readOpen).toThrow(/permissions are 0644.*chmod 600/);
  });

  it('falls back to ~/.config/lifeboat/credentials.json', () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-home-'));
    mkdirSync(join(home, '.config', 'lifeboat'), { recursive: true });
    const path = join(home, '.config', 'lifeboat', 'credentials.json');
    writeFileSync(path, JSON.stringify({ keyId: 'ops-bob', secret: SECRET }), { mode: 0o600 });
    expect(loadCredentials({ env: { HOME: home }, cwd: '/' }).keyId).toBe('ops-bob');
    expect(() => loadCredentials({ env: { HOME: '/nonexistent' }, cwd: '/' })).toThrow(/no operator credentials: set LIFEBOAT_KEY_ID/);
  });

  it('never puts the secret in an error', () => {
    // Each call must throw (toThrow fails when nothing does) and its message must not hold the secret.
    const notHex = 'zz'.repeat(40);
    const bad = credentialsFile(0o600, { keyId: 'ops-alice', secret: notHex });
    const readBad = () => loadCredentials({ file: bad.path, env: {}, cwd: '/' });
    expect(readBad).toThrow(/not hex/);
    expect(readBad).toThrow(expect.objectContaining({ message: expect.not.stringContaining(notHex) }));
    const readShort = () => loadCredentials({ env: { LIFEBOAT_KEY_ID: 'x-1', LIFEBOAT_KEY_SECRET: 'abcd' }, cwd: '/' });
    expect(readShort).toThrow(/"x-1".*too short/);
    expect(readShort).toThrow(expect.objectContaining({ message: expect.not.stringContaining('abcd') }));
  });

  it('takes coordinators from LIFEBOAT_COORDINATORS over the config', () => {
    const config = { coordinators: { aws: { url: 'https://a.example' }, cloudflare: { url: 'https://c.example' } } };
    expect(coordinatorEndpoints(config, {})).toEqual([{ name: 'aws', url: 'https://a.example' }, { name: 'cloudflare', url: 'https://c.example' }]);
    expect(coordinatorEndpoints(config, { LIFEBOAT_COORDINATORS: 'aws=http://127.0.0.1:1, cloudflare=http://127.0.0.1:2' }))
      .toEqual([{ name: 'aws', url: 'http://127.0.0.1:1' }, { name: 'cloudflare', url: 'http://127.0.0.1:2' }]);
    expect(() => coordinatorEndpoints(config, { LIFEBOAT_COORDINATORS: 'aws' })).toThrow(/name=http/);
    expect(() => coordinatorEndpoints({ coordinators: {} }, {})).toThrow(/no coordinators/);
  });
});
