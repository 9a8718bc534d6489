import { CORE_JS } from './core-js.js';
import { DETAIL_JS } from './detail-js.js';
import { DIFF_JS } from './diff-js.js';
import { GRAPH_JS } from './graph-js.js';
import { LIST_JS } from './list-js.js';
import { RUNS_JS } from './runs-js.js';

/**
 * The catalog page's script: vanilla JS, no build step, its parts in one function scope. Every value from the API
 * is put in the page as text (textContent), never as HTML. Views: `#/?FILTERS` (list.js), `#/pack/REF` (detail.js,
 * graph.js), `#/file/REF/PATH`, `#/diff/FROM/TO` (diff.js), `#/runs` (runs.js); a deep link opens its view alone.
 */
const ROUTER_JS = String.raw`
  function route() {
    var h = location.hash.replace(/^#/, '');
    var m;
    generation++;
    var p = (m = /^\/pack\/(.+)$/.exec(h)) ? detail(decodeURIComponent(m[1]))
      : (m = /^\/file\/([^/]+)\/([^/]+)$/.exec(h)) ? fileView(decodeURIComponent(m[1]), decodeURIComponent(m[2]))
      : (m = /^\/diff\/([^/]+)\/([^/]+)$/.exec(h)) ? diff(decodeURIComponent(m[1]), decodeURIComponent(m[2]))
      : /^\/runs\/?$/.test(h) ? runs()
      : home((/^\/?\?(.*)$/.exec(h) || [])[1] || '');
    p.catch(showError);
  }
  document.addEventListener('DOMContentLoaded', function () { $('#registry-host').textContent = location.host; route(); });
  window.addEventListener('hashchange', route);
`;

export const APP_JS = [
  "'use strict';\n(function () {",
  CORE_JS,
  LIST_JS,
  GRAPH_JS,
  DETAIL_JS,
  DIFF_JS,
  RUNS_JS,
  ROUTER_JS,
  '})();\n',
].join('\n');
