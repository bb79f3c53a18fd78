import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configJsonSchema } from '#core/config/json-schema.ts';
import { EXIT, type Command } from '../io.ts';

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'Print the JSON Schema of the config (for editors)',
  help: `Usage: lifeboat schema [--out file]

Prints the JSON Schema of lifeboat.config.json, or writes it to a file. Point "$schema" at it
(the repo ships lifeboat.schema.json) and editors complete and check the config as you type.`,
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } } });
    const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (values.out) {
      writeFileSync(resolve(io.cwd, values.out), text);
      io.err(`wrote ${values.out}`);
    } else io.out(text);
    return EXIT.ok;
  },
};
