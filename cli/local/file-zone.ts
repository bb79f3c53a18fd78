/**
 * The embedded provider's zone, kept in a JSON file so the CLI (`lifeboat dns apply`) and a
 * running server (`lifeboat dns serve`, `lifeboat run`) share it. Writes keep MemoryDnsProvider's
 * exact semantics (atomic, compare-and-swap on the state record, nothing sent for a no-op) by
 * loading the file into a MemoryZone and applying through MemoryDnsProvider, all under a lock
 * file; the result is written to a temp file and renamed over the zone file, so a reader sees the
 * old zone or the new one, never half of one. Readers notice a new file by its inode and mtime.
 *
 * File: `{"format":"lifeboat-zone/1","apex":"example.com","version":3,"updatedAt":"…","records":[…]}`.
 * `version` increases by one on every write and is the SOA serial. When the file does not exist
 * yet, the zone reads as its seed (version 0) and the first write creates the file.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { normaliseName } from '#core/model.ts';
import { DnsError, type ApplyResult, type CurrentRecords, type DnsPlan, type DnsProvider, type RecordSet, type ServiceDns } from '#core/dns/types.ts';
import type { ZoneSource } from './dns-server.ts';
import type { ZoneSnapshot } from './zone-answer.ts';

export const ZONE_FILE_FORMAT = 'lifeboat-zone/1';
export const DEFAULT_ZONE_DIR = '.lifeboat/dns';

const recordSetSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']),
  ttl: z.number().int().min(0),
  values: z.array(z.string()),
  proxied: z.boolean().optional(),
});
const zoneFileSchema = z.object({
  format: z.literal(ZONE_FILE_FORMAT),
  apex: z.string(),
  version: z.number().int().min(0),
  updatedAt: z.string().optional(),
  records: z.array(recordSetSchema),
});

export interface ZoneContents {
  readonly version: number;
  readonly sets: readonly RecordSet[];
}

export interface FileZoneOptions {
  /** The zone's contents before its file exists. */
  readonly seed?: () => readonly RecordSet[];
  /** How long a writer waits for the lock before giving up. */
  readonly lockTimeoutMs?: number;
  /** A lock file older than this was left by a dead writer and is removed. */
  readonly staleLockMs?: number;
}

