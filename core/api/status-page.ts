/**
 * The status page: one self-contained HTML document (inline CSS and JS, no external assets) built
 * from the coordinators' status reports. It re-renders itself by fetching the same-origin
 * `/status.json` (which carries the freshly rendered body) every few seconds. Only status data is
 * rendered: the reports hold no secrets, and every string is HTML-escaped.
 */
import type { StatusReport, VoteView } from './status.ts';
import { ageText, summarise, timeline, type ServiceSummary } from './status-summary.ts';
import type { UnixMs } from '../model.ts';

export interface Unreachable {
  readonly coordinator: string;
  readonly error: string;
}

export interface StatusPageOptions {
  readonly unreachable?: readonly Unreachable[];
  /** How often the page refreshes itself (default 5 s). */
  readonly refreshMs?: number;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (at: UnixMs) => new Date(at).toISOString().replace('.000Z', 'Z');

function voteCell(v: VoteView | undefined): string {
  if (!v) return '<td class="vote none" data-verdict="none">–</td>';
  const cls = v.fresh ? v.verdict : 'stale';
  const detail = [v.failure, v.latencyMs !== undefined ? `${Math.round(v.latencyMs)} ms` : '', v.ranIn ? `in ${v.ranIn}` : ''].filter(Boolean).join(', ');
  return `<td class="vote ${esc(cls)}" data-verdict="${esc(v.verdict)}" title="${esc(detail)}">${esc(v.verdict)} <span class="age">${esc(ageText(v.ageSeconds))}</span></td>`;
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
  return `<section class="service" data-service="${esc(s.service)}">
<h2>${esc(s.service)} <span class="badge state-${esc(s.state.split(/[ :]/)[0])}">${esc(s.state)}</span>
<span class="badge ${s.agree ? 'agree' : 'disagree'}">${s.agree ? 'coordinators agree' : 'coordinators DISAGREE'}</span></h2>
<p>active <b>${esc(s.active)}</b>, epoch ${s.epoch} — ${coords}</p>
${s.override ? `<p class="override">override <b>${esc(s.override.action)}</b> by ${esc(s.override.by)}${s.override.until ? ` until ${esc(iso(s.override.until))}` : ''}: ${esc(s.override.reason)}</p>` : ''}
${s.hold ? `<p class="hold">holding since ${esc(iso(s.hold.since))}: ${esc(s.hold.reason)}</p>` : ''}
<p class="evidence">votes: ${esc(s.evidence)}</p>
${d ? `<p class="decision">last decision ${esc(iso(d.at))}: ${esc(d.from)} → ${esc(d.to)} (${esc(d.cause)}) — ${esc(d.summary)}</p>` : '<p class="muted">no decision yet</p>'}
${grid}
</section>`;
}

/** The part of the page that changes: rendered here and again for every refresh. */
export function renderStatusBody(reports: readonly StatusReport[], now: UnixMs, options: StatusPageOptions = {}): string {
  const services = summarise(reports);
  const events = timeline(reports);
  const overrides = services.filter((s) => s.override);
  const unreachable = options.unreachable ?? [];
  const agreeAll = services.every((s) => s.agree) && unreachable.length === 0;
  return `<header><h1>Lifeboat</h1><p>as of ${esc(iso(now))} from ${reports.map((r) => `<span class="coord ok">${esc(r.coordinator)}</span>`).join(' ')}${
    unreachable.map((u) => ` <span class="coord down" title="${esc(u.error)}">${esc(u.coordinator)} unreachable</span>`).join('')
  } <span class="badge ${agreeAll ? 'agree' : 'disagree'}" id="agreement">${agreeAll ? 'all coordinators agree' : 'coordinators disagree or are missing'}</span></p></header>
<main>
<div id="services">${services.length ? services.map(serviceCard).join('\n') : '<p class="muted">no coordinator answered</p>'}</div>
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
.service,#overrides,#timeline{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:4px 16px 12px;margin:12px 0}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;background:#e4e7ec;margin-left:6px;font-weight:normal}
.agree{background:#d3f4dc}.disagree{background:#ffd6d6}.state-healthy{background:#d3f4dc}.state-failed,.state-hold{background:#ffe3b3}.state-override{background:#dcd6ff}
.coord{font-family:monospace}.coord.down{color:#b00020}.muted{color:#7a8290}.override{color:#3b2db0}.hold{color:#a35a00}
table.grid{border-collapse:collapse}table.grid th,table.grid td{border:1px solid #dde1e7;padding:3px 10px;text-align:left}
td.healthy{background:#c9f0d3}td.unhealthy{background:#ffc4c4}td.abstain{background:#e6e6e6}td.stale{background:#f3f3f3;color:#999}
.age{color:#555;font-size:12px}#timeline ol{list-style:none;padding:0;max-height:360px;overflow:auto}#timeline li{padding:2px 0;border-bottom:1px solid #eee}
#timeline time{font-family:monospace;color:#555}.kind{font-weight:bold}.kind-decision .kind,.kind-rejected .kind{color:#b00020}
#stale{display:none;background:#ffd6d6;padding:6px 16px}`;

/** The whole page. `refresh` re-fetches /status.json and swaps in its `html`. */
export function renderStatusPage(reports: readonly StatusReport[], now: UnixMs, options: StatusPageOptions = {}): string {
  const refreshMs = Math.max(1000, options.refreshMs ?? 5000);
  const script = `(function(){var root=document.getElementById('root'),stale=document.getElementById('stale');
function refresh(){fetch('status.json',{cache:'no-store',credentials:'same-origin'}).then(function(r){if(!r.ok)throw new Error(r.status);return r.json();})
.then(function(d){root.innerHTML=d.html;stale.style.display='none';}).catch(function(){stale.style.display='block';});}
setInterval(refresh,${refreshMs});})();`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Lifeboat status</title><style>${CSS}</style></head>
<body><div id="stale">status server unreachable: showing the last answer</div>
<div id="root">${renderStatusBody(reports, now, options)}</div>
<script>${script}</script></body></html>`;
}
