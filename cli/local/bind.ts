/**
 * BIND 9 (`named`) on a loopback high port, for the local run (`lifeboat run --dns bind`) and the
 * tests: a temp dir with a generated named.conf, zone files seeded with given records, TSIG keys
 * (hmac-sha256) of which only the ones marked `update` may change the zones (update-policy).
 * named runs in the foreground as our child; stop() ends that PID only and removes the dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CLASS, OPCODE, RCODE, TYPE, decodeMessage, encodeMessage } from '#core/dns/dns-wire.ts';
import type { RecordSet } from '#core/dns/types.ts';
import { MissingDependencyError } from '#core/errors.ts';
import { normaliseName } from '#core/model.ts';
import { nodeDnsTransport } from '../../functions/runtime/node-dns-transport.ts';

export const INSTALL_BIND = 'install BIND 9 so that `named` is on PATH: apt-get install bind9 bind9-utils dnsutils '
  + '(Debian/Ubuntu; its system service may stay stopped, the local run starts its own named), or brew install bind (macOS)';

/** `--dns bind` was asked for and there is no `named` to run. */
export class NamedNotFoundError extends MissingDependencyError {
  override readonly name: string = 'NamedNotFoundError';
  constructor() {
    super(`--dns bind: named (BIND 9) is not on PATH; ${INSTALL_BIND}, or run without --dns bind to use the embedded DNS server`);
  }
}

/** True when `named` can be executed (present but unhappy with -v still counts). */
export function namedInstalled(binary = 'named'): boolean {
  try {
    execFileSync(binary, ['-v'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ENOENT';
  }
}

/** A port free for both TCP and UDP on 127.0.0.1 right now (named needs both). */
/** SIGTERM to a server we started (its PID only), SIGKILL after `graceMs`; resolves once it exited. */
export async function stopServerProcess(child: ChildProcess, exited: Promise<void>, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}

export async function freeLoopbackPort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => { socket.close(); resolve(false); });
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free loopback port for TCP and UDP after 20 tries');
}

export interface NamedKey {
  readonly name: string;
  /** Base64, as tsig-keygen prints it. */
  readonly secret: string;
  /** May send dynamic updates to every zone; a key without it can only sign queries. */
  readonly update: boolean;
}

export interface NamedZone {
  readonly apex: string;
  /** What the zone serves before any update (besides its SOA, NS and the NS's address). */
  readonly records?: readonly RecordSet[];
}

export interface NamedOptions {
  /** 0 picks a free one. */
  readonly port: number;
  readonly zones: readonly NamedZone[];
  readonly keys: readonly NamedKey[];
  /** How long named may take to answer the first zone's SOA. Default 20 s. */
  readonly startTimeoutMs?: number;
  readonly binary?: string;
}

export interface Named {
  readonly pid: number;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  /** named's last output (bounded), for error messages. */
  output(): string;
  /** SIGTERM to named's PID (SIGKILL after 5 s), then removes its dir. Idempotent. */
  stop(): Promise<void>;
}

const KEY_NAME_RE = /^[a-z0-9][a-z0-9.-]*$/i;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function recordLine(set: RecordSet): string[] {
  const name = `${normaliseName(set.name)}.`;
  return set.values.map((v) => `${name} ${set.ttl} IN ${set.type} ${set.type === 'CNAME' ? `${normaliseName(v)}.` : v}`);
}

export function namedZoneFile(zone: NamedZone): string {
  const apex = normaliseName(zone.apex);
  return [
    `$ORIGIN ${apex}.`, '$TTL 60',
    `@ IN SOA ns1.${apex}. hostmaster.${apex}. 1 3600 600 86400 60`,
    `@ IN NS ns1.${apex}.`,
    'ns1 IN A 127.0.0.1',
    ...(zone.records ?? []).flatMap(recordLine), '',
  ].join('\n');
}

