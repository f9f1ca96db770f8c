// The rehearsal's HTML report: verdict first, then steps x origins x modes, login figures, failures with the browser's console, screenshots (pure rendering).
import { grid, type Rehearsal, type StepResult, summariseLogins, verdict } from './results.ts';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const ms = (n: number): string => (Number.isFinite(n) ? `${Math.round(n)} ms` : '–');
const anchor = (s: StepResult): string => `s-${[s.mode, s.origin, s.step].join('-').replace(/[^A-Za-z0-9]+/g, '-')}`;

function cell(s: StepResult | undefined): string {
  if (!s) return '<td class="none">not run</td>';
  const mark = { pass: '✔ pass', fail: '✘ FAIL', 'n/a': '– n/a' }[s.outcome];
  return `<td class="${s.outcome === 'n/a' ? 'na' : s.outcome}" title="${esc(s.detail)}"><a href="#${anchor(s)}">${mark}</a><br><small>${ms(s.ms)}</small></td>`;
}

function stepBlock(s: StepResult): string {
  const shot = s.screenshot
    ? `<a href="${esc(s.screenshot)}"><img src="${esc(s.screenshot)}" alt="the page after: ${esc(s.step)}" loading="lazy"></a>`
    : '';
  const consoleLines = s.console.length ? `<pre class="console">${esc(s.console.join('\n'))}</pre>` : '';
  return `<section id="${anchor(s)}" class="step ${s.outcome === 'n/a' ? 'na' : s.outcome}"><h3>${esc(s.step)} <small>${esc(s.mode)} · ${esc(s.origin)} · ${s.outcome} · ${ms(s.ms)}</small></h3>
<p>${esc(s.detail)}</p>${consoleLines}${shot}</section>`;
}

export function renderReport(r: Rehearsal): string {
  const v = verdict(r);
  const g = grid(r.steps);
  const banner = v.safe
    ? `<div class="verdict safe">SAFE TO PRESENT: every step passed in every mode and origin, ${r.logins.map((l) => `${l.successes}/${l.attempts}`).join(' and ')} logins succeeded.</div>`
    : `<div class="verdict unsafe">NOT SAFE TO PRESENT: ${v.failed.length} step(s) failed${v.loginFailures ? `, ${v.loginFailures} login(s) failed` : ''}${r.aborted.length ? `, ${r.aborted.length} mode(s) aborted` : ''}.<ul>${[
        ...r.aborted.map((a) => `<li>${esc(a)}</li>`),
        ...v.failed.map(
          (s) => `<li><a href="#${anchor(s)}">${esc(s.step)}</a> (${esc(s.mode)}, ${esc(s.origin)}): ${esc(s.detail)}</li>`,
        ),
      ].join('')}</ul></div>`;
  const head = `<tr><th>origin</th><th>step</th>${g.modes.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const rows = g.rows
    .map((r, i) => {
      const first = i === 0 || g.rows[i - 1]!.origin !== r.origin;
      const span = g.rows.filter((x) => x.origin === r.origin).length;
      const origin = first ? `<th rowspan="${span}">${esc(r.origin)}</th>` : '';
      return `<tr>${origin}<td>${esc(r.step)}</td>${g.modes.map((m) => cell(g.cell(r.origin, r.step, m))).join('')}</tr>`;
    })
    .join('\n');
  const logins = r.logins
    .map(summariseLogins)
    .map(
      (l) =>
        `<tr><td>${esc(l.mode)}</td><td>${l.successes}/${l.attempts}</td><td>${ms(l.medianMs)}</td><td>${ms(l.p95Ms)}</td></tr>`,
    )
    .join('');
  const loginFailures = r.logins.flatMap((l) => l.failures.map((f) => `<li>${esc(l.mode)}: ${esc(f)}</li>`)).join('');
  const settings = Object.entries(r.settings)
    .map(([k, val]) => `<tr><td><code>${esc(k)}</code></td><td><code>${esc(val)}</code></td></tr>`)
    .join('');
  const failedFirst = [...r.steps].sort((a, b) => Number(b.outcome === 'fail') - Number(a.outcome === 'fail'));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edge-sidecar rehearsal ${esc(r.startedAt)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1c1f24; }
.verdict { font-size: 1.3rem; font-weight: 700; padding: 1rem 1.2rem; border-radius: 8px; margin-bottom: 1rem; }
.verdict ul { font-size: .95rem; font-weight: normal; }
.safe { background: #e5f5ea; color: #0a6b2d; } .unsafe { background: #fde8e8; color: #a3171b; }
table { border-collapse: collapse; margin: .5rem 0 1.2rem; }
th, td { border: 1px solid #d8dbe0; padding: .3rem .55rem; text-align: left; vertical-align: top; }
td.pass { background: #e5f5ea; } td.fail { background: #fde8e8; font-weight: 700; } td.na, td.none { background: #f4f5f6; color: #5b6270; }
td a { color: inherit; text-decoration: none; }
.step { border-top: 1px solid #d8dbe0; padding: .6rem 0; } .step.fail h3 { color: #a3171b; }
.step img { max-width: 640px; border: 1px solid #d8dbe0; display: block; margin-top: .4rem; }
.console { background: #1f2329; color: #f0f0f0; padding: .5rem; white-space: pre-wrap; font-size: .8rem; max-width: 70rem; }
</style></head><body>
${banner}
<h1>edge-sidecar rehearsal</h1>
<p>Started ${esc(r.startedAt)}. Chromium on the production names (TLS edge with the rehearsal's own CA), the
Auth0 stand-in as the tenant over HTTPS, the page on both origins, the stack in each mode. Hover a cell for what it checked; click it for the screenshot.</p>
<h2>Steps × origins × modes</h2>
<table>${head}
${rows}</table>
<h2>Logins in the browser</h2>
<table><tr><th>mode</th><th>succeeded</th><th>median</th><th>p95</th></tr>${logins}</table>
<p><small>From the click on "Log in" to the page saying "Logged in": the redirect to the tenant, its login, the redirect back, the code exchange through the API.</small></p>
${loginFailures ? `<ul>${loginFailures}</ul>` : ''}
<h2>Settings the stack ran with</h2>
<table>${settings}</table>
<h2>Every step</h2>
${failedFirst.map(stepBlock).join('\n')}
</body></html>
`;
}
