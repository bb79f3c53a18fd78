/** Workers Logs (observability) indexes JSON lines written with console.log. */
import { jsonLogger } from '#core/log.ts';
import type { Logger } from '#core/ports.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export function workerLogger(component: string, level: string | undefined): Logger {
  const min: Level = LEVELS.includes(level as Level) ? (level as Level) : 'info';
  return jsonLogger((line) => console.log(line), { component }, min);
}
