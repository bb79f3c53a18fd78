import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { fakeIo } from '../fake-io.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('lifeboat validate', () => {
  it('exits 0 and prints a summary for the example', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate', 'examples/production.config.ts'], io)).toBe(0);
    expect(io.text()).toContain('examples/production.config.ts: valid');
    expect(io.text()).toContain('vantage points (9)');
  });

  it('uses ./lifeboat.config.ts when no file is given', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate'], io)).toBe(0);
    expect(io.text()).toContain('lifeboat.config.ts: valid');
  });

  it('names each bad field and exits 2', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate', 'test/fixtures/config/broken.config.json'], io)).toBe(2);
    const text = io.stderr.join('\n');
    expect(text).toMatch(/\d+ problems/);
    for (const path of ['services[0].healthCheck.expectStatus[1]', 'services[0].dns[0].hostedZoneId', 'services[0].polcy', 'keys[0].scope']) {
      expect(text).toContain(`  ${path}: `);
    }
  });

  it('prints machine-readable problems with --json', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate', 'test/fixtures/config/broken.config.json', '--json'], io)).toBe(2);
    const out = JSON.parse(io.stdout.join('\n'));
    expect(out.valid).toBe(false);
    expect(out.problems).toContainEqual(expect.objectContaining({ path: 'vantagePoints.cloudflare[1]' }));
  });

  it('states what the config tolerates, in the summary and in --json', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate', 'examples/production.config.ts'], io)).toBe(0);
    expect(io.text()).toContain('aws (5 VPs) alone can fail over when cloudflare has fewer than 2 fresh votes');
    const json = fakeIo(repo);
    expect(await main(['validate', 'examples/production.config.ts', '--json'], json)).toBe(0);
    const out = JSON.parse(json.stdout.join('\n'));
    expect(out.tolerance[0]).toMatchObject({ service: 'app.example.com', providers: [{ provider: 'aws', canJudge: true, canActAlone: true }, { provider: 'cloudflare', canJudge: true, canActAlone: true }] });
    expect(out.tolerance[0].statements).toContain('tolerates the loss of all of aws or all of cloudflare');
  });

  it('says clearly when the file does not exist, with exit 2', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate', 'nope.config.json'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('does not exist');
  });

  it('prints help for the command and the tool', async () => {
    const io = fakeIo(repo);
    expect(await main(['validate', '--help'], io)).toBe(0);
    expect(io.text()).toContain('Usage: lifeboat validate');
    const top = fakeIo(repo);
    expect(await main(['--help'], top)).toBe(0);
    expect(top.text()).toContain('simulate');
    expect(await main(['frobnicate'], fakeIo(repo))).toBe(2);
  });
});
