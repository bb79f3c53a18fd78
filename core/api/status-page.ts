/**
 * The status page: one self-contained HTML document (inline CSS and JS, no external assets) built
 * from the coordinators' status reports. It re-renders itself by fetching the same-origin
 * `/status.json` (which carries the freshly rendered body) every few seconds. Only status data is
 * rendered: the reports hold no secrets, and every string is HTML-escaped.
 */
import type { RecentEntry, StatusReport, VoteView } from './status.ts';
import { ageText, availability, INCIDENT_KINDS, summarise, timeline, type ServiceSummary } from './status-summary.ts';
import { availabilityBars, esc, latencyChart, vpColours } from './status-charts.ts';
import type { Evidence } from '../engine/evidence.ts';
import { TARGET_ROLES, type UnixMs } from '../model.ts';

export interface Unreachable {
  readonly coordinator: string;
  readonly error: string;
}

export interface StatusPageOptions {
  readonly unreachable?: readonly Unreachable[];
  /** How often the page refreshes itself (default 5 s). */
  readonly refreshMs?: number;
}

const iso = (at: UnixMs) => new Date(at).toISOString().replace('.000Z', 'Z');
const clock = (at: UnixMs) => new Date(at).toISOString().slice(11, 19) + 'Z';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Unix-ms-looking numbers (2001 onwards) are shown as times. */
const scalar = (k: string, v: unknown) => (typeof v === 'number' && v > 1e12 && /at$|since$|^at$|time/i.test(k) ? iso(v) : String(v));

function voteCell(v: VoteView | undefined): string {
  if (!v) return '<td class="vote none" data-verdict="none">–</td>';
  const cls = v.fresh ? v.verdict : 'stale';
  const detail = [v.failure, v.latencyMs !== undefined ? `${Math.round(v.latencyMs)} ms` : '', v.ranIn ? `in ${v.ranIn}` : ''].filter(Boolean).join(', ');
  return `<td class="vote ${esc(cls)}" data-verdict="${esc(v.verdict)}" title="${esc(detail)}">${esc(v.verdict)} <span class="age">${esc(ageText(v.ageSeconds))}</span>${v.latencyMs !== undefined ? ` <span class="lat">${Math.round(v.latencyMs)} ms</span>` : ''}</td>`;
}

/** "DNS write failing since …", per coordinator: the decision is made but its DNS write keeps failing. */
function failingTexts(s: ServiceSummary): string[] {
  return s.dnsFailing.map(({ coordinator, pendingFlip: p }) =>
    `DNS write failing since ${iso(p.failingSince!)} (${coordinator}): flip to ${p.to} (epoch ${p.epoch}), ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}${p.lastAttemptAt ? `, last ${iso(p.lastAttemptAt)}` : ''}`);
}

function historyBlock(s: ServiceSummary): string {
  const vps = [...new Set(s.history.series.map((x) => x.vantagePoint))];
  const colours = vpColours(vps);
  const rows = TARGET_ROLES.map((target) => {
    const a = availability(s.history, target);
    const pct = a.ratio === null ? '–' : `${(Math.floor(a.ratio * 1000) / 10).toFixed(1)}%`;
    return `<div class="avail" data-target="${target}"><span class="tname">${target}</span>${availabilityBars(a.buckets, target)}<span class="uptime" title="healthy votes / judged votes, last hour">${pct}</span></div>`;
  }).join('');
  const legend = vps.length
    ? `<ul class="legend">${vps.map((vp) => `<li><span class="sw" style="background:${colours.get(vp)}"></span>${esc(vp)}</li>`).join('')}</ul>`
    : '';
  const charts = TARGET_ROLES.map((t) => `<figure><figcaption>${t} latency (mean per minute)</figcaption>${latencyChart(s.history, t, colours)}</figure>`).join('');
  return `<div class="history"><h3>Last hour <span class="muted">(bars: one minute each, all vantage points)</span></h3>${rows}<div class="charts">${charts}</div>${legend}</div>`;
}

