import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { makeKeygenCommand } from '../../../cli/commands/keygen.ts';
import { fakeIo } from '../fake-io.ts';
import { parseConfig } from '#core/config/validate.ts';
import { createProbeSigner } from '#core/signing/signer.ts';
import production from '../../../examples/production.config.ts';

describe('lifeboat keygen', () => {
  it('makes an operator key and prints the config entry and each platform\'s command; the secret once, on stdout only', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'operator', '--id', 'ops-alice'], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    const out = io.stdout.join('\n');
    const secrets = out.match(/\b[0-9a-f]{64}\b/g) ?? [];
    expect(secrets).toHaveLength(1);
    expect(out).toContain('{"id":"ops-alice","scope":"operator"}');
    expect(out).toContain('for r in us-east-1; do aws ssm put-parameter --region "$r" --type SecureString --overwrite --name /lifeboat/keys/ops-alice --value "file://$f"; done');
    expect(out).toContain('npx wrangler secret put LIFEBOAT_KEY_OPS_ALICE --config .lifeboat/build/worker/wrangler.json < "$f"');
    // The secret goes through a 0600 file, never a command line.
    expect(out).toContain(`read -rs LIFEBOAT_NEW_SECRET && f=$(mktemp) && printf '%s' "$LIFEBOAT_NEW_SECRET" > "$f"`);
    expect(out).not.toMatch(/--value "\$LIFEBOAT_NEW_SECRET"|--value [0-9a-f]{64}/);
    expect(out).toContain('rm -f "$f"; unset LIFEBOAT_NEW_SECRET f');
    expect(out).toContain('export LIFEBOAT_KEY_ID=ops-alice LIFEBOAT_KEY_SECRET="$LIFEBOAT_NEW_SECRET"');
    expect(out).toContain('umask 077');
  });

  it('names probe keys probe-XXXXXX; an hmac-sha256 probe key uses 32 random bytes, and leaves out the CLI steps', async () => {
    let calls = 0;
    const command = makeKeygenCommand((n) => new Uint8Array(n).fill(++calls));
    const io = fakeIo('/tmp');
    expect(await command.run(['--scope', 'probe', '--algorithm', 'hmac-sha256', '--speaks-for', 'aws', '--json'], io)).toBe(0);
    const json = JSON.parse(io.stdout.join('\n'));
    expect(json).toMatchObject({ id: 'probe-010101', scope: 'probe', secret: '02'.repeat(32), ssmParameter: '/lifeboat/keys/probe-010101', wranglerSecret: 'LIFEBOAT_KEY_PROBE_010101' });
    expect(json.config).toEqual({ id: 'probe-010101', scope: 'probe', speaksFor: ['aws'], algorithm: 'hmac-sha256' });
    const text = fakeIo('/tmp');
    await makeKeygenCommand().run(['--scope', 'probe', '--speaks-for', 'aws'], text);
    expect(text.stdout.join('\n')).not.toContain('LIFEBOAT_KEY_ID');
  });

  it('makes an ECDSA probe key by default: the config entry holds the public key, the private key is printed once', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'probe', '--speaks-for', 'aws', '--id', 'probe-aws-1'], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    const out = io.stdout.join('\n');
    const entry = JSON.parse(/^ {5}(\{"id":"probe-aws-1".*\})$/m.exec(out)![1]!);
    expect(entry).toEqual({ id: 'probe-aws-1', scope: 'probe', speaksFor: ['aws'], publicKey: expect.stringMatching(/^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/) });
    expect(parseConfig({ ...production, keys: [entry, { id: 'ops-x1', scope: 'operator' }] }).ok).toBe(true);
    // The private key appears exactly once, and never inside the config entry.
    const privateKeys = out.match(/MIG[A-Za-z0-9+/=]{100,}/g) ?? [];
    expect(privateKeys).toHaveLength(1);
    expect(JSON.stringify(entry)).not.toContain(privateKeys[0]);
    // It signs what the public key verifies.
    const signer = await createProbeSigner(entry, privateKeys[0]!);
    const headers = await signer({ method: 'POST', url: 'https://c.example/v1/observations', body: '{}', now: Date.now() });
    expect(headers['X-Lifeboat-Signature']).toMatch(/^[0-9a-f]{128}$/);
    expect(out).toContain('for r in <probe regions>; do aws ssm put-parameter --region "$r" --type SecureString --overwrite --name /lifeboat/keys/probe-aws-1 --value "file://$f"; done');
    expect(out).not.toContain('wrangler secret put'); // an AWS key is no Worker's secret
    expect(out).not.toContain('LIFEBOAT_KEY_ID');
  });

  it('refuses a probe key without --speaks-for, or an ECDSA operator key', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'probe'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--speaks-for');
    const op = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'operator', '--algorithm', 'ecdsa-p256'], op)).toBe(2);
    expect(op.stderr.join('\n')).toContain('--algorithm');
    const bad = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'probe', '--speaks-for', 'gcp'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toContain('--speaks-for');
  });

  it('makes a different secret each time', async () => {
    const a = fakeIo('/tmp');
    const b = fakeIo('/tmp');
    await main(['keygen', '--scope', 'probe', '--speaks-for', 'cloudflare', '--json'], a);
    await main(['keygen', '--scope', 'probe', '--speaks-for', 'cloudflare', '--json'], b);
    expect(JSON.parse(a.stdout.join('\n')).secret).not.toBe(JSON.parse(b.stdout.join('\n')).secret);
  });

  it('refuses a missing scope or a bad id with exit 2', async () => {
    expect(await main(['keygen'], fakeIo('/tmp'))).toBe(2);
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'operator', '--id', 'a b'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--id: must be 3-64 letters');
  });
});

describe('--help', () => {
  it('every operator command has help with exit codes', async () => {
    for (const name of ['override', 'status', 'audit', 'keygen', 'cost']) {
      const io = fakeIo('/tmp');
      expect(await main([name, '--help'], io)).toBe(0);
      expect(io.stdout.join('\n')).toMatch(/Exit codes:/);
    }
  });

  it('after a subcommand shows that subcommand\'s help (commands with handlesHelp)', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['dns', 'plan', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^Usage: lifeboat dns plan --to/);
    const top = fakeIo('/tmp');
    expect(await main(['dns', '--help'], top)).toBe(0);
    expect(top.stdout.join('\n')).toMatch(/^Usage: lifeboat dns <show\|plan\|apply\|serve>/);
  });
});

describe('lifeboat keygen --regions', () => {
  it('prints the per-region loop over the regions given, reading the secret from a file', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'probe', '--speaks-for', 'aws', '--id', 'probe-aws-2', '--regions', 'eu-west-1,ap-northeast-2', '--regions', 'sa-east-1'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('for r in eu-west-1 ap-northeast-2 sa-east-1; do aws ssm put-parameter --region "$r" --type SecureString --overwrite --name /lifeboat/keys/probe-aws-2 --value "file://$f"; done');
  });

  it('refuses a region that is no region name, naming the option', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'operator', '--regions', 'eu-west-1;rm'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--regions: eu-west-1;rm is not an AWS region name/);
  });
});