export const zoneFilePath = (zoneDir: string, apex: string): string => join(zoneDir, `${normaliseName(apex)}.json`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Stamp { readonly ino: number; readonly mtimeMs: number; readonly size: number }
const stampOf = (path: string): Stamp | null => {
  try {
    const s = statSync(path);
    return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
};
const sameStamp = (a: Stamp | null, b: Stamp | null) =>
  a === null || b === null ? a === b : a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size;

export class FileZone implements ZoneSource {
  readonly apex: string;
  private cache: { stamp: Stamp | null; contents: ZoneContents } | undefined;
  private readonly seed: () => readonly RecordSet[];
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;

  constructor(readonly path: string, apex: string, options: FileZoneOptions = {}) {
    this.apex = normaliseName(apex);
    this.seed = options.seed ?? (() => []);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
    this.staleLockMs = options.staleLockMs ?? 30_000;
  }

  get exists(): boolean {
    return stampOf(this.path) !== null;
  }

  /** The zone as it is now; re-reads the file only when it was replaced since the last read. */
  read(): ZoneContents {
    const stamp = stampOf(this.path);
    if (this.cache && sameStamp(this.cache.stamp, stamp)) return this.cache.contents;
    const contents = stamp === null ? { version: 0, sets: this.seed().map((s) => ({ ...s, name: normaliseName(s.name) })) } : this.load();
    this.cache = { stamp, contents };
    return contents;
  }

  snapshot(): ZoneSnapshot {
    const { version, sets } = this.read();
    return { apex: this.apex, serial: version, sets };
  }

  /** Writes the seed to the file if there is no file yet (so `cat` shows the zone). */
  async materialise(): Promise<void> {
    if (this.exists) return;
    await this.transact((zone) => zone.write([]));
  }

  /**
   * Runs `fn` on the zone loaded into a MemoryZone, holding the lock; if `fn` wrote to the zone,
   * the file is replaced with version + 1. Two writers cannot both win: the second waits for the
   * lock and then sees the first one's file.
   */
  async transact<T>(fn: (zone: MemoryZone) => T | Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      const before = stampOf(this.path);
      const current = before === null ? { version: 0, sets: this.seed() } : this.load();
      const zone = new MemoryZone(this.apex);
      if (current.sets.length > 0) zone.write(current.sets);
      const baseWrites = zone.writes;
      const result = await fn(zone);
      if (zone.writes !== baseWrites) {
        // Belt and braces: the lock should make this impossible, but never overwrite a file that
        // changed under us (a writer that ignored the lock, or a lock wrongly judged stale).
        if (!sameStamp(before, stampOf(this.path))) {
          throw new DnsError(`zone file ${this.path} changed during the write; nothing was written, retry`, 'embedded', this.apex);
        }
        this.writeFile({ version: current.version + 1, sets: zone.all() });
      }
      return result;
    } finally {
      release();
    }
  }

  private load(): ZoneContents {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new DnsError(`zone file ${this.path} is not readable JSON: ${(err as Error).message}`, 'embedded', this.apex, undefined, { cause: err });
    }
    const parsed = zoneFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DnsError(`zone file ${this.path} is not a Lifeboat zone: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, 'embedded', this.apex);
    }
    if (normaliseName(parsed.data.apex) !== this.apex) {
      throw new DnsError(`zone file ${this.path} holds zone ${parsed.data.apex}, not ${this.apex}`, 'embedded', this.apex);
    }
    return { version: parsed.data.version, sets: parsed.data.records.map((s) => ({ ...s, name: normaliseName(s.name) })) };
  }

  private writeFile(contents: ZoneContents): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const sorted = [...contents.sets]
      .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type))
      .map(({ name, type, ttl, values, proxied }) => ({ name, type, ttl, values, ...(proxied === undefined ? {} : { proxied }) }));
    const body = `${JSON.stringify({
      format: ZONE_FILE_FORMAT, apex: this.apex, version: contents.version, updatedAt: new Date().toISOString(), records: sorted,
    }, null, 2)}\n`;
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, body, { mode: 0o644 });
      renameSync(tmp, this.path);
    } catch (err) {
      try { unlinkSync(tmp); } catch { /* already gone */ }
      throw err;
    }
  }

  /** An exclusive lock file next to the zone file; waits (bounded) for another writer. */
  private async lock(): Promise<() => void> {
    const lockPath = `${this.path}.lock`;
    mkdirSync(dirname(this.path), { recursive: true });
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lockPath, 'wx');
        writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`);
        closeSync(fd);
        return () => { try { unlinkSync(lockPath); } catch { /* removed as stale by another writer */ } };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = stampOf(lockPath);
      if (held && Date.now() - held.mtimeMs > this.staleLockMs) {
        try { unlinkSync(lockPath); } catch { /* another writer removed it first */ }
        continue;
      }
      if (Date.now() > deadline) {
        throw new DnsError(`zone file ${this.path} is locked by another writer (${lockPath}); if no Lifeboat is writing, remove the lock file`, 'embedded', this.apex);
      }
      await sleep(Math.min(10 * 2 ** Math.min(attempt, 4), 100));
    }
  }
}

/** The embedded DnsProvider over a file zone: MemoryDnsProvider's semantics, shared through the file. */
export class FileDnsProvider implements DnsProvider {
  readonly name = 'embedded' as const;
  readonly zone: string;

  constructor(readonly file: FileZone) {
    this.zone = file.apex;
  }

  async read(service: ServiceDns): Promise<CurrentRecords> {
    const zone = new MemoryZone(this.file.apex);
    const { sets } = this.file.read();
    if (sets.length > 0) zone.write(sets);
    return new MemoryDnsProvider(zone, { name: 'embedded' }).read(service);
  }

  async apply(plan: DnsPlan): Promise<ApplyResult> {
    return this.file.transact((zone) => new MemoryDnsProvider(zone, { name: 'embedded' }).apply(plan));
  }
}