function serviceCard(s: ServiceSummary): string {
  const vps = Object.entries(s.votes);
  const grid = vps.length === 0
    ? '<p class="muted">no votes yet</p>'
    : `<table class="grid"><thead><tr><th>vantage point</th><th>primary</th><th>secondary</th></tr></thead><tbody>${
      vps.map(([vp, t]) => `<tr data-vp="${esc(vp)}"><th>${esc(vp)}</th>${voteCell(t.primary)}${voteCell(t.secondary)}</tr>`).join('')
    }</tbody></table>`;
  const coords = s.perCoordinator.map((c) => `${esc(c.coordinator)}: ${esc(c.active)} / epoch ${c.epoch}${c.override ? ` / ${esc(c.override)}` : ''}`).join(' · ');
  const d = s.lastDecision;
  const failing = failingTexts(s);
  return `<section class="service" data-service="${esc(s.service)}">
<h2>${esc(s.service)} <span class="badge state-${esc(s.state.split(/[ :]/)[0])}">${esc(s.state)}</span>
<span class="badge ${s.agree ? 'agree' : 'disagree'}">${s.agree ? 'coordinators agree' : 'coordinators DISAGREE'}</span></h2>
${failing.map((f) => `<p class="failing">${esc(f)}</p>`).join('')}
${s.propagation.map((t) => `<p class="propagation">DNS ${esc(t)}</p>`).join('')}
<p>active <b>${esc(s.active)}</b>, epoch ${s.epoch} — ${coords}</p>
${s.override ? `<p class="override">override <b>${esc(s.override.action)}</b> by ${esc(s.override.by)}${s.override.until ? ` until ${esc(iso(s.override.until))}` : ''}: ${esc(s.override.reason)}</p>` : ''}
${s.hold ? `<p class="hold">holding since ${esc(iso(s.hold.since))}: ${esc(s.hold.reason)}</p>` : ''}
<p class="evidence">votes: ${esc(s.evidence)}${s.providers ? ` — providers on the primary: ${esc(s.providers)}` : ''}</p>
${d ? `<p class="decision">last decision ${esc(iso(d.at))}: ${esc(d.from)} → ${esc(d.to)} (${esc(d.cause)}) — ${esc(d.summary)}</p>` : '<p class="muted">no decision yet</p>'}
${historyBlock(s)}
${grid}
</section>`;
}

function evidenceTable(e: Evidence): string {
  const t = (role: 'primary' | 'secondary') => {
    const c = e.tally[role];
    return `${role} ${c.unhealthy}/${c.fresh} unhealthy${c.abstain ? `, ${c.abstain} abstain` : ''}${c.stale ? `, ${c.stale} stale` : ''}`;
  };
  const rows = e.votes.map((v) => `<tr><td>${esc(v.vantagePoint)}</td><td>${esc(v.target)}</td><td class="vote ${v.fresh ? esc(v.verdict) : 'stale'}">${esc(v.verdict)}${v.fresh ? '' : ' (stale)'}</td><td>${esc(v.failure ?? '')}</td><td>${esc(clock(v.observedAt))}</td></tr>`).join('');
  return `<p>${esc(t('primary'))}; ${esc(t('secondary'))}</p>${rows ? `<table class="ev"><thead><tr><th>vantage point</th><th>target</th><th>verdict</th><th>failure</th><th>observed</th></tr></thead><tbody>${rows}</tbody></table>` : ''}`;
}

/** Decisions, holds, abandoned flips and gray failures, each with the votes behind it. */
function incidents(events: readonly (RecentEntry & { coordinator: string })[]): string {
  const list = events.filter((e) => INCIDENT_KINDS.has(e.kind));
  if (!list.length) return '<p class="muted">no incident in the recent history</p>';
  return list.map((e, i) => {
    const id = `inc-${esc(e.coordinator)}-${e.at}-${esc(e.kind)}`;
    return `<details id="${id}" class="incident kind-${esc(e.kind)}"${i === 0 ? ' open' : ''}><summary><time>${esc(iso(e.at))}</time> <span class="kind">${esc(e.kind)}</span> ${e.service ? `<b>${esc(e.service)}</b> ` : ''}${esc(e.message)} <span class="coord">${esc(e.coordinator)}</span></summary>${
      e.evidence ? evidenceTable(e.evidence) : '<p class="muted">no evidence recorded</p>'}</details>`;
  }).join('');
}

