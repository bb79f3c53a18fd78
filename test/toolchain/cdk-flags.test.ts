/**
 * cdk.json sets every feature flag a new CDK app of the installed aws-cdk-lib sets (so upgrading
 * aws-cdk-lib without adopting its new flags fails here), and those flags leave an existing
 * deployment in place: the same logical ids and types in every stack, and the state table and
 * the function URL synthesized exactly as without them (no replacement, no data loss).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadDeployConfig } from '../../infra/config.ts';
import { buildLifeboat } from '../../infra/lifeboat.ts';
import { TABLE_LOGICAL_ID } from '../../infra/stacks/control-stack.ts';

type Context = Record<string, unknown>;
interface Resource { Type: string; Properties?: unknown; DeletionPolicy?: string; UpdateReplacePolicy?: string }

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Context };
const recommended = createRequire(import.meta.url)('aws-cdk-lib/recommended-feature-flags.json') as Context;

/** Where the project departs from `cdk init` on purpose: no usage metadata in the templates. */
const OVERRIDES: Context = { '@aws-cdk/core:enableAdditionalMetadataCollection': false };

const flags = Object.fromEntries(Object.entries(cdkJson.context).filter(([key]) => key.startsWith('@aws-cdk')));

async function synth(context: Context): Promise<Map<string, Record<string, Resource>>> {
  const { config } = await loadDeployConfig(cdkJson.context.config as string, ROOT);
  // No asset bundling: only the templates are compared.
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const built = buildLifeboat(app, { config, homeRegion: cdkJson.context.homeRegion as string });
  const assembly = app.synth();
  return new Map([built.control, ...built.probes].map((stack) => [
    stack.stackName,
    (assembly.getStackByName(stack.stackName).template as { Resources: Record<string, Resource> }).Resources,
  ]));
}

describe('CDK feature flags', () => {
  it('are the ones a new app of the installed aws-cdk-lib gets, with the overrides stated', () => {
    expect(flags).toEqual({ ...recommended, ...OVERRIDES });
  });

  it('keep every logical id, and the table and the function URL as they were', async () => {
    const [before, after] = [await synth({}), await synth(flags)];
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [stack, resources] of before) {
      const types = (r: Record<string, Resource>) => Object.fromEntries(Object.entries(r).map(([id, res]) => [id, res.Type]));
      expect(types(after.get(stack)!), stack).toEqual(types(resources));
      for (const [id, res] of Object.entries(resources)) {
        if (res.Type !== 'AWS::DynamoDB::Table' && res.Type !== 'AWS::Lambda::Url') continue;
        expect(after.get(stack)![id], `${stack}/${id}`).toEqual(res);
      }
    }
    const control = [...after.values()].find((r) => r[TABLE_LOGICAL_ID]);
    expect(control?.[TABLE_LOGICAL_ID]).toMatchObject({ DeletionPolicy: 'Retain' });
    expect(Object.values(control!).filter((r) => r.Type === 'AWS::Lambda::Url')).toHaveLength(1);
  }, 120_000);
});
