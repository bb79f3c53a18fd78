/**
 * The local run's keys: each configured key's secret from LIFEBOAT_KEY_<ID> when set (as the docs
 * say), else a fresh random one. ECDSA probe keys get a fresh key pair (or the one whose private
 * key the variable holds), and the run uses that pair's public key in place of the config's. Every
 * secret is written, mode 0600, to `<dir>/<id>` in the form LIFEBOAT_KEY_<ID> takes, so anyone on
 * this machine can sign as a local probe of a given provider (and see what a stolen key can do).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyConfig, LifeboatConfig } from '#core/config/schema.ts';
import type { VantagePoint } from '#core/model.ts';
import { generateProbeKeyPair, publicKeyOfPrivate } from '#core/signing/ecdsa.ts';
import { decodeHexSecret, keyAlgorithm, keyEnvVar } from '#core/signing/keys.ts';
import { bytesToHex } from '#core/signing/lb1.ts';
import { createProbeSigner, probeKeyFor, type RequestSigner } from '#core/signing/signer.ts';

export interface LocalKey {
  readonly config: KeyConfig;
  /** As LIFEBOAT_KEY_<ID> holds it: hex (HMAC) or base64 PKCS#8 (ECDSA private key). */
  readonly secret: string;
  /** Where it was written (0600). */
  readonly file: string;
  /** Whether it came from LIFEBOAT_KEY_<ID> rather than being made for this run. */
  readonly fromEnv: boolean;
}

export interface LocalKeys {
  /** The config with the public keys this run's ECDSA keys really have. */
  readonly config: LifeboatConfig;
  readonly keys: readonly LocalKey[];
  /** The secret of a key by id (HMAC hex or PKCS#8 base64). */
  secret(id: string): string;
  /** The signer a local vantage point uses: its provider's probe key. */
  signerFor(vp: VantagePoint): RequestSigner;
}

export async function localKeys(config: LifeboatConfig, env: Readonly<Record<string, string | undefined>>, dir: string): Promise<LocalKeys> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: LocalKey[] = [];
  for (const key of config.keys) {
    const given = env[keyEnvVar(key.id)]?.trim() || undefined;
    let secret: string;
    let effective: KeyConfig = key;
    if (keyAlgorithm(key) === 'ecdsa-p256') {
      secret = given ?? (await generateProbeKeyPair()).privateKey;
      effective = { ...key, publicKey: await publicKeyOfPrivate(secret, key.id) };
    } else {
      secret = given ?? bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
      decodeHexSecret(secret, key.id); // a malformed variable fails here, naming the key
    }
    const file = join(dir, key.id);
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // an existing file keeps its mode on write
    keys.push({ config: effective, secret, file, fromEnv: given !== undefined });
  }
  const effectiveConfig: LifeboatConfig = { ...config, keys: keys.map((k) => k.config) };
  const byId = new Map(keys.map((k) => [k.config.id, k] as const));
  const signers = new Map<string, Promise<RequestSigner>>();
  return {
    config: effectiveConfig,
    keys,
    secret: (id) => byId.get(id)!.secret,
    signerFor(vp) {
      const key = probeKeyFor(effectiveConfig, vp);
      return async (request) => {
        let signer = signers.get(key.id);
        if (!signer) signers.set(key.id, (signer = createProbeSigner(key, byId.get(key.id)!.secret)));
        return (await signer)(request);
      };
    },
  };
}
