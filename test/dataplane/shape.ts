/**
 * The data-plane shape the truth-table tests share (test/dataplane/truth-table*.test.ts): the
 * config, the alarms and checks infra/constructs/data-plane.ts creates (held by synth.test.ts),
 * the failover records, and Route 53's answer read back with dig from the embedded DNS server.
 */
import { expect } from 'vitest';
import type { LifeboatConfig, LifeboatConfigInput } from '#core/config/schema.ts';
import { targetRecords } from '#core/dns/desired.ts';
import type { MemoryZone } from '#core/dns/memory.ts';
import type { VantagePoint } from '#core/model.ts';
import type { RunningDnsServer } from '../../cli/local/dns-server.ts';
import { SERVICE, testConfigInput } from '../support/coordinators.ts';
import { ModelCloudWatch, Route53Model, type FailoverRecord, type ModelOptions } from '../support/route53-health-model.ts';
import { digShort, runDigTests } from '../cli/dig.ts';

export const SECRET_HEX = '5a'.repeat(32);
/** The peer watch's key (scope read): the AWS tick reads the Cloudflare verdict with it. */
export const READER = { id: 'read-peer', hex: '33'.repeat(32) };
export const MINUTE = 60_000;
export const CHECKERS = Array.from({ length: 16 }, (_, i) => `checker-${i + 1}`);
export const VPS: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:apac'];

/** The test service in data-plane mode on a Route 53 zone. */
export function dataPlaneInput(extra: Partial<LifeboatConfigInput> = {}): LifeboatConfigInput {
  const input = testConfigInput(extra);
  return {
    ...input,
    services: input.services.map((s) => ({ ...s, mode: 'data-plane', dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC', ttl: 60 }] })),
  };
}

export const ALARM = { namespace: 'Lifeboat', metricName: 'FailoverVerdict', statistic: 'Maximum', periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1, threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', treatMissingData: 'missing' } as const;

/**
 * CloudWatch with one memory alarm per coordinator, and Route 53 with the memory checks and the
 * calculated check over the four children; the page children are added per evaluation (their
 * URLs change when a coordinator restarts).
 */
export function dataPlaneModel(options: Omit<ModelOptions, 'checkers' | 'cloudWatch'>): { cloudWatch: ModelCloudWatch; model: Route53Model } {
  const cloudWatch = new ModelCloudWatch();
  for (const name of ['aws', 'cloudflare']) cloudWatch.addAlarm(name, { ...ALARM, dimensions: { Service: SERVICE, Coordinator: name } });
  const model = new Route53Model({ ...options, checkers: CHECKERS, cloudWatch });
  for (const name of ['aws', 'cloudflare']) model.add({ kind: 'alarm', id: `${name}-memory`, alarm: name, insufficientData: 'LastKnownStatus', inverted: false });
  model.add({ kind: 'calculated', id: 'calculated', children: ['aws', 'cloudflare', 'aws-memory', 'cloudflare-memory'], threshold: 4, inverted: false });
  return { cloudWatch, model };
}

/** The PRIMARY record (with the calculated check) and the SECONDARY (no check). */
export function failoverRecords(config: LifeboatConfig): { PRIMARY: FailoverRecord; SECONDARY: FailoverRecord } {
  return {
    PRIMARY: { role: 'PRIMARY', healthCheckId: 'calculated', records: targetRecords(SERVICE, config.services[0]!.primary, 60) },
    SECONDARY: { role: 'SECONDARY', records: targetRecords(SERVICE, config.services[0]!.secondary, 60) },
  };
}

/** Route 53's failover answer over the model's last evaluation, served by the embedded DNS server and read back with dig. */
export async function servedAnswer(model: Route53Model, config: LifeboatConfig, zone: MemoryZone, dns: RunningDnsServer): Promise<string> {
  const { PRIMARY, SECONDARY } = failoverRecords(config);
  zone.write(model.answer(PRIMARY, SECONDARY).records);
  if (!runDigTests) return zone.get(SERVICE, 'A')!.values[0]!;
  const answer = await digShort(dns.port, [SERVICE, 'A']);
  expect(answer).toHaveLength(1);
  return answer[0]!;
}