/** What each coordinator says about itself: peer health, refusals, degraded secrets (fields other parts add). */
function coordinatorPanel(r: StatusReport): string {
  const extra = r as StatusReport & { peer?: unknown; refusals?: unknown; degraded?: unknown };
  const parts: string[] = [];
  if (isRecord(extra.peer)) {
    const p = extra.peer;
    const ok = typeof p.ok === 'boolean' ? p.ok : typeof p.reachable === 'boolean' ? p.reachable : typeof p.healthy === 'boolean' ? p.healthy : null;
    const name = typeof p.coordinator === 'string' ? p.coordinator : typeof p.name === 'string' ? p.name : 'peer';
    const fields = Object.entries(p).filter(([k, v]) => !['coordinator', 'name'].includes(k) && v !== null && ['string', 'number', 'boolean'].includes(typeof v));
    parts.push(`<div class="peer" data-peer-ok="${ok === null ? 'unknown' : ok}"><b>peer ${esc(name)}</b> <span class="badge ${ok === false ? 'disagree' : ok ? 'agree' : ''}">${ok === false ? 'UNHEALTHY' : ok ? 'healthy' : 'unknown'}</span> ${
      fields.map(([k, v]) => `<span class="kv">${esc(k)}: ${esc(scalar(k, v))}</span>`).join(' ')}</div>`);
  }
  if (isRecord(extra.refusals) && typeof extra.refusals.total === 'number') {
    const f = extra.refusals;
    const reasons = isRecord(f.byReason) ? Object.entries(f.byReason).filter(([, n]) => typeof n === 'number').sort(([, a], [, b]) => (b as number) - (a as number)) : [];
    parts.push(`<div class="refusals" data-total="${f.total}"><b>${f.total}</b> refused request${f.total === 1 ? '' : 's'}${typeof f.since === 'number' ? ` since ${esc(iso(f.since))}` : ''}${
      reasons.length ? `: ${reasons.map(([k, n]) => `${esc(k)} ${n}`).join(', ')}` : ''}</div>`);
  }
  if (Array.isArray(extra.degraded) && extra.degraded.length) {
    parts.push(`<ul class="degraded">${extra.degraded.filter(isRecord).map((d) => `<li>degraded: ${esc(d.what ?? '')} (${esc(d.secret ?? '')}): ${esc(d.detail ?? '')}</li>`).join('')}</ul>`);
  }
  return `<div class="cpanel" data-coordinator="${esc(r.coordinator)}"><h3>${esc(r.coordinator)} <span class="badge agree">answering</span></h3>${parts.join('') || '<p class="muted">no peer or refusal data reported</p>'}</div>`;
}

