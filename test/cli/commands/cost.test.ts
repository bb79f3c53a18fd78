import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { fakeIo } from '../fake-io.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('lifeboat cost', () => {
  it('prints both bills, the per-endpoint figure and the Route 53 comparison', async () => {
    const io = fakeIo(repo);
    expect(await main(['cost', 'examples/production.config.ts'], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/AWS \(per month\)/);
    expect(out).toMatch(/Cloudflare \(per month\)/);
    expect(out).toMatch(/Durable Object requests/);
    expect(out).toMatch(/Lifeboat total\s+\$\d+\.\d\d \/ month\s+\(\$\d+\.\d\d per endpoint\)/);
    expect(out).toMatch(/Route 53 health checks\s+\$\d+\.\d\d \/ month\s+\(\d+ x \$6\.75\)/);
  });

  it('prints JSON with the sources of the prices', async () => {
    const io = fakeIo(repo);
    expect(await main(['cost', 'examples/production.config.ts', '--json', '--prices'], io)).toBe(0);
    const json = JSON.parse(io.stdout.join('\n'));
    expect(json.route53.perCheckUsd).toBe(6.75);
    expect(json.prices.aws.lambdaRequests.source).toBe('https://aws.amazon.com/lambda/pricing/');
  });

  it('exits 2 on a broken config', async () => {
    expect(await main(['cost', 'test/fixtures/config/broken.config.json'], fakeIo(repo))).toBe(2);
  });
});
