/**
 * The whole AWS side as stacks: one ControlStack in the home region and one ProbeFleetStack per
 * region in `vantagePoints.aws`. Config enters here once and flows down through props.
 */
import type { App } from 'aws-cdk-lib';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { DeployConfigError } from './config.ts';
import { parameterNames } from './parameters.ts';
import { ControlStack } from './stacks/control-stack.ts';
import { ProbeFleetStack } from './stacks/probe-stack.ts';

export interface LifeboatStacksProps {
  readonly config: LifeboatConfig;
  /** Region of the coordinator and table. Default us-east-1. */
  readonly homeRegion?: string;
  /** Account, when known (CDK_DEFAULT_ACCOUNT); undefined synthesises account-agnostic stacks. */
  readonly account?: string;
  /** Key the probes sign with; default the first probe-scope key of the config. */
  readonly probeKeyId?: string;
  /** Root of the SSM parameter names. Default `/lifeboat`. */
  readonly parameterRoot?: string;
}

export function buildLifeboat(app: App, props: LifeboatStacksProps) {
  const { config } = props;
  const parameters = parameterNames(props.parameterRoot);
  const probeKeyId = props.probeKeyId ?? config.keys.find((k) => k.scope === 'probe')?.id;
  const probeKey = config.keys.find((k) => k.id === probeKeyId);
  if (!probeKey || probeKey.scope !== 'probe') throw new DeployConfigError('keys', `probe key "${probeKeyId}" is not a key with scope "probe" in the config`);
  const env = (region: string) => ({ region, ...(props.account ? { account: props.account } : {}) });

  const control = new ControlStack(app, 'LifeboatControl', {
    env: env(props.homeRegion ?? 'us-east-1'), config, parameters,
    description: 'Lifeboat: AWS coordinator, state table, alarms',
  });
  const probes = config.vantagePoints.aws.map((region) => new ProbeFleetStack(app, `LifeboatProbe-${region}`, {
    env: env(region), config, parameters, probeKeyId: probeKey.id,
    description: `Lifeboat: vantage point aws:${region}`,
  }));
  return { control, probes };
}