/** The part of the page that changes: rendered here and again for every refresh. */
export function renderStatusBody(reports: readonly StatusReport[], now: UnixMs, options: StatusPageOptions = {}): string {
  const services = summarise(reports);
  const events = timeline(reports);
  const overrides = services.filter((s) => s.override);
  const unreachable = options.unreachable ?? [];
  const agreeAll = services.every((s) => s.agree) && unreachable.length === 0;
  const failingServices = services.filter((s) => s.dnsFailing.length);
  const failing = failingServices.flatMap((s) => failingTexts(s).map((f) => `${s.service}: ${f}`));
  const attention = services.filter((s) => s.state !== 'healthy' || !s.agree);
  const banner = failingServices.length || unreachable.length
    ? { cls: 'bad', text: failingServices.length ? `${failingServices.length} service${failingServices.length === 1 ? '' : 's'} cannot write DNS` : 'a coordinator is unreachable' }
    : attention.length ? { cls: 'warn', text: `${attention.length} of ${services.length} service${services.length === 1 ? '' : 's'} need${attention.length === 1 ? 's' : ''} attention` }
    : { cls: 'good', text: services.length ? 'All services healthy on their primary' : 'No services' };
  return `<header><h1>Lifeboat</h1><p>as of ${esc(iso(now))} from ${reports.map((r) => `<span class="coord ok">${esc(r.coordinator)}</span>`).join(' ')}${
    unreachable.map((u) => ` <span class="coord down" title="${esc(u.error)}">${esc(u.coordinator)} unreachable</span>`).join('')
  } <span class="badge ${agreeAll ? 'agree' : 'disagree'}" id="agreement">${agreeAll ? 'all coordinators agree' : 'coordinators disagree or are missing'}</span></p>
<div id="banner" class="banner ${banner.cls}">${esc(banner.text)}</div>
${failing.length ? `<ul id="failing">${failing.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}</header>
<main>
<div id="services">${services.length ? services.map(serviceCard).join('\n') : '<p class="muted">no coordinator answered</p>'}</div>
<section id="incidents"><h2>Incidents</h2>${incidents(events)}</section>
<section id="coordinators"><h2>Coordinators</h2>${reports.map(coordinatorPanel).join('')}${
    unreachable.map((u) => `<div class="cpanel" data-coordinator="${esc(u.coordinator)}"><h3>${esc(u.coordinator)} <span class="badge disagree">unreachable</span></h3><p>${esc(u.error)}</p></div>`).join('')}</section>
<section id="overrides"><h2>Overrides in force</h2>${overrides.length
    ? `<ul>${overrides.map((s) => `<li><b>${esc(s.service)}</b>: ${esc(s.override!.action)} by ${esc(s.override!.by)}${s.override!.until ? ` until ${esc(iso(s.override!.until))}` : ' (until cleared)'} — ${esc(s.override!.reason)}</li>`).join('')}</ul>`
    : '<p class="muted">none: automation decides</p>'}</section>
<section id="timeline"><h2>Decision timeline</h2>${events.length
    ? `<ol>${events.map((e) => `<li class="kind-${esc(e.kind)}"><time>${esc(iso(e.at))}</time> <span class="coord">${esc(e.coordinator)}</span> <span class="kind">${esc(e.kind)}</span> ${esc(e.message)}</li>`).join('')}</ol>`
    : '<p class="muted">nothing yet</p>'}</section>
</main>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header,main{max-width:1100px;margin:0 auto;padding:8px 16px}h1{margin:8px 0}h2{font-size:17px}
.service,#overrides,#timeline,#incidents,#coordinators{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:4px 16px 12px;margin:12px 0}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;background:#e4e7ec;margin-left:6px;font-weight:normal}
.agree{background:#d3f4dc}.disagree{background:#ffd6d6}.state-healthy{background:#d3f4dc}.state-failed,.state-hold{background:#ffe3b3}.state-override{background:#dcd6ff}
.coord{font-family:monospace}.coord.down{color:#b00020}.muted{color:#7a8290}.override{color:#3b2db0}.hold{color:#a35a00}
table.grid{border-collapse:collapse}table.grid th,table.grid td{border:1px solid #dde1e7;padding:3px 10px;text-align:left}
td.healthy{background:#c9f0d3}td.unhealthy{background:#ffc4c4}td.abstain{background:#e6e6e6}td.stale{background:#f3f3f3;color:#999}
.age{color:#555;font-size:12px}#timeline ol{list-style:none;padding:0;max-height:360px;overflow:auto}#timeline li{padding:2px 0;border-bottom:1px solid #eee}
#timeline time{font-family:monospace;color:#555}.kind{font-weight:bold}.kind-decision .kind,.kind-rejected .kind{color:#b00020}
#stale{display:none;background:#ffd6d6;padding:6px 16px}
.banner{padding:8px 14px;border-radius:8px;font-weight:600;margin:6px 0}.banner.good{background:#d3f4dc}.banner.warn{background:#ffe3b3}.banner.bad{background:#ffc4c4}
#failing{margin:4px 0;padding-left:20px;color:#b00020;font-weight:600}.failing{color:#fff;background:#b00020;padding:6px 10px;border-radius:6px;font-weight:600}
h3{font-size:14px;margin:10px 0 6px}.history .avail{display:flex;align-items:center;gap:8px;margin:3px 0}.tname{width:72px;color:#555}.uptime{font-family:monospace;width:56px;text-align:right}
rect.bar.up{fill:#3bb273}rect.bar.partial{fill:#f0a202}rect.bar.down{fill:#d62839}rect.bar.abstain{fill:#b9bec7}rect.bar.none{fill:#e8eaee}
.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:4px 0}figcaption{font-size:12px;color:#555}
svg.latency{background:#fbfcfd;border:1px solid #eceff3;border-radius:6px}svg.latency text{font-size:10px;fill:#666}svg.latency .gl{stroke:#e4e7ec}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:12px;font-size:12px}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.lat{color:#555;font-size:11px}details.incident{border-bottom:1px solid #eee;padding:4px 0}details.incident summary{cursor:pointer}
table.ev{border-collapse:collapse;font-size:13px}table.ev th,table.ev td{border:1px solid #dde1e7;padding:2px 8px}
.cpanel{border-top:1px solid #eee;padding:4px 0}.kv{font-size:12px;color:#444;margin-right:8px}.refusals{margin:4px 0}.degraded{color:#a35a00}`;

/** The whole page. `refresh` re-fetches /status.json and swaps in its `html`. */
export function renderStatusPage(reports: readonly StatusReport[], now: UnixMs, options: StatusPageOptions = {}): string {
  const refreshMs = Math.max(1000, options.refreshMs ?? 5000);
  const script = `(function(){var root=document.getElementById('root'),stale=document.getElementById('stale');
function refresh(){fetch('status.json',{cache:'no-store',credentials:'same-origin'}).then(function(r){if(!r.ok)throw new Error(r.status);return r.json();})
.then(function(d){var open=[].map.call(root.querySelectorAll('details[open]'),function(e){return e.id;});root.innerHTML=d.html;
open.forEach(function(id){var e=document.getElementById(id);if(e)e.open=true;});stale.style.display='none';}).catch(function(){stale.style.display='block';});}
setInterval(refresh,${refreshMs});})();`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Lifeboat status</title><style>${CSS}</style></head>
<body><div id="stale">status server unreachable: showing the last answer</div>
<div id="root">${renderStatusBody(reports, now, options)}</div>
<script>${script}</script></body></html>`;
}
