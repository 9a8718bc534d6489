/**
 * The list view (`#/?q=…&id=…&page=N`): the search box and filters, and one page of `/api/artifacts` (filtered and
 * paged by the server, so the page stays as light at 10,000 packs as at ten): one row per artifact with its tags.
 */
export const LIST_JS = String.raw`
  var PAGE = 50;
  var FILTERS = ['q', 'id', 'version', 'source', 'status', 'signed'];
  function listParams(query) {
    var p = new URLSearchParams(query || '');
    var out = {};
    FILTERS.forEach(function (k) { var v = p.get(k); if (v) out[k] = v; });
    var page = Number(p.get('page') || '1');
    out.page = page >= 1 && Math.floor(page) === page ? page : 1;
    return out;
  }
  function listHash(params) {
    var p = new URLSearchParams();
    FILTERS.forEach(function (k) { if (params[k]) p.set(k, params[k]); });
    if (params.page > 1) p.set('page', String(params.page));
    var q = p.toString();
    return '#/' + (q ? '?' + q : '');
  }
  function formParams() {
    var out = { page: 1 };
    FILTERS.forEach(function (k) { var v = $('#f-' + k).value.trim(); if (v) out[k] = v; });
    return out;
  }
  function fillSelect(sel, values, current) {
    var keep = sel.options[0];
    sel.textContent = '';
    sel.appendChild(keep);
    values.concat(current && values.indexOf(current) < 0 ? [current] : []).forEach(function (v) { sel.appendChild(el('option', { value: v, text: v })); });
    sel.value = current || '';
  }
  var typing = null;
  function wireFilters() {
    var form = $('#filters');
    if (form.getAttribute('data-wired')) return;
    form.setAttribute('data-wired', '1');
    form.addEventListener('submit', function (ev) { ev.preventDefault(); location.hash = listHash(formParams()); });
    form.addEventListener('change', function () { location.hash = listHash(formParams()); });
    $('#f-q').addEventListener('input', function () {
      clearTimeout(typing);
      typing = setTimeout(function () { location.hash = listHash(formParams()); }, 300);
    });
  }
  function artifactRow(r) {
    var tags = el('td', { class: 'tags mono' });
    r.tags.forEach(function (t) { tags.appendChild(el('div', { text: t })); });
    return el('tr', { class: 'artifact-row clickable', 'data-digest': r.digest, 'data-pull': r.pullAs, onclick: function () { location.hash = packHref(r.pullAs); } },
      el('td', {}, r.id ? el('strong', { text: r.id }) : el('span', { class: 'muted', text: r.artifactType || r.mediaType })),
      el('td', { text: r.version || '' }), tags, el('td', { class: 'mono', title: r.digest, text: short(r.digest) }),
      el('td', { class: 'num', text: bytes(r.size) }), el('td', { text: when(r.created) }), el('td', {}, sig(r.signature)),
      el('td', {}, r.install === 'not-installed' ? el('span', { class: 'muted', text: '—' }) : badge('i-' + r.install, r.install)),
      el('td', { class: 'mono' }, packLink(r.pullAs)), el('td', { text: r.source }));
  }
  function home(query) {
    var params = listParams(query);
    lastList = listHash(params);
    show('home');
    wireFilters();
    FILTERS.forEach(function (k) { var f = $('#f-' + k); if (f.tagName === 'INPUT') f.value = params[k] || ''; });
    var api_q = new URLSearchParams();
    FILTERS.forEach(function (k) { if (params[k]) api_q.set(k, params[k]); });
    api_q.set('offset', String((params.page - 1) * PAGE));
    api_q.set('limit', String(PAGE));
    return api('/api/artifacts?' + api_q.toString()).then(function (d) {
      fillSelect($('#f-source'), d.sources, params.source);
      fillSelect($('#f-status'), d.installStates, params.status);
      $('#f-signed').value = params.signed || '';
      var body = $('#artifacts-list tbody');
      body.textContent = '';
      d.rows.forEach(function (r) { body.appendChild(artifactRow(r)); });
      if (!d.rows.length) body.appendChild(el('tr', {}, el('td', { colspan: '10', class: 'muted', text: d.total ? 'no rows on this page' : 'nothing matches' })));
      var first = d.total ? d.offset + 1 : 0, last = d.offset + d.rows.length;
      $('#list-status').textContent = 'showing ' + first + '–' + last + ' of ' + d.total;
      var pages = Math.max(1, Math.ceil(d.total / PAGE));
      $('#page-info').textContent = 'page ' + params.page + ' of ' + pages;
      $('#prev').hidden = params.page <= 1;
      $('#next').hidden = params.page >= pages;
      $('#prev').href = listHash(Object.assign({}, params, { page: params.page - 1 }));
      $('#next').href = listHash(Object.assign({}, params, { page: params.page + 1 }));
      summary(d.total + ' artifact(s)');
    });
  }
`;
