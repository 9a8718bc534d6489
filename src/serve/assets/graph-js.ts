/**
 * The dependency graph of a pack as inline SVG drawn by the page itself (no library, nothing fetched): the pack on
 * the left, each dependency one column further right by its shortest distance, edges as curves labelled with the
 * range; a stored pack links to its detail, a range nothing meets is drawn dashed.
 */
export const GRAPH_JS = String.raw`
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }
  function drawGraph(g) {
    var W = 190, H = 34, GX = 70, GY = 16;
    var depth = {}, cols = [], out = {};
    g.edges.forEach(function (e) { (out[e.from] = out[e.from] || []).push(e.to); });
    var root = g.nodes[0].key, queue = [root];
    depth[root] = 0;
    for (var i = 0; i < queue.length; i++) {
      (out[queue[i]] || []).forEach(function (k) { if (depth[k] === undefined) { depth[k] = depth[queue[i]] + 1; queue.push(k); } });
    }
    var pos = {};
    g.nodes.forEach(function (n) {
      var d = depth[n.key] || 0;
      cols[d] = cols[d] || [];
      pos[n.key] = { x: 10 + d * (W + GX), y: 10 + cols[d].length * (H + GY) };
      cols[d].push(n);
    });
    var rows = Math.max.apply(null, cols.map(function (c) { return c.length; }));
    var width = 20 + cols.length * W + (cols.length - 1) * GX, height = 20 + rows * H + (rows - 1) * GY;
    var root_svg = svg('svg', { id: 'dep-graph', width: String(width), height: String(height), viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'dependency graph' });
    var marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }));
    root_svg.appendChild(svg('defs', {}, marker));
    g.edges.forEach(function (e) {
      var a = pos[e.from], b = pos[e.to];
      if (!a || !b) return;
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      var p = svg('path', { class: 'edge', d: 'M ' + x1 + ' ' + y1 + ' C ' + mx + ' ' + y1 + ', ' + mx + ' ' + y2 + ', ' + x2 + ' ' + y2, 'marker-end': 'url(#arrow)' });
      var t = svg('title', {}); t.textContent = e.range; p.appendChild(t);
      root_svg.appendChild(p);
    });
    g.nodes.forEach(function (n) {
      var at = pos[n.key];
      var label = n.missing ? n.id + ' ' + n.missing : n.id + ' ' + (n.version || '');
      var cls = 'node' + (n.key === root ? ' root' : '') + (n.missing ? ' missing' : '');
      var text = svg('text', { x: String(at.x + 8), y: String(at.y + H / 2 + 4) }); text.textContent = clip(label, 26);
      var title = svg('title', {}); title.textContent = n.missing ? n.id + ' ' + n.missing + ': nothing stored meets it' : (n.pullAs || label);
      var group = svg('g', { class: cls, 'data-key': n.key }, title, svg('rect', { x: String(at.x), y: String(at.y), width: String(W), height: String(H), rx: '5' }), text);
      root_svg.appendChild(n.pullAs && n.key !== root ? svg('a', { href: packHref(n.pullAs) }, group) : group);
    });
    return root_svg;
  }
`;
