/**
 * How an authoritative server answers one question from a zone's record sets: a pure function,
 * so the wire code (dns-server.ts) stays thin. Follows RFC 1034 4.3.2 for the cases Lifeboat
 * needs: exact match, CNAME (followed inside the zone), NODATA and NXDOMAIN with the SOA in the
 * authority section (RFC 2308), empty non-terminals, and REFUSED outside the zone.
 */
import { normaliseName } from '#core/model.ts';
import type { RecordSet } from '#core/dns/types.ts';
import { RCODE, qtypeName, type WireRecord, type WireReply } from './dns2-typed.ts';

/** What the server reads from a zone for each query. */
export interface ZoneSnapshot {
  readonly apex: string;
  /** Increases on every write to the zone: the SOA serial. */
  readonly serial: number;
  readonly sets: readonly RecordSet[];
}

export interface AnswerOptions {
  /** TTL of the synthesised SOA and NS records, and the negative-caching TTL. */
  readonly ttl: number;
}

const MAX_CNAME_CHAIN = 8;
/** TXT character-strings are at most 255 bytes; longer values are split, as Route 53 does. */
const TXT_CHUNK = 255;

export function isInZone(name: string, apex: string): boolean {
  return name === apex || name.endsWith(`.${apex}`);
}

export function soaRecord(zone: ZoneSnapshot, ttl: number): WireRecord {
  return {
    type: 'SOA', name: zone.apex, ttl, mname: `ns1.${zone.apex}`, rname: `hostmaster.${zone.apex}`,
    serial: zone.serial >>> 0, refresh: 3600, retry: 600, expire: 86_400, minimum: ttl,
  };
}

function splitTxt(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= TXT_CHUNK) return [value];
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length; i += TXT_CHUNK) chunks.push(bytes.subarray(i, i + TXT_CHUNK).toString('utf8'));
  return chunks;
}

function toWire(set: RecordSet, owner: string): WireRecord[] {
  const base = { name: owner, ttl: set.ttl };
  switch (set.type) {
    case 'A': case 'AAAA': { const type = set.type; return set.values.map((address) => ({ ...base, type, address })); }
    case 'CNAME': return set.values.slice(0, 1).map((target) => ({ ...base, type: 'CNAME' as const, target }));
    case 'TXT': return set.values.map((v) => ({ ...base, type: 'TXT' as const, strings: splitTxt(v) }));
  }
}

function setsAt(zone: ZoneSnapshot, name: string, ttl: number): Map<string, WireRecord[]> {
  const out = new Map<string, WireRecord[]>();
  for (const set of zone.sets) if (set.name === name) out.set(set.type, toWire(set, name));
  if (name === zone.apex) {
    out.set('SOA', [soaRecord(zone, ttl)]);
    out.set('NS', [{ type: 'NS', name, ttl, host: `ns1.${zone.apex}` }]);
  }
  return out;
}

/** A name exists if it holds records or has names below it (an empty non-terminal). */
function nameExists(zone: ZoneSnapshot, name: string): boolean {
  return name === zone.apex || zone.sets.some((s) => s.name === name || s.name.endsWith(`.${name}`));
}

/** Answers one question. `qname` is as received (case kept for the answer's owner name). */
export function answer(zone: ZoneSnapshot, qname: string, qtype: number, options: AnswerOptions): WireReply {
  const negative = (rcode: number, answers: WireRecord[] = []): WireReply =>
    ({ rcode, aa: true, answers, authorities: [soaRecord(zone, options.ttl)] });
  let name = normaliseName(qname);
  if (!isInZone(name, zone.apex)) return { rcode: RCODE.REFUSED, aa: false, answers: [], authorities: [] };
  const answers: WireRecord[] = [];
  const want = qtypeName(qtype);
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    const owner = hop === 0 ? qname.replace(/\.$/, '') : name;
    const here = setsAt(zone, name, options.ttl);
    const rename = (records: readonly WireRecord[]) => records.map((r) => ({ ...r, name: owner }));
    if (want === 'ANY') {
      if (here.size === 0) break;
      return { rcode: RCODE.NOERROR, aa: true, answers: [...answers, ...rename([...here.values()].flat())], authorities: [] };
    }
    const exact = want ? here.get(want) : undefined;
    if (exact) return { rcode: RCODE.NOERROR, aa: true, answers: [...answers, ...rename(exact)], authorities: [] };
    const cname = here.get('CNAME')?.[0];
    if (cname?.type !== 'CNAME') break;
    answers.push({ ...cname, name: owner });
    const target = normaliseName(cname.target);
    // A CNAME out of the zone: the resolver follows it elsewhere.
    if (!isInZone(target, zone.apex)) return { rcode: RCODE.NOERROR, aa: true, answers, authorities: [] };
    name = target;
  }
  // NODATA (the name exists, not the type) or NXDOMAIN; after a CNAME, about its target (RFC 6604).
  return negative(nameExists(zone, name) ? RCODE.NOERROR : RCODE.NXDOMAIN, answers);
}
