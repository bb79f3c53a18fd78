import { describe, expect, it } from 'vitest';
import { jsonLogger } from '#core/log.ts';

describe('jsonLogger', () => {
  it('writes one JSON line per entry, redacting secret-looking fields', () => {
    const lines: string[] = [];
    const log = jsonLogger((l) => lines.push(l), { component: 'test' });
    log.info('hello', { apiToken: 'abc123', service: 'app.example.com' });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', message: 'hello', component: 'test', apiToken: '[redacted]', service: 'app.example.com' });
    expect(lines[0]).not.toContain('abc123');
  });
});
