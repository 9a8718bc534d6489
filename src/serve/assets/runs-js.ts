/**
 * The runs view (`#/runs`): per source its status (`/api/sources`: last run, outcome, failures in a row, backoff,
 * next run) and its run history (`/api/runs`), newest first, each pack with its outcome and error code.
 */
export const RUNS_JS = String.raw`
  function sourceRow(s) {
    var b = s.backoff;
    var backoff = !b ? '—' : b.backingOff ? badge('o-failed', 'backing off: every ' + Math.round(b.effectiveIntervalMs / 1000) + ' s') : (b.consecutiveFailures ? b.consecutiveFailures + ' failure(s), not backing off' : 'none');
    return el('tr', { class: 'source-row', 'data-source': s.name }, el('td', {}, el('strong', { text: s.name })),
      el('td', { text: s.registered ? s.type + (s.enabled ? '' : ' (disabled)') : 'removed' }), el('td', { class: 'mono', text: s.url || '' }),
      el('td', { text: when(s.lastRunAt) }), el('td', {}, s.lastOutcome ? badge('o-' + s.lastOutcome, s.lastOutcome) : '—'),
      el('td', { text: String(b ? b.consecutiveFailures : 0) }), el('td', {}, backoff), el('td', { text: s.nextRunAt ? when(s.nextRunAt) : '—' }));
  }
  function historyTable(s) {
    var t = grid('', ['Started', 'Ended', 'Trigger', 'Outcome', 'Revision', 'Unsigned allowed', 'Packs']);
    t.removeAttribute('id');
    t.setAttribute('class', 'grid runs');
    t.setAttribute('data-source', s.source);
    s.runs.forEach(function (r) {
      var packs = el('td', { class: 'packs-cell' });
      if (r.code) packs.appendChild(el('div', {}, el('code', { class: 'o-failed', text: r.code }), el('span', { class: 'muted', text: ' ' + (r.detail || '') })));
      r.packs.forEach(function (p) {
        packs.appendChild(el('div', {}, p.id + ' ' + p.version + ' ', badge('o-' + p.outcome, p.outcome), p.code ? el('code', { class: 'o-failed', text: ' ' + p.code }) : null,
          p.detail ? el('span', { class: 'muted', text: ' ' + p.detail }) : null));
      });
      t.tBodies[0].appendChild(el('tr', { class: 'run-row', 'data-run': r.runId }, el('td', { text: when(r.startedAt) }), el('td', { text: when(r.endedAt) }), el('td', { text: r.trigger }),
        el('td', {}, badge('o-' + r.outcome, r.outcome)), el('td', { class: 'mono', title: r.revision || '', text: short(r.revision) }), el('td', { text: r.unsignedAllowed ? 'yes' : 'no' }), packs));
    });
    return t;
  }
  function runs() {
    var box = show('runs');
    return Promise.all([api('/api/sources'), api('/api/runs?limit=20')]).then(function (res) {
      loaded(box);
      summary(res[0].sources.length + ' source(s)');
      box.appendChild(el('h2', { text: 'Sources' }));
      if (!res[0].sources.length) { box.appendChild(el('p', { class: 'muted', text: 'no sources and no run history yet' })); return; }
      var t = grid('sources', ['Source', 'Type', 'URL', 'Last run', 'Outcome', 'Failures in a row', 'Backoff', 'Next run (watch)']);
      res[0].sources.forEach(function (s) { t.tBodies[0].appendChild(sourceRow(s)); });
      box.appendChild(scroller(t));
      res[1].sources.forEach(function (s) {
        box.appendChild(el('h3', { text: 'Runs of ' + s.source }));
        box.appendChild(s.runs.length ? scroller(historyTable(s)) : el('p', { class: 'muted', text: 'no runs recorded' }));
      });
    });
  }
`;
