/**
 * Templates as a release ships them, minus what changes with every build: the asset hashes of
 * the bundled code (the S3 key of each Lambda's zip) and CDK's per-resource metadata. The
 * v0.1 fixtures in fixtures/ were made with `stripAssetHashes` from main's synth of
 * examples/production.config.ts before the one-go deploy (issue 15); the upgrade test compares
 * the current synth with them.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CfnTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, Json>; Metadata?: Json; [key: string]: Json | undefined }>;
  readonly [key: string]: Json | undefined | object;
}

const ASSET_KEY = /^[0-9a-f]{64}\.(zip|json)$/;

function strip(value: Json): Json {
  if (typeof value === 'string') return ASSET_KEY.test(value) ? '<asset>' : value;
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'Metadata') out[k] = strip(v);
    return out;
  }
  return value;
}

export function stripAssetHashes(template: unknown): CfnTemplate {
  return strip(template as Json) as unknown as CfnTemplate;
}