export function namedConf(dir: string, port: number, zones: readonly NamedZone[], keys: readonly NamedKey[]): string {
  for (const key of keys) {
    // Both end up inside named.conf's quotes: reject anything that could break out of them.
    if (!KEY_NAME_RE.test(key.name)) throw new Error(`TSIG key name ${JSON.stringify(key.name)}: letters, digits, dots and hyphens only`);
    if (!BASE64_RE.test(key.secret)) throw new Error(`TSIG key ${key.name}: the secret must be base64`);
  }
  const writers = keys.filter((k) => k.update);
  return `
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
  notify no;
};
controls { };
${keys.map((k) => `key "${k.name}" { algorithm hmac-sha256; secret "${k.secret}"; };`).join('\n')}
${zones.map((z) => `zone "${normaliseName(z.apex)}" {
  type primary;
  file "${dir}/${normaliseName(z.apex)}.zone";
  update-policy { ${writers.map((k) => `grant ${k.name} zonesub ANY;`).join(' ')} };
};`).join('\n')}
`;
}

/** `id` from coreutils: Node has no getpwnam. Undefined when the user does not exist. */
function idOf(flag: '-u' | '-g', user: string): number | undefined {
  try {
    return Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

export async function startNamed(options: NamedOptions): Promise<Named> {
  if (options.zones.length === 0) throw new Error('named needs at least one zone');
  if (!options.keys.some((k) => k.update)) throw new Error('named needs at least one key allowed to update');
  const binary = options.binary ?? 'named';
  if (!namedInstalled(binary)) throw new NamedNotFoundError();
  const port = options.port === 0 ? await freeLoopbackPort() : options.port;
  // A temp dir rather than the state dir: as root, named drops to the bind user, which must be
  // able to reach and write its dir (journal files), and home directories are often closed.
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-named-'));
  for (const zone of options.zones) writeFileSync(join(dir, `${normaliseName(zone.apex)}.zone`), namedZoneFile(zone));
  writeFileSync(join(dir, 'named.conf'), namedConf(dir, port, options.zones, options.keys), { mode: 0o600 });
  const bindUid = userInfo().uid === 0 ? idOf('-u', 'bind') : undefined;
  const bindGid = bindUid === undefined ? undefined : idOf('-g', 'bind');
  const dropTo = bindUid !== undefined && bindGid !== undefined;
  if (dropTo) chownSync(dir, bindUid, bindGid);
  for (const file of ['named.conf', ...options.zones.map((z) => `${normaliseName(z.apex)}.zone`)]) {
    if (dropTo) chownSync(join(dir, file), bindUid, bindGid);
  }

  const child = spawn(binary, ['-g', '-c', join(dir, 'named.conf'), ...(dropTo ? ['-u', 'bind'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-8_000); };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.on('error', (err) => collect(Buffer.from(`\n${err.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  // If this process exits without stop() (a signal during start-up, process.exit elsewhere),
  // named must not outlive it holding the port: 'exit' handlers run synchronously, so kill only.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  // A signal's default action ends Node without 'exit': stop named, then let the signal do its
  // default (re-raised once no one else listens). A run that takes the signals over later stops named itself.
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    forget();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const forget = () => {
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= (async () => {
    forget();
    if (child.pid !== undefined) await stopServerProcess(child, exited);
    rmSync(dir, { recursive: true, force: true });
  })());
  try {
    await spawned;
    await waitForSoa(port, normaliseName(options.zones[0]!.apex), () => child.exitCode !== null || child.signalCode !== null, () => output, options.startTimeoutMs ?? 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, host: '127.0.0.1', port, dir, output: () => output, stop };
}

/**
 * Polls (bounded) until the DNS server on 127.0.0.1:`port` answers the zone's SOA with NOERROR
 * over TCP; the local run's BIND and the tests' BIND and Knot fixtures wait with it.
 */
export async function waitForSoa(port: number, zone: string, exited: () => boolean, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const query = encodeMessage({
    id: 4242, response: false, opcode: OPCODE.QUERY, rcode: 0,
    questions: [{ name: zone, type: TYPE.SOA, class: CLASS.IN }], answers: [], authorities: [], additionals: [],
  });
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the DNS server exited before answering on 127.0.0.1:${port}:\n${output()}`);
    try {
      const answer = decodeMessage(await nodeDnsTransport({ host: '127.0.0.1', port, tcp: true }, query, { signal: AbortSignal.timeout(1_000) }));
      if (answer.rcode === RCODE.NOERROR && answer.answers.length > 0) return;
      last = `rcode ${answer.rcode}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the DNS server on 127.0.0.1:${port} did not answer within ${timeoutMs} ms (${last}):\n${output()}`);
}
