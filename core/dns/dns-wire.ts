/**
 * The DNS wire format (RFC 1035), exactly as much as RFC 2136 updates with TSIG need: a header,
 * the four sections, names (decompressed on read, never compressed on write), and the RDATA of
 * A, AAAA, CNAME and TXT. Web APIs only (Uint8Array, DataView), so it runs in Node and workerd;
 * dns2 and dns-packet need Node's Buffer and neither encodes TSIG.
 */
import { LifeboatError } from '../errors.ts';

export const TYPE = { A: 1, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, TSIG: 250, ANY: 255 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
export const RCODE = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));
export const rcodeName = (rcode: number): string => RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;

/** One resource record; `rdata` is the raw RDATA (names inside it already decompressed on read). */
export interface WireRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

export interface WireQuestion { readonly name: string; readonly type: number; readonly class: number }

export interface WireMessage {
  readonly id: number;
  /** QR bit: true in responses. */
  readonly response: boolean;
  readonly opcode: number;
  readonly rcode: number;
  /** Query: RD. Ignored for updates, where the flag bits must be zero. */
  readonly recursionDesired?: boolean;
  /** Query: questions; update: the zone section. */
  readonly questions: readonly WireQuestion[];
  /** Query: answers; update: prerequisites. */
  readonly answers: readonly WireRecord[];
  /** Query: authority; update: the updates. */
  readonly authorities: readonly WireRecord[];
  readonly additionals: readonly WireRecord[];
}

/** A message that cannot be read: truncated, a bad pointer, a bad label. */
export class DnsWireError extends LifeboatError {
  override readonly name: string = 'DnsWireError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Growable byte writer. */
export class WireWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(512);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this { this.room(1); this.buf[this.len++] = v & 0xff; return this; }
  u16(v: number): this { return this.u8(v >>> 8).u8(v); }
  u32(v: number): this { return this.u16(Math.floor(v / 0x10000)).u16(v & 0xffff); }
  /** 48-bit unsigned (TSIG time signed). */
  u48(v: number): this { return this.u16(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32); }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.len); this.len += b.length; return this; }
  /** An uncompressed name; lower-cased when `canonical` (TSIG's MAC input). */
  name(name: string, canonical = false): this { return this.bytes(encodeName(canonical ? name.toLowerCase() : name)); }
  done(): Uint8Array<ArrayBuffer> { return this.buf.slice(0, this.len); }
}

/** A name in wire form, uncompressed. Accepts a final dot or not; "" and "." are the root. */
export function encodeName(name: string): Uint8Array {
  const trimmed = name.replace(/\.$/, '');
  const w: number[] = [];
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = encoder.encode(label);
      if (bytes.length === 0 || bytes.length > 63) throw new DnsWireError(`bad label "${label}" in name "${name}" (1 to 63 bytes)`);
      w.push(bytes.length, ...bytes);
    }
  }
  w.push(0);
  if (w.length > 255) throw new DnsWireError(`name "${name}" is longer than 255 bytes`);
  return Uint8Array.from(w);
}

export function encodeRecord(w: WireWriter, r: WireRecord): void {
  w.name(r.name).u16(r.type).u16(r.class).u32(r.ttl).u16(r.rdata.length).bytes(r.rdata);
}

export function encodeMessage(m: WireMessage): Uint8Array {
  const w = new WireWriter();
  const flags = (m.response ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.recursionDesired ? 0x0100 : 0) | (m.rcode & 0xf);
  w.u16(m.id).u16(flags).u16(m.questions.length).u16(m.answers.length).u16(m.authorities.length).u16(m.additionals.length);
  for (const q of m.questions) w.name(q.name).u16(q.type).u16(q.class);
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) encodeRecord(w, r);
  return w.done();
}

/** A parsed message, plus where each additional record starts (TSIG verification needs it). */
export interface DecodedMessage extends WireMessage {
  readonly additionalOffsets: readonly number[];
}

class Reader {
  private readonly view: DataView;
  offset = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new DnsWireError(`message truncated at byte ${this.offset} (wanted ${n} more of ${this.bytes.length})`);
  }
  u8(): number { this.need(1); return this.view.getUint8(this.offset++); }
  u16(): number { this.need(2); const v = this.view.getUint16(this.offset); this.offset += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.offset); this.offset += 4; return v; }
  take(n: number): Uint8Array { this.need(n); const b = this.bytes.slice(this.offset, this.offset + n); this.offset += n; return b; }
  /** A possibly compressed name at the current offset; moves past it. */
  name(): string {
    const [name, end] = readName(this.bytes, this.offset);
    this.offset = end;
    return name;
  }
}

