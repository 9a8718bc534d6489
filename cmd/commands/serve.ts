import { resolve } from 'node:path';
import { ScrydonError } from '../../src/errors.js';
import { BasicAuth } from '../../src/serve/htpasswd.js';
import { isLoopbackHost, parseListenAddress } from '../../src/serve/address.js';
import { loadTls } from '../../src/serve/tls.js';
import { startServer, type RequestLog } from '../../src/serve/server.js';
import { defineCommand } from '../define-command.js';
import { errorLines } from '../output/error-line.js';
import { humanBytes } from '../output/progress.js';

/** How long requests in flight may finish after SIGINT/SIGTERM (main.ts ends the process at 5 s). */
const GRACE_MS = 3000;

export default defineCommand({
  command: 'serve',
  describe: 'Serve the store as a read-only OCI registry (pull, tags, referrers, _catalog) with a catalog page at /',
  examples: [
    [
      'scrydon serve',
      'on 127.0.0.1:5000; then: skopeo copy --src-tls-verify=false docker://127.0.0.1:5000/acme.fraud:1.2.0 oci:out',
    ],
    [
      'scrydon serve --addr 0.0.0.0:5000 --tls-cert site.crt --tls-key site.key --htpasswd users.htpasswd',
      'for the whole site: TLS and Basic auth',
    ],
    ['curl -s http://127.0.0.1:5000/api/packs | jq .', "the page's data as JSON"],
  ],
  builder: (y) =>
    y
      .option('addr', {
        type: 'string',
        default: '127.0.0.1:5000',
        describe: 'HOST:PORT to listen on (port 0: any free port; :PORT: every interface)',
      })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate (chain): serve HTTPS' })
      .option('tls-key', { type: 'string', describe: 'PEM private key of --tls-cert' })
      .option('htpasswd', {
        type: 'string',
        describe: 'require Basic auth against this htpasswd file (bcrypt entries, htpasswd -B)',
      })
      .option('root', {
        type: 'string',
        describe: 'install root whose state the page shows (default $SCRYDON_HOME/packs)',
      })
      .option('access-log', { type: 'boolean', default: false, describe: 'print one line per request on stderr' }),
  run: async (args, ctx) => {
    const listen = parseListenAddress(args.addr);
    if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined))
      throw new ScrydonError('usage', 'give --tls-cert and --tls-key together');
    const tls = args['tls-cert'] && args['tls-key'] ? await loadTls(args['tls-cert'], args['tls-key']) : undefined;
    const auth = args.htpasswd ? await BasicAuth.load(args.htpasswd) : undefined;
    const local = listen.host !== '' && isLoopbackHost(listen.host);
    if (!local && !auth)
      ctx.warn(
        `listening on ${listen.host || 'every interface'} without --htpasswd: anyone who can reach this port can read the whole store`,
      );
    if (!local && auth && !tls)
      ctx.warn('Basic auth without --tls-cert sends passwords in clear text over the network');
    const log = (e: RequestLog) =>
      process.stderr.write(`${e.method} ${e.path} ${e.status} ${e.bytes} ${e.ms.toFixed(1)}ms\n`);
    const server = await startServer({
      store: await ctx.store(),
      paths: ctx.paths,
      installRoot: args.root ? resolve(args.root) : ctx.paths.packs,
      listen,
      tls,
      auth,
      onRequest: args['access-log'] ? log : undefined,
      onError: (e) => ctx.warn(errorLines(e, args.debug).text.trimEnd()),
    });
    if (!args.quiet) process.stderr.write(`listening on ${server.url} (store ${ctx.paths.catalog}); Ctrl-C stops\n`);
    if (!ctx.signal.aborted)
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    await server.close(GRACE_MS);
    const s = server.stats();
    return {
      data: { url: server.url, ...s },
      text: `stopped: served ${s.requests} request(s), ${humanBytes(s.bytesSent)}`,
    };
  },
});
