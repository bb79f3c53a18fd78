/**
 * Structured logs: one JSON object per line, the shape CloudWatch Logs Insights and Workers
 * Logs both query well. Field names that look like secrets are redacted before anything is written.
 */
import type { Logger } from './ports.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /secret|token|password|authorization|signature|credential|api[-_]?key/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : v;
  return out;
}

export function jsonLogger(write: (line: string) => void, base: Record<string, unknown> = {}, minLevel: Level = 'info'): Logger {
  const log = (level: Level) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...redact(fields) }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
