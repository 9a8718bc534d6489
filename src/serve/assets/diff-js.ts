/**
 * The diff view (`#/diff/FROM/TO`): files added, removed and changed between two versions of one pack, then each
 * such file's line diff from `/api/file-diff` (unified hunks; binary or oversized files say so).
 */
export const DIFF_JS = String.raw`
  var MAX_FILE_DIFFS = 40;
  function fileDiffBlock(from, to, path) {
    var block = el('div', { class: 'file-diff', 'data-path': path }, el('h4', { class: 'mono', text: path }), el('p', { class: 'muted', text: 'loading…' }));
    api('/api/file-diff?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to) + '&path=' + encodeURIComponent(path)).then(function (r) {
      block.removeChild(block.lastChild);
      if (!r.diff) { block.appendChild(el('p', { class: 'muted', text: r.binary ? 'binary file: not compared line by line' : 'larger than 1 MiB: not compared line by line' })); return; }
      if (r.diff.tooLarge) { block.appendChild(el('p', { class: 'muted', text: 'too many differences to show line by line' })); return; }
      var pre = el('pre', { class: 'line-diff' });
      r.diff.hunks.forEach(function (h) {
        var n = function (op) { return h.lines.filter(function (l) { return l.op === ' ' || l.op === op; }).length; };
        pre.appendChild(el('span', { class: 'l-hunk', text: '@@ -' + h.fromLine + ',' + n('-') + ' +' + h.toLine + ',' + n('+') + ' @@\n' }));
        h.lines.forEach(function (l) {
          pre.appendChild(el('span', { class: l.op === '+' ? 'l-add' : l.op === '-' ? 'l-del' : 'l-ctx', text: l.op + l.text + '\n' }));
        });
      });
      block.appendChild(el('p', { class: 'muted', text: '+' + r.diff.added + ' −' + r.diff.removed + ' lines' }));
      block.appendChild(pre);
    }).catch(function (e) { if (e !== STALE) block.lastChild.textContent = String(e && e.message || e); });
    return block;
  }
  function diff(from, to) {
    var box = show('diff', 'comparing…');
    return api('/api/diff?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to)).then(function (d) {
      loaded(box);
      summary(d.id + ': ' + d.from.version + ' → ' + d.to.version);
      box.appendChild(el('h2', { text: d.id + ': ' + d.from.version + ' → ' + d.to.version }));
      box.appendChild(el('p', { class: 'muted', text: d.added.length + ' added, ' + d.removed.length + ' removed, ' + d.changed.length + ' changed, ' + d.unchanged + ' unchanged' }));
      var t = grid('diff-table', ['', 'Path', 'Before', 'After']);
      var b = t.tBodies[0];
      d.added.forEach(function (f) { b.appendChild(el('tr', { class: 'added' }, el('td', { text: '+' }), el('td', { class: 'mono', text: f.path }), el('td', { text: '' }), el('td', { class: 'num', text: bytes(f.size) }))); });
      d.removed.forEach(function (f) { b.appendChild(el('tr', { class: 'removed' }, el('td', { text: '−' }), el('td', { class: 'mono', text: f.path }), el('td', { class: 'num', text: bytes(f.size) }), el('td', { text: '' }))); });
      d.changed.forEach(function (c) { b.appendChild(el('tr', { class: 'changed' }, el('td', { text: '~' }), el('td', { class: 'mono', text: c.path }), el('td', { class: 'num', text: bytes(c.from.size) + ' ' + c.from.sha256.slice(0, 8) }), el('td', { class: 'num', text: bytes(c.to.size) + ' ' + c.to.sha256.slice(0, 8) }))); });
      box.appendChild(scroller(t));
      var paths = d.changed.concat(d.added, d.removed).map(function (f) { return f.path; });
      box.appendChild(el('h3', { text: 'Changes line by line' + (paths.length > MAX_FILE_DIFFS ? ' (first ' + MAX_FILE_DIFFS + ' files)' : '') }));
      paths.slice(0, MAX_FILE_DIFFS).forEach(function (p) { box.appendChild(fileDiffBlock(from, to, p)); });
    });
  }
`;
