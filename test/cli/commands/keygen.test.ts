import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { makeKeygenCommand } from '../../../cli/commands/keygen.ts';
import { fakeIo } from '../fake-io.ts';

describe('lifeboat keygen', () => {
  it('makes an operator key and prints the config entry and each platform\'s command; the secret once, on stdout only', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['keygen', '--scope', 'operator', '--id', 'ops-alice'], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    const out = io.stdout.join('\n');
    const secrets = out.match(/\b[0-9a-f]{64}\b/g) ?? [];
    expect(secrets).toHaveLength(1);
    expect(out).toContain('{"id":"ops-alice","scope":"operator"}');
    expect(out).toContain('aws ssm put-parameter --type SecureString --overwrite --name /lifeboat/keys/ops-alice --value "$LIFEBOAT_NEW_SECRET"');
    expect(out).toContain('npx wrangler secret put LIFEBOAT_KEY_OPS_ALICE');
    expect(out).toContain('export LIFEBOAT_KEY_ID=ops-alice LIFEBOAT_KEY_SECRET="$LIFEBOAT_NEW_SECRET"');
    expect(out).toContain('umask 077');
  });

  it('names probe keys probe-XXXXXX, uses 32 random bytes, and leaves out the CLI steps', async () => {
    let calls = 0;
    const command = makeKeygenCommand((n) => new Uint8Array(n).fill(++calls));
    const io = fakeIo('/tmp');
    expect(await command.run(['--scope', 'probe', '--json'], io)).toBe(0);
    const json = JSON.parse(io.stdout.join('\n'));
    expect(json).toMatchObject({ id: 'probe-010101', scope: 'probe', secret: '02'.repeat(32), ssmParameter: '/lifeboat/keys/probe-010101', wranglerSecret: 'LIFEBOAT_KEY_PROBE_010101' });
    const text = fakeIo('/tmp');
    await makeKeygenCommand().run(['--scope', 'probe'], text);
    expect(text.stdout.join('\n')).not.toContain('LIFEBOAT_KEY_ID');
  });

  it('makes a different secret each time', async () => {
    const a = fakeIo('/tmp');
    const b = fakeIo('/tmp');
    await main(['keygen', '--scope', 'probe', '--json'], a);
    await main(['keygen', '--scope', 'probe', '--json'], b);
    expect(JSON.parse(a.stdout[0]!).secret).not.toBe(JSON.parse(b.stdout[0]!).secret);
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
