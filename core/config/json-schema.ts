import * as z from 'zod';
import { configSchema } from './schema.ts';

/** The JSON Schema of the config file as users write it (defaults optional), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Lifeboat config',
    description: 'Services to protect, vantage points, coordinators and key ids. Secrets never go here.',
  };
}
