/**
 * CDK app entry (`cdk.json`: `npx tsx infra/app.ts`). Context:
 *   -c config=path/to/lifeboat.config.ts   (default examples/production.config.ts)
 *   -c homeRegion=us-east-1                (coordinator + table)
 *   -c probeKeyId=<id>                     (default: first key with scope "probe")
 *   -c parameterRoot=/lifeboat             (SSM parameter names)
 * `cdk deploy --all` deploys everything in one go: the control stack first, which writes its
 * function URL into SSM in each probe region; then the probe stacks, which read it there.
 * Synthesises with no credentials and no network: regions come from the config, the account
 * from CDK_DEFAULT_ACCOUNT when the CLI knows it, else the stacks are account-agnostic.
 */
import { App } from 'aws-cdk-lib';
import { DEFAULT_DEPLOY_CONFIG, loadDeployConfig } from './config.ts';
import { buildLifeboat } from './lifeboat.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const { path, config, warnings } = await loadDeployConfig(context('config') ?? DEFAULT_DEPLOY_CONFIG);
// Valid but worth a look (e.g. an interval the schedule cannot keep): the same as `lifeboat validate`.
for (const w of warnings) process.stderr.write(`lifeboat: warning: ${path}: ${w.path}: ${w.message}\n`);
const homeRegion = context('homeRegion');
const probeKeyId = context('probeKeyId');
const parameterRoot = context('parameterRoot');
const account = process.env.CDK_DEFAULT_ACCOUNT;
buildLifeboat(app, {
  config,
  ...(homeRegion ? { homeRegion } : {}),
  ...(probeKeyId ? { probeKeyId } : {}),
  ...(parameterRoot ? { parameterRoot } : {}),
  ...(account ? { account } : {}),
});
app.synth();
