/**
 * Inline SVG for the status page: latency per vantage point and availability bars over the last
 * hour. Plain markup, no script and no external asset, so it draws under the status server's CSP
 * (default-src 'none'); hover text comes from SVG <title> elements.
 */
import type { ServiceHistory } from './status-history.ts';
import type { AvailabilityBucket } from './status-summary.ts';
import type { TargetRole, UnixMs } from '../model.ts';

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const hhmm = (at: UnixMs) => new Date(at).toISOString().slice(11, 16) + 'Z';

/** Colour-blind-safe (Okabe-Ito) first, then more. */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7f7f7f', '#332288', '#117733', '#882255'];

/** A stable colour per vantage point, in the order given. */
export function vpColours(vps: readonly string[]): Map<string, string> {
  return new Map(vps.map((vp, i) => [vp, PALETTE[i % PALETTE.length]!] as const));
}

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten. */
function niceMax(v: number): number {
  if (v <= 0) return 100;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].map((m) => m * p).find((m) => m >= v))!;
}

const W = 480, H = 150, L = 44, R = 8, T = 10, B = 22;

/**
 * Mean latency per minute of every vantage point on `target`: one line each, broken where a minute
 * has no vote; each point says its mean and worst latency on hover.
 */
export function latencyChart(history: ServiceHistory, target: TargetRole, colours: ReadonlyMap<string, string>): string {
  const series = history.series.filter((s) => s.target === target && s.buckets.some((b) => b.latencyMs));
  const step = history.bucketSeconds * 1000;
  const minutes = 60;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.buckets.map((b) => b.latencyMs?.mean ?? 0))));
  const x = (at: UnixMs) => L + ((at - history.from) / step / (minutes - 1)) * (W - L - R);
  const y = (ms: number) => T + (1 - Math.min(ms, max) / max) * (H - T - B);
  const grid = [0, max / 2, max].map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" class="gl"/><text x="${L - 4}" y="${y(v) + 4}" text-anchor="end">${v} ms</text>`).join('');
  const xLabels = [[history.from, '-60m'], [history.from + 30 * step, '-30m'], [history.from + (minutes - 1) * step, 'now']] as const;
  const axis = xLabels.map(([at, label], i) => `<text x="${x(at)}" y="${H - 6}" text-anchor="${i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}">${label}</text>`).join('');
  const lines = series.map((s) => {
    const colour = colours.get(s.vantagePoint) ?? PALETTE[0]!;
    const runs: string[][] = [];
    let last = -Infinity;
    const dots: string[] = [];
    for (const b of s.buckets) {
      if (!b.latencyMs) continue;
      const pt = `${x(b.at).toFixed(1)},${y(b.latencyMs.mean).toFixed(1)}`;
      if (b.at - last > step) runs.push([]);
      runs[runs.length - 1]!.push(pt);
      last = b.at;
      dots.push(`<circle cx="${x(b.at).toFixed(1)}" cy="${y(b.latencyMs.mean).toFixed(1)}" r="2.5" fill="${colour}"><title>${esc(s.vantagePoint)} ${hhmm(b.at)}: mean ${b.latencyMs.mean} ms, worst ${b.latencyMs.max} ms</title></circle>`);
    }
    const paths = runs.filter((r) => r.length > 1).map((r) => `<polyline points="${r.join(' ')}" fill="none" stroke="${colour}" stroke-width="1.8"/>`).join('');
    return `<g data-vp="${esc(s.vantagePoint)}">${paths}${dots.join('')}</g>`;
  }).join('');
  const empty = series.length ? '' : `<text x="${(W + L) / 2}" y="${H / 2}" text-anchor="middle" class="muted">no latency in the last hour</text>`;
  return `<svg class="latency" data-target="${target}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${target} latency per vantage point, last hour"><title>${target} latency per vantage point, last hour</title>${grid}${axis}${lines}${empty}</svg>`;
}

/** Colour class of a minute: every vote healthy, some unhealthy, most unhealthy, abstain only, or none. */
export function barClass(b: AvailabilityBucket): 'up' | 'partial' | 'down' | 'abstain' | 'none' {
  const judged = b.healthy + b.unhealthy;
  if (judged === 0) return b.abstain ? 'abstain' : 'none';
  if (b.unhealthy === 0) return 'up';
  return b.unhealthy * 2 > judged ? 'down' : 'partial';
}

/** One bar per minute of the hour, oldest on the left, each with its counts on hover. */
export function availabilityBars(buckets: readonly AvailabilityBucket[], target: TargetRole): string {
  const bw = 6, gap = 2, h = 26;
  const bars = buckets.map((b, i) => {
    const cls = barClass(b);
    const text = cls === 'none' ? 'no votes' : `${b.healthy} healthy, ${b.unhealthy} unhealthy${b.abstain ? `, ${b.abstain} abstain` : ''}`;
    return `<rect x="${i * (bw + gap)}" y="0" width="${bw}" height="${h}" rx="1.5" class="bar ${cls}"><title>${hhmm(b.at)}: ${text}</title></rect>`;
  }).join('');
  const w = buckets.length * (bw + gap) - gap;
  return `<svg class="bars" data-target="${target}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${target} availability per minute, last hour">${bars}</svg>`;
}
