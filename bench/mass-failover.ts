/**
 * Mass failover: N services of one Route 53 zone decided for the secondary at once, against the
 * loopback fixture with Route 53's rate limits enforced on a virtual clock (test/fixtures/mass-failover.ts).
 */
import { Route53Fixture } from '../test/fixtures/route53-server.ts';
import { massFailover, type MassRun } from '../test/fixtures/mass-failover.ts';

export async function benchMassFailover(services = 1_000): Promise<MassRun & { services: number; secondary: number }> {
  const fixture = new Route53Fixture();
  const endpoint = await fixture.start();
  try {
    const run = await massFailover(fixture, endpoint, services);
    const secondary = [...run.answers.values()].filter((a) => a === '198.51.100.1').length;
    return { ...run, services, secondary };
  } finally {
    await fixture.stop();
  }
}
