/** Builds docs/cli.md from the commands' own --help texts, so the two never drift apart. */
import type { Command } from '../io.ts';

export function cliReference(commands: readonly Command[]): string {
  const sections = commands.map((c) => `## lifeboat ${c.name}\n\n${c.summary}.\n\n\`\`\`text\n${c.help.trim()}\n\`\`\`\n`);
  return `# The lifeboat command

Run it as \`npm run -s lifeboat -- <command>\` in this repo, or \`npx lifeboat <command>\` where the
package is installed. \`lifeboat <command> --help\` prints the same text as below. This page is
generated from the commands' help (\`npm run -s lifeboat -- help-docs > docs/cli.md\`), and a test
fails when it is out of date.

Exit codes, for every command: **0** ok; **1** the command ran and found a failure (a scenario
missed its expectation, a provider or coordinator failed, coordinators disagree); **2** bad usage
or invalid input (unknown flag, invalid config or scenario file, missing credentials).

Credentials are never taken from flags (they would land in shell history): operator keys come
from \`LIFEBOAT_KEY_ID\` + \`LIFEBOAT_KEY_SECRET\` or a credentials file with mode 0600; DNS provider
credentials from the standard AWS variables and \`CLOUDFLARE_API_TOKEN\`.

${sections.join('\n')}`;
}