/** Reads a name at `offset` following compression pointers (bounded); returns it and the offset after it. */
export function readName(bytes: Uint8Array, offset: number): [string, number] {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  for (let hops = 0; ; ) {
    if (pos >= bytes.length) throw new DnsWireError(`name at byte ${offset} runs past the message`);
    const len = bytes[pos]!;
    if (len === 0) { pos += 1; break; }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= bytes.length) throw new DnsWireError(`name at byte ${offset}: pointer runs past the message`);
      if (++hops > 64) throw new DnsWireError(`name at byte ${offset}: compression pointer loop`);
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | bytes[pos + 1]!;
      continue;
    }
    if (len > 63) throw new DnsWireError(`name at byte ${offset}: bad label length ${len}`);
    if (pos + 1 + len > bytes.length) throw new DnsWireError(`name at byte ${offset}: label runs past the message`);
    labels.push(decoder.decode(bytes.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return [labels.join('.'), end < 0 ? pos : end];
}

function readRecord(r: Reader): WireRecord {
  const name = r.name();
  const type = r.u16();
  const klass = r.u16();
  const ttl = r.u32();
  const rdlength = r.u16();
  r.need(rdlength);
  const start = r.offset;
  let rdata: Uint8Array;
  if (type === TYPE.CNAME) {
    // Decompress the target so the RDATA stands alone.
    const [target] = readName(r.bytes, start);
    rdata = encodeName(target);
  } else {
    // A, AAAA, TXT hold no names; TSIG's algorithm name is never compressed (RFC 8945 §4.2).
    rdata = r.bytes.slice(start, start + rdlength);
  }
  r.offset = start + rdlength;
  return { name, type, class: klass, ttl, rdata };
}

export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  const r = new Reader(bytes);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: WireQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const section = (n: number): WireRecord[] => Array.from({ length: n }, () => readRecord(r));
  const answers = section(counts[1]);
  const authorities = section(counts[2]);
  const additionals: WireRecord[] = [];
  const additionalOffsets: number[] = [];
  for (let i = 0; i < counts[3]; i++) {
    additionalOffsets.push(r.offset);
    additionals.push(readRecord(r));
  }
  return {
    id, response: (flags & 0x8000) !== 0, opcode: (flags >>> 11) & 0xf, rcode: flags & 0xf,
    recursionDesired: (flags & 0x0100) !== 0, questions, answers, authorities, additionals, additionalOffsets,
  };
}

// RDATA of the record types Lifeboat manages.

export function encodeA(address: string): Uint8Array {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new DnsWireError(`"${address}" is not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

export function encodeAAAA(address: string): Uint8Array {
  const halves = address.toLowerCase().split('::');
  if (halves.length > 2 || address.includes('.')) throw new DnsWireError(`"${address}" is not an IPv6 address (no embedded IPv4 either)`);
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) throw new DnsWireError(`"${address}" is not an IPv6 address`);
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    if (!/^[0-9a-f]{1,4}$/.test(g)) throw new DnsWireError(`"${address}" is not an IPv6 address`);
    const v = parseInt(g, 16);
    out[i * 2] = v >>> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** TXT RDATA: each string as a character-string; longer ones split at 255 bytes. */
export function encodeTxt(strings: readonly string[]): Uint8Array {
  const w = new WireWriter();
  for (const s of strings) {
    const bytes = encoder.encode(s);
    if (bytes.length === 0) w.u8(0);
    for (let i = 0; i < bytes.length; i += 255) {
      const chunk = bytes.subarray(i, i + 255);
      w.u8(chunk.length).bytes(chunk);
    }
  }
  return w.done();
}

export function decodeA(rdata: Uint8Array): string {
  if (rdata.length !== 4) throw new DnsWireError(`A RDATA of ${rdata.length} bytes`);
  return [...rdata].join('.');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (>= 2) of zero groups as "::". */
export function decodeAAAA(rdata: Uint8Array): string {
  if (rdata.length !== 16) throw new DnsWireError(`AAAA RDATA of ${rdata.length} bytes`);
  const groups = Array.from({ length: 8 }, (_, i) => ((rdata[i * 2]! << 8) | rdata[i * 2 + 1]!).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function decodeNameRdata(rdata: Uint8Array): string {
  return readName(rdata, 0)[0];
}

/** The character-strings of a TXT RDATA, each on its own. */
export function decodeTxt(rdata: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < rdata.length; ) {
    const len = rdata[i]!;
    if (i + 1 + len > rdata.length) throw new DnsWireError('TXT RDATA: character-string runs past the record');
    out.push(decoder.decode(rdata.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
