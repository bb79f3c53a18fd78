/**
 * The whole AWS side as stacks: one ControlStack in the home region and one ProbeFleetStack per
 * region in `vantagePoints.aws`. Config enters here once and flows down through props.
 */
import type { App } from 'aws-cdk-lib';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { probeKeyFor } from '#core/signing/signer.ts';
import { DeployConfigError } from './config.ts';
import { CoordinatorUrlPublisher, useCoordinatorUrl } from './coordinator-url.ts';
import { parameterNames } from './parameters.ts';
import { ControlStack } from './stacks/control-stack.ts';
import { ProbeFleetStack } from './stacks/probe-stack.ts';

export interface LifeboatStacksProps {
  readonly config: LifeboatConfig;
  /** Region of the coordinator and table. Default us-east-1. */
  readonly homeRegion?: string;
  /** Account, when known (CDK_DEFAULT_ACCOUNT); undefined synthesises account-agnostic stacks. */
  readonly account?: string;
  /** Key the probes sign with; default, per region, the first probe key that speaks for it. */
  readonly probeKeyId?: string;
  /** Root of the SSM parameter names. Default `/lifeboat`. */
  readonly parameterRoot?: string;
}

export function buildLifeboat(app: App, props: LifeboatStacksProps) {
  const { config } = props;
  const parameters = parameterNames(props.parameterRoot);
  // Each region's probe signs with the key that speaks for it (or the one named), and reads only that.
  const probeKeyOf = (region: string) => {
    try {
      return probeKeyFor(config, `aws:${region}`, props.probeKeyId).id;
    } catch (err) {
      throw new DeployConfigError('keys', (err as Error).message);
    }
  };
  const env = (region: string) => ({ region, ...(props.account ? { account: props.account } : {}) });

  const control = new ControlStack(app, 'LifeboatControl', {
    env: env(props.homeRegion ?? 'us-east-1'), config, parameters,
    description: 'Lifeboat: AWS coordinator, state table, alarms',
  });
  const probes = config.vantagePoints.aws.map((region) => new ProbeFleetStack(app, `LifeboatProbe-${region}`, {
    env: env(region), config, parameters, probeKeyId: probeKeyOf(region),
    description: `Lifeboat: vantage point aws:${region}`,
  }));
  // The coordinator URL reaches each probe region at deploy time (infra/coordinator-url.ts):
  // `cdk deploy --all` deploys the control stack first, then every probe stack, in one go.
  new CoordinatorUrlPublisher(control, 'CoordinatorUrlParameters', { url: control.url.url, regions: config.vantagePoints.aws, parameterName: parameters.coordinatorUrl });
  for (const probe of probes) {
    useCoordinatorUrl(probe.probe.fn, parameters.coordinatorUrl);
    probe.addStackDependency(control, 'the control stack writes the coordinator URL parameter this stack reads');
  }
  return { control, probes };
}
