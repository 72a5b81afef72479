/** The dashboard page: tiles and uPlot charts, refreshed by the server-sent `events` beside it. */
export function page(refreshMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice — live</title>
<link rel="stylesheet" href="uplot.css">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; background: #0f1419; color: #e6e6e6; }
  h1 { font-size: 20px; margin: 0 0 16px; } h2 { font-size: 14px; margin: 0 0 8px; color: #9aa5b1; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
  .tile, .panel { background: #1a2129; border-radius: 8px; padding: 12px; }
  .tile b { display: block; font-size: 24px; margin-top: 4px; } .tile span { color: #9aa5b1; }
  .row { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; margin-top: 12px; }
  table { width: 100%; border-collapse: collapse; } td { padding: 4px 0; } td:last-child { text-align: right; }
  .open { color: #ff6b6b; } .half-open { color: #f5c542; } .closed { color: #5fd38d; }
  footer { margin-top: 12px; color: #6b7785; font-size: 12px; }
</style>
</head>
<body>
<h1>Sluice — live</h1>
<div class="tiles">
  <div class="tile"><span>requests / min</span><b data-k="requestsPerMinute">–</b></div>
  <div class="tile"><span>requests in all</span><b data-k="requestsTotal">–</b></div>
  <div class="tile"><span>latency p50 / p95</span><b data-k="latency">–</b></div>
  <div class="tile"><span>cache hit rate</span><b data-k="cacheHitRate">–</b></div>
  <div class="tile"><span>rate-limited</span><b data-k="rateLimited">–</b></div>
  <div class="tile"><span>over budget</span><b data-k="budgetExceeded">–</b></div>
  <div class="tile"><span>active users (5 min)</span><b data-k="activeUsers">–</b></div>
  <div class="tile"><span>queue pending / running</span><b data-k="queue">–</b></div>
  <div class="tile"><span>queue wait p50 / p95</span><b data-k="queueWait">–</b></div>
  <div class="tile"><span>spend today</span><b data-k="spendToday">–</b></div>
  <div class="tile"><span>saved (calls / USD)</span><b data-k="saved">–</b></div>
</div>
<div class="row">
  <div class="panel"><h2>requests / min</h2><div id="rpm"></div></div>
  <div class="panel"><h2>latency (ms)</h2><div id="latency"></div></div>
</div>
<div class="row">
  <div class="panel"><h2>spend today per tier (budget per user per day)</h2><table id="tiers"></table></div>
  <div class="panel"><h2>circuit breakers</h2><table id="breakers"></table></div>
</div>
<div class="row">
  <div class="panel"><h2>spend today per endpoint (its budget per day)</h2><table id="endpoints"></table></div>
</div>
<div class="row">
  <div class="panel"><h2>provider capacity (this instance)</h2><table id="capacity"></table></div>
</div>
<footer>pushed every ${Math.round(refreshMs / 100) / 10} s · <span data-k="at">–</span></footer>
<script src="uplot.js"></script>
<script>
(() => {
  const KEEP = 300
  const series = { t: [], rpm: [], p50: [], p95: [] }
  const usd = (n) => '$' + n.toFixed(n < 1 ? 6 : 2)
  const set = (k, text) => { for (const el of document.querySelectorAll('[data-k="' + k + '"]')) el.textContent = text }
  const rows = (table, list) => {
    table.replaceChildren(...list.map(([name, value, cls]) => {
      const tr = document.createElement('tr'), a = document.createElement('td'), b = document.createElement('td')
      a.textContent = name; b.textContent = value; if (cls) b.className = cls
      tr.append(a, b); return tr
    }))
  }
  const chart = (el, labels, colors) => new uPlot({
    width: el.clientWidth || 400, height: 180,
    series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 2 }))],
    axes: [{ stroke: '#9aa5b1' }, { stroke: '#9aa5b1' }],
  }, [[], ...labels.map(() => [])], el)
  const rpmChart = chart(document.getElementById('rpm'), ['requests/min'], ['#4ea1ff'])
  const latChart = chart(document.getElementById('latency'), ['p50', 'p95'], ['#5fd38d', '#f5c542'])
  function show(s) {
    set('requestsPerMinute', String(s.requestsPerMinute))
    set('requestsTotal', String(s.requestsTotal))
    set('latency', s.latencyMs.p50.toFixed(1) + ' / ' + s.latencyMs.p95.toFixed(1) + ' ms')
    set('cacheHitRate', (s.cacheHitRate * 100).toFixed(1) + '%')
    set('rateLimited', String(s.refusals.rateLimited))
    set('budgetExceeded', String(s.refusals.budgetExceeded))
    set('activeUsers', String(s.activeUsers))
    set('queue', s.queue ? s.queue.pending + ' / ' + s.queue.active : 'no queue')
    set('queueWait', s.queue ? s.queue.waitP50Ms.toFixed(0) + ' / ' + s.queue.waitP95Ms.toFixed(0) + ' ms' : '–')
    set('spendToday', usd(s.spendTodayUsd))
    set('saved', s.saved.calls + ' / ' + usd(s.saved.usd))
    set('at', new Date(s.at).toLocaleTimeString())
    rows(document.getElementById('tiers'), s.tiers.map((t) => [t.tier, usd(t.spentUsd) + (t.dailyBudgetUsd === null ? '' : ' of ' + usd(t.dailyBudgetUsd) + ' / user')]))
    rows(document.getElementById('endpoints'), s.endpoints.map((e) => [e.endpoint, usd(e.spentUsd) + (e.dailyBudgetUsd === null ? '' : ' of ' + usd(e.dailyBudgetUsd))]).concat(s.appDailyBudgetUsd === null ? [] : [['the app', usd(s.spendTodayUsd) + ' of ' + usd(s.appDailyBudgetUsd)]]))
    rows(document.getElementById('breakers'), Object.entries(s.breakers).map(([p, st]) => [p, st, st]))
    rows(document.getElementById('capacity'), s.capacity.map((c) => [c.name, c.summary]))
    const t = s.at / 1000
    series.t.push(t); series.rpm.push(s.requestsPerMinute); series.p50.push(s.latencyMs.p50); series.p95.push(s.latencyMs.p95)
    for (const k of Object.keys(series)) if (series[k].length > KEEP) series[k].shift()
    rpmChart.setData([series.t, series.rpm]); latChart.setData([series.t, series.p50, series.p95])
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1)
  }
  // Pushed by the server (one read of the stats for every open page); EventSource reconnects itself.
  const source = new EventSource('events')
  source.onmessage = (e) => {
    try { show(JSON.parse(e.data)) } catch (err) { set('at', 'stats unavailable: ' + err.message) }
  }
  source.addEventListener('failure', (e) => set('at', 'stats unavailable: ' + JSON.parse(e.data).message))
  source.onerror = () => set('at', 'reconnecting…')
})()
</script>
</body>
</html>`
}
