/**
 * Every Lifeboat Lambda, with the defaults fixed in one place: Node.js 24 on arm64, bundled
 * locally by esbuild (no Docker), minified, the AWS SDK left to the runtime, the validated
 * config embedded at bundle time, its own log group with retention, a role that can write only
 * to that log group (no AWSLambdaBasicExecutionRole and its `Resource: *`), and an errors alarm.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { configDefine } from '../../functions/bundled-config.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The Lambda runtime. The project's scripts and tests run on the same Node major (package.json's
 * optional `node-linux-*` packages; test/toolchain/node-runtime.test.ts fails when they drift).
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** The esbuild settings NodejsFunction uses here; bench/lambda-bundles.ts reuses them to measure. */
export const BUNDLING = {
  minify: true,
  sourceMap: false,
  // Matches LAMBDA_RUNTIME, so esbuild leaves syntax the runtime has untouched.
  target: 'node24',
  format: OutputFormat.CJS,
  // The nodejs24.x runtime ships AWS SDK v3: bundling it would only add size.
  externalModules: ['@aws-sdk/*'],
  forceDockerBundling: false,
} as const;

export interface LifeboatFunctionProps {
  /** Entry file, relative to the repo root, e.g. `functions/probe.ts`. */
  readonly entry: string;
  readonly config: LifeboatConfig;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  readonly logRetention?: RetentionDays;
  /** Scheduled invocations are not worth retrying: the next one is a minute away. */
  readonly retryAttempts?: number;
}

export class LifeboatFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: LifeboatFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (writes only its own log group)`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      ...(props.retryAttempts === undefined ? {} : { retryAttempts: props.retryAttempts }),
      bundling: { ...BUNDLING, externalModules: [...BUNDLING.externalModules], define: configDefine(props.config) },
    });
    this.errorsAlarm = new Alarm(this, 'Errors', {
      alarmDescription: `${props.description}: the handler failed (see its log group)`,
      metric: this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
