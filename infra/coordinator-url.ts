/**
 * How the probe regions learn the AWS coordinator's function URL in the same `cdk deploy --all`,
 * with nothing pasted and no region depending on another at run time:
 *  - the control stack writes the URL into an SSM String parameter in each probe region, at
 *    deploy time, through a custom resource (its Lambda runs only while CloudFormation deploys);
 *  - each probe stack reads that parameter in its OWN region as a CloudFormation SSM parameter
 *    type, resolved when the probe stack deploys (after the control stack: a deploy-order
 *    dependency, no cross-stack reference), and hands it to the probe as an environment variable.
 * A running probe never calls the home region; the URL of a function URL never changes unless
 * the URL resource is replaced, which the upgrade test (test/infra/upgrade.test.ts) forbids.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { COORDINATOR_URL_ENV } from '../functions/lambda-env.ts';


export interface PublishCoordinatorUrlProps {
  readonly url: string;
  /** Regions to write the parameter in: every probe region. */
  readonly regions: readonly string[];
  /** Parameter name (infra/parameters.ts `coordinatorUrl`). */
  readonly parameterName: string;
}

/** In the control stack: one custom resource per probe region, each writing the URL there. */
export class CoordinatorUrlPublisher extends Construct {
  constructor(scope: Construct, id: string, props: PublishCoordinatorUrlProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The custom resources share one provider function: like every Lifeboat function, its own
    // log group with retention, and a role that writes only there (no managed policy).
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lifeboat: writes the coordinator URL parameter in each probe region at deploy time',
    });
    logGroup.grantWrite(role);
    for (const region of [...new Set(props.regions)].sort()) {
      const arn = stack.formatArn({ service: 'ssm', region, resource: 'parameter', resourceName: props.parameterName.replace(/^\//, '') });
      const physical = PhysicalResourceId.of(`${region}:${props.parameterName}`);
      const put = {
        service: 'SSM', action: 'putParameter', region, physicalResourceId: physical,
        parameters: { Name: props.parameterName, Value: props.url, Type: 'String', Overwrite: true, Description: 'Lifeboat: the AWS coordinator function URL (written by the LifeboatControl stack)' },
      };
      new AwsCustomResource(this, region, {
        onCreate: put,
        onUpdate: put,
        onDelete: { service: 'SSM', action: 'deleteParameter', region, parameters: { Name: props.parameterName }, ignoreErrorCodesMatching: 'ParameterNotFound' },
        // SSM's API as the custom resource runtime ships it: a deploy must not need npm.
        installLatestAwsSdk: false,
        role, logGroup,
        policy: AwsCustomResourcePolicy.fromStatements([new PolicyStatement({ actions: ['ssm:PutParameter', 'ssm:DeleteParameter'], resources: [arn] })]),
      });
    }
  }
}

/** In a probe stack: the URL from its own region's parameter, as the probe's environment. */
export function useCoordinatorUrl(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, parameterName: string): void {
  fn.addEnvironment(COORDINATOR_URL_ENV, StringParameter.valueForStringParameter(Stack.of(fn), parameterName));
}
