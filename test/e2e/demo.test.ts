/** `npm run demo` (issue 7): exits 0 once a real DNS query returns the secondary, in under 90 s. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../cli/fake-io.ts';

it('lifeboat demo fails over the example config and shows it in DNS', async () => {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const state = mkdtempSync(join(tmpdir(), 'lifeboat-demo-'));
  try {
    const io = fakeIo(repo, process.env);
    const started = Date.now();
    expect(await main(['demo', '--json', '--state-dir', state], io)).toBe(0);
    const result = JSON.parse(io.stdout.join('\n'));
    expect(result).toMatchObject({ service: 'app.lifeboat.test', primaryAnswer: ['127.0.0.11'], secondaryAnswer: ['127.0.0.12'] });
    expect(['aws', 'cloudflare']).toContain(result.decidedBy);
    expect(result.faultToDnsSeconds).toBeGreaterThan(0);
    expect(result.faultToDecisionSeconds).toBeLessThanOrEqual(result.faultToDnsSeconds);
    expect(Date.now() - started).toBeLessThan(90_000);
    // With --json the timeline goes to stderr; the demo prints the moment DNS answered the secondary.
    expect(io.stderr.join('\n')).toMatch(/dns +app\.lifeboat\.test answers 127\.0\.0\.12: [\d.]+ s after the fault/);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
