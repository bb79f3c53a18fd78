/**
 * The coordinator's answer to a bad request body, pinned word for word: which field it names and
 * the message it gives. The bodies are checked with zod/mini (core/api/bodies.ts), which keeps the
 * Lambda and Worker bundles small; these are the messages the full zod gave, so a client that
 * matched on them sees no change.
 */
import { describe, expect, it } from 'vitest';
import { observationBatchSchema, overrideRequestSchema, parseWire, WireError } from '#core/api/bodies.ts';

const ok = { service: 'app.example.com', target: 'primary', verdict: 'healthy', observedAt: 1_700_000_000_000 };
const batch = { vantagePoint: 'aws:us-east-1', round: 1, sentAt: 1_700_000_000_000, controlOk: true, results: [ok] };
const cases: [name: string, kind: 'batch' | 'override', body: unknown, field: string, message: string][] = [
  ['not an object', 'batch', 'x',
    "(root)", "(root): Invalid input: expected object, received string"],
  ['null', 'batch', null,
    "(root)", "(root): Invalid input: expected object, received null"],
  ['missing fields', 'batch', {},
    "vantagePoint", "vantagePoint: Invalid input: expected string, received undefined; round: Invalid input: expected number, received undefined; sentAt: Invalid input: expected number, received undefined; controlOk: Invalid input: expected boolean, received undefined; results: Invalid input: expected array, received undefined"],
  ['unknown key', 'batch', { ...batch, extra: 1 },
    "(root)", "(root): Unrecognized key: \"extra\""],
  ['bad vantage point', 'batch', { ...batch, vantagePoint: 'gcp:x' },
    "vantagePoint", "vantagePoint: must be provider:location, e.g. aws:ap-northeast-2"],
  ['vantage point not a string', 'batch', { ...batch, vantagePoint: 7 },
    "vantagePoint", "vantagePoint: Invalid input: expected string, received number"],
  ['fractional round', 'batch', { ...batch, round: 1.5 },
    "round", "round: Invalid input: expected int, received number"],
  ['negative round', 'batch', { ...batch, round: -1 },
    "round", "round: Too small: expected number to be >=0"],
  ['huge round', 'batch', { ...batch, round: 2 ** 60 },
    "round", "round: Too big: expected int to be <=9007199254740991; round: Too big: expected number to be <=9007199254740991"],
  ['sentAt past Date', 'batch', { ...batch, sentAt: 8_640_000_000_000_001 },
    "sentAt", "sentAt: must be a time JavaScript can represent (at most 8640000000000000)"],
  ['sentAt string', 'batch', { ...batch, sentAt: 'now' },
    "sentAt", "sentAt: Invalid input: expected number, received string"],
  ['ranIn too long', 'batch', { ...batch, ranIn: 'x'.repeat(65) },
    "ranIn", "ranIn: Too big: expected string to have <=64 characters"],
  ['controlOk not bool', 'batch', { ...batch, controlOk: 'yes' },
    "controlOk", "controlOk: Invalid input: expected boolean, received string"],
  ['results not array', 'batch', { ...batch, results: {} },
    "results", "results: Invalid input: expected array, received object"],
  ['too many results', 'batch', { ...batch, results: Array.from({ length: 1001 }, () => ok) },
    "results", "results: Too big: expected array to have <=1000 items"],
  ['empty service', 'batch', { ...batch, results: [{ ...ok, service: '' }] },
    "results[0].service", "results[0].service: Too small: expected string to have >=1 characters"],
  ['long service', 'batch', { ...batch, results: [{ ...ok, service: 'a'.repeat(254) }] },
    "results[0].service", "results[0].service: Too big: expected string to have <=253 characters"],
  ['bad target', 'batch', { ...batch, results: [{ ...ok, target: 'tertiary' }] },
    "results[0].target", "results[0].target: Invalid option: expected one of \"primary\"|\"secondary\""],
  ['bad verdict', 'batch', { ...batch, results: [{ ...ok, verdict: 'fine' }] },
    "results[0].verdict", "results[0].verdict: Invalid option: expected one of \"healthy\"|\"unhealthy\"|\"abstain\""],
  ['bad failure', 'batch', { ...batch, results: [{ ...ok, failure: 'boom' }] },
    "results[0].failure", "results[0].failure: Invalid option: expected one of \"timeout\"|\"dns\"|\"refused\"|\"tls\"|\"network\"|\"status\"|\"body\"|\"latency\""],
  ['latency negative', 'batch', { ...batch, results: [{ ...ok, latencyMs: -1 }] },
    "results[0].latencyMs", "results[0].latencyMs: Too small: expected number to be >=0"],
  ['latency huge', 'batch', { ...batch, results: [{ ...ok, latencyMs: 600_001 }] },
    "results[0].latencyMs", "results[0].latencyMs: Too big: expected number to be <=600000"],
  ['latency NaN-ish', 'batch', { ...batch, results: [{ ...ok, latencyMs: 'slow' }] },
    "results[0].latencyMs", "results[0].latencyMs: Invalid input: expected number, received string"],
  ['result extra key', 'batch', { ...batch, results: [{ ...ok, why: 1 }] },
    "results[0]", "results[0]: Unrecognized key: \"why\""],
  ['controlOk false with votes', 'batch', { ...batch, controlOk: false, results: [ok, { ...ok, verdict: 'abstain' }, { ...ok, verdict: 'unhealthy' }] },
    "results[0].verdict", "results[0].verdict: must be \"abstain\" when controlOk is false; results[2].verdict: must be \"abstain\" when controlOk is false"],
  ['several at once', 'batch', { ...batch, round: -1, sentAt: 'x', results: [{ ...ok, verdict: 'fine', target: 'x' }] },
    "round", "round: Too small: expected number to be >=0; sentAt: Invalid input: expected number, received string; results[0].target: Invalid option: expected one of \"primary\"|\"secondary\"; results[0].verdict: Invalid option: expected one of \"healthy\"|\"unhealthy\"|\"abstain\""],
  ['override empty', 'override', {},
    "service", "service: Invalid input: expected string, received undefined; action: Invalid option: expected one of \"force-primary\"|\"force-secondary\"|\"freeze\"|\"auto\"; reason: Invalid input: expected string, received undefined"],
  ['override bad action', 'override', { service: 'app.example.com', action: 'nuke', reason: 'because' },
    "action", "action: Invalid option: expected one of \"force-primary\"|\"force-secondary\"|\"freeze\"|\"auto\""],
  ['override short reason', 'override', { service: 'app.example.com', action: 'freeze', reason: '  a ' },
    "reason", "reason: give a reason (at least 3 characters): it goes in the audit log"],
  ['override long reason', 'override', { service: 'app.example.com', action: 'freeze', reason: 'r'.repeat(501) },
    "reason", "reason: Too big: expected string to have <=500 characters"],
  ['override until not iso', 'override', { service: 'app.example.com', action: 'freeze', reason: 'because', until: 'tomorrow' },
    "until", "until: Invalid ISO datetime"],
  ['override until bool', 'override', { service: 'app.example.com', action: 'freeze', reason: 'because', until: true },
    "until", "until: Invalid input"],
  ['override until negative', 'override', { service: 'app.example.com', action: 'freeze', reason: 'because', until: -5 },
    "until", "until: Too small: expected number to be >=0"],
  ['override extra', 'override', { service: 'app.example.com', action: 'freeze', reason: 'because', who: 'me' },
    "(root)", "(root): Unrecognized key: \"who\""],
  ['override service number', 'override', { service: 5, action: 'freeze', reason: 'because' },
    "service", "service: Invalid input: expected string, received number"],
];

describe('bad request bodies', () => {
  it.each(cases)('%s: names the field at fault with the same message', (_name, kind, body, field, message) => {
    const parse = () => (kind === 'batch' ? parseWire(observationBatchSchema, body) : parseWire(overrideRequestSchema, body));
    expect(parse).toThrow(WireError);
    try {
      parse();
    } catch (err) {
      expect({ field: (err as WireError).field, message: (err as WireError).message }).toEqual({ field, message });
    }
  });

  it('a good batch and a good override still parse, the override reason trimmed', () => {
    expect(parseWire(observationBatchSchema, batch)).toEqual(batch);
    expect(parseWire(overrideRequestSchema, { service: 'app.example.com', action: 'freeze', reason: '  because  ', until: '2030-01-01T00:00:00+02:00' }))
      .toEqual({ service: 'app.example.com', action: 'freeze', reason: 'because', until: '2030-01-01T00:00:00+02:00' });
    expect(parseWire(overrideRequestSchema, { service: 'app.example.com', action: 'auto', reason: 'because', until: 1_900_000_000_000 }).until).toBe(1_900_000_000_000);
  });
});
