/**
 * The detail view (`#/pack/REF`): names and tags, signature details (who signed, when, which rule decided), attestation
 * receipts (which attestation satisfied which rule; verified here or carried), install
 * state, dependencies both ways with the graph (graph-js.ts; filled in when /api/deps answers), pack.json, the files (each opens the file view,
 * `#/file/REF/PATH`), referrers, and a form to diff against another version.
 */
export const DETAIL_JS = String.raw`
  function fileHref(ref, path) { return '#/file/' + encodeURIComponent(ref) + '/' + encodeURIComponent(path); }
  function signatureSection(box, s) {
    box.appendChild(el('h3', { text: 'Signature' }));
    box.appendChild(el('p', { id: 'signature-status' }, sig(s), s.code ? ' ' + s.code + ': ' + (s.detail || '') : '',
      s.signatures ? ' ' + s.signatures + ' signature(s) stored, none verified on this machine' : ''));
    if (!s.receipts || !s.receipts.length) return;
    var t = grid('signature', ['Signer', 'Fingerprint or identity', 'Issuer', 'Verified at', 'Signed at', 'Decided by', 'Format']);
    s.receipts.forEach(function (r) {
      t.tBodies[0].appendChild(el('tr', { class: 'receipt' }, el('td', { text: r.signer.indexOf('key ') === 0 ? 'key' : 'certificate' }),
        el('td', { class: 'mono', text: r.fingerprint || r.identity || '' }), el('td', { class: 'mono', text: r.issuer || '—' }),
        el('td', { text: when(r.verifiedAt) }), el('td', { text: r.signedAt.length ? r.signedAt.map(when).join(', ') : '—' }),
        el('td', { class: 'rule', text: r.rule || '(not recorded)' }), el('td', { text: r.format })));
    });
    box.appendChild(scroller(t));
  }
  /** Which attestation satisfied which rule: verified here, or carried in an archive from another machine. */
  function attestationSection(box, list) {
    if (!list || !list.length) return;
    box.appendChild(el('h3', { text: 'Attestation receipts (' + list.length + ')' }));
    var t = grid('attestation-receipts', ['Rule', 'Attestation', 'Signer', 'Verified at', 'Where']);
    list.forEach(function (r) {
      t.tBodies[0].appendChild(el('tr', { class: 'attestation-receipt' }, el('td', { class: 'rule', text: r.rule }),
        el('td', { class: 'mono', text: r.attestation }), el('td', { class: 'mono', text: r.signer }), el('td', { text: when(r.verifiedAt) }),
        el('td', { text: r.carried ? 'carried from ' + r.carried.archive + ' (loaded ' + when(r.carried.loadedAt) + '; not verified here)' : 'this machine' })));
    });
    box.appendChild(scroller(t));
  }
  function depList(id, items, render) {
    var ul = el('ul', { id: id });
    items.forEach(function (i) { ul.appendChild(el('li', {}, render(i))); });
    if (!items.length) ul.appendChild(el('li', { class: 'muted', text: 'none' }));
    return ul;
  }
  /** Fills box from /api/deps, which reads every stored pack's pack.json once (a large store takes a while). */
  function depsSection(box, ref) {
    box.appendChild(el('p', { class: 'muted', text: 'reading dependencies…' }));
    return api('/api/deps?ref=' + encodeURIComponent(ref)).then(function (g) {
      box.textContent = '';
      box.appendChild(el('h3', { text: 'Depends on' }));
      box.appendChild(depList('depends-on', g.dependsOn, function (d) {
        return d.pullAs ? el('span', {}, packLink(d.pullAs), ' (' + d.id + ' ' + d.range + ')') : el('span', { class: 's-failed', text: d.id + ' ' + d.range + ': nothing stored meets it' });
      }));
      box.appendChild(el('h3', { text: 'Depended on by' }));
      box.appendChild(depList('depended-on-by', g.dependedOnBy, function (d) { return el('span', {}, packLink(d.pullAs), ' (needs ' + d.range + ')'); }));
      if (g.graph.edges.length) {
        box.appendChild(el('h3', { text: 'Dependency graph' + (g.graph.truncated ? ' (first ' + g.graph.nodes.length + ' packs)' : '') }));
        box.appendChild(el('div', { class: 'scroll graph' }, drawGraph(g.graph)));
      }
    }).catch(function (e) { if (e !== STALE) box.textContent = 'dependencies: ' + String(e && e.message || e); });
  }
  function filesSection(box, ref, pack) {
    var files = pack.files || [];
    box.appendChild(el('h3', { text: 'Files (' + files.length + ', ' + bytes(pack.unpackedSize || 0) + ' unpacked)' }));
    var t = grid('files', ['Path', 'Size', 'Mode']);
    files.forEach(function (f) {
      t.tBodies[0].appendChild(el('tr', {}, el('td', { class: 'mono' }, el('a', { href: fileHref(ref, f.path), class: 'file-link', text: f.path })),
        el('td', { class: 'num', text: bytes(f.size) }), el('td', { class: 'mono', text: f.mode.toString(8) })));
    });
    box.appendChild(scroller(t));
  }
  function diffForm(box, d) {
    var others = d.versions.filter(function (v) { return v.digest !== d.digest; });
    if (!others.length) return;
    var select = el('select', { id: 'diff-to' });
    others.forEach(function (v) { select.appendChild(el('option', { value: v.pullAs, text: v.version + ' (' + v.pullAs + ')' })); });
    box.appendChild(el('form', { class: 'inline', id: 'diff-form' }, 'Compare with', select,
      el('button', { type: 'button', text: 'Diff', onclick: function () { location.hash = '#/diff/' + encodeURIComponent(select.value) + '/' + encodeURIComponent(d.pullAs); } })));
  }
  function detail(ref) {
    var box = show('detail', 'loading ' + ref + '…');
    return api('/api/pack?ref=' + encodeURIComponent(ref)).then(function (d) {
      loaded(box);
      var title = d.pack ? d.pack.packJson.package.id + ' ' + d.pack.packJson.package.version : ref;
      summary(title);
      box.appendChild(el('h2', { text: title }));
      box.appendChild(el('p', {}, 'Pull as ', el('code', { id: 'pull-as', text: d.pullAs }), ' · ', el('code', { class: 'digest', text: d.digest }), ' · ' + bytes(d.size)));
      var tags = el('ul', { id: 'tags' });
      d.tags.forEach(function (t) { tags.appendChild(el('li', {}, el('code', { text: t }))); });
      box.appendChild(el('h3', { text: 'Tags (' + d.tags.length + ')' + (d.source ? ' · source ' + d.source : '') }));
      box.appendChild(tags);
      if (d.served) box.appendChild(el('p', { class: 'muted' }, 'any OCI client: ', el('code', { text: location.host + '/' + d.served.repository + (d.served.tag ? ':' + d.served.tag : '') })));
      if (d.installed) box.appendChild(el('p', { id: 'installed' }, 'Installed: ', badge('i-' + d.installed.status, d.installed.status), ' ' + d.installed.version + ' from ' + d.installed.source + ' at ' + when(d.installed.installedAt) + (d.installed.digest === d.digest ? ' (this digest)' : '')));
      signatureSection(box, d.signature);
      attestationSection(box, d.attestationReceipts);
      if (d.packError) box.appendChild(el('pre', { id: 'pack-error', text: 'refused as a pack (' + d.packError.code + '): ' + d.packError.message }));
      if (d.pack) {
        diffForm(box, d);
        var deps = el('div', { id: 'deps' });
        box.appendChild(deps);
        depsSection(deps, d.digest);
        box.appendChild(el('h3', { text: 'pack.json (from the ' + d.pack.packJsonSource + ')' }));
        box.appendChild(el('pre', { id: 'pack-json', text: JSON.stringify(d.pack.packJson, null, 2) }));
        filesSection(box, d.pullAs, d.pack);
      }
      box.appendChild(el('h3', { text: 'Referrers (' + d.referrers.length + ')' }));
      var ul = el('ul');
      d.referrers.forEach(function (r) { ul.appendChild(el('li', {}, el('code', { text: short(r.digest) }), ' ' + (r.artifactType || r.mediaType))); });
      box.appendChild(ul);
    });
  }
  function fileView(ref, path) {
    var box = show('file', 'loading ' + path + '…');
    return api('/api/file?ref=' + encodeURIComponent(ref) + '&path=' + encodeURIComponent(path)).then(function (f) {
      loaded(box);
      summary(f.id + ' ' + f.version + ': ' + f.path);
      box.appendChild(el('p', {}, packLink(ref, '← ' + f.id + ' ' + f.version)));
      box.appendChild(el('h2', { text: f.path }));
      box.appendChild(el('p', { class: 'muted', text: bytes(f.size) + ' · mode ' + f.mode.toString(8) }));
      if (f.text !== null) box.appendChild(el('pre', { id: 'file-text', text: f.text }));
      else box.appendChild(el('p', { id: 'file-note', class: 'muted', text: f.binary ? 'a binary file: not shown' : 'larger than 1 MiB: not shown' }));
    });
  }
`;
