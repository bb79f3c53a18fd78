import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../cli/main.ts';
import { cliReference } from '../../../cli/commands/docs.ts';

describe('docs/cli.md', () => {
  it('is generated from the current --help texts (npm run -s lifeboat -- help-docs > docs/cli.md)', () => {
    const shipped = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    expect(shipped.trim()).toBe(cliReference(COMMANDS).trim());
  });

  it('documents every command', () => {
    const text = cliReference(COMMANDS);
    for (const c of COMMANDS) expect(text).toContain(`## lifeboat ${c.name}`);
    expect(COMMANDS.map((c) => c.name)).toEqual(expect.arrayContaining(['run', 'demo', 'validate', 'simulate', 'dns', 'override', 'status', 'audit', 'keygen', 'cost']));
  });
});
