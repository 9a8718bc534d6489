import { resolve } from 'node:path';
import { ScrydonError } from '../../src/errors.js';
import { readRuns } from '../../src/reconcile/history.js';
import {
  addSource,
  registeredSource,
  removeSource,
  setSourceCredential,
  setSourceEnabled,
} from '../../src/reconcile/registration.js';
import { testSource } from '../../src/sources/open-session.js';
import { checkCredential, REGISTERED, resolveSource, sourceSecretKey } from '../../src/sources/source-spec.js';
import { readSourceFile, readSourceList } from '../../src/sources/sources-file.js';
import { defineCommand } from '../define-command.js';
import { readSecretFromStdin, secretStore } from '../registry-options.js';
import { noKeychainReason } from '../runtime.js';
import { table } from '../output/render.js';
import { policyText, sourceFlags, specFromFlags, UNSIGNED_WARNING } from '../source-options.js';
import { sessionDeps } from '../source-runtime.js';
import { historyText, showSource, sourceSummary } from '../source-views.js';

async function readCredential(): Promise<string> {
  if (process.stdin.isTTY)
    throw new ScrydonError('usage', '--credential-stdin reads from a pipe, not a terminal', {
      hint: 'printf %s "$TOKEN" | scrydon source add NAME … --credential-stdin (or source set-credential NAME)',
    });
  return readSecretFromStdin();
}

const add = defineCommand({
  command: 'add <name>',
  describe: 'Register a pack source (a git repository or an OCI registry with a scrydon.yaml catalog)',
  examples: [
    [
      'scrydon source add acme --type git --url https://github.com/acme/packs.git --signature-policy unsigned-allowed',
      'a git source; unsigned packs wait for approval',
    ],
    [
      'printf %s "$PAT" | scrydon source add acme --type git --url https://git.example/acme/packs.git --credential-stdin --signature-policy cosign-key --public-key cosign.pub',
      'a private repository',
    ],
    [
      'scrydon source add acme-oci --type oci --url ghcr.io/acme/scrydon-catalog --signature-policy cosign-keyless --certificate-identity-regexp "^https://github.com/acme/" --certificate-oidc-issuer https://token.actions.githubusercontent.com',
      'an OCI source, keyless',
    ],
  ],
  builder: (y) => sourceFlags(y.positional('name', { type: 'string', demandOption: true, describe: 'unique name' })),
  run: async (args, ctx) => {
    const spec = await specFromFlags(args.name, args);
    const credential = args['credential-stdin'] ? await readCredential() : undefined;
    const { source, stored } = await addSource(ctx.paths, spec, credential, secretStore(ctx));
    if (source.signaturePolicy.kind === 'unsigned-allowed') ctx.warn(`source ${source.name}: ${UNSIGNED_WARNING}`);
    if (stored?.createdFile) ctx.warn(`${noKeychainReason()}: the credential is kept in ${stored.path} (mode 0600)`);
    const lines = [`added source ${source.name}: ${sourceSummary(source)}`];
    if (stored)
      lines.push(`credential stored as ${sourceSecretKey(source.name)} (${stored.backend}); it is never shown again`);
    return {
      data: {
        source: { ...source, credential: Boolean(stored) },
        credential: stored ? { key: sourceSecretKey(source.name), backend: stored.backend } : null,
      },
      text: lines.join('\n'),
    };
  },
});

const ls = defineCommand({
  command: 'ls',
  describe: 'List the registered sources (or, with -f, those a file declares: managed by file, read-only)',
  examples: [
    ['scrydon source ls --json', 'machine-readable'],
    ['scrydon source ls -f sources.yaml', 'the sources `reconcile -f sources.yaml` would run'],
  ],
  builder: (y) =>
    y.option('file', { alias: 'f', type: 'string', describe: 'list the sources declared in this file instead' }),
  run: async (args, ctx) => {
    const sources =
      args.file !== undefined
        ? await readSourceFile(resolve(args.file))
        : (await readSourceList(ctx.paths.sources)).sources;
    const text = sources.length
      ? table(
          ['NAME', 'TYPE', 'URL', 'REF', 'ENABLED', 'INTERVAL', 'POLICY', 'MANAGED BY'],
          sources.map((s) => [
            s.name,
            s.type,
            s.url,
            s.ref,
            s.enabled ? 'yes' : 'no',
            s.interval,
            policyText(s.signaturePolicy),
            s.managedBy === REGISTERED ? 'sources.yaml' : `file ${s.managedBy} (read-only)`,
          ]),
        )
      : 'no sources registered (scrydon source add NAME --type git|oci --url URL …)';
    return { data: sources, text };
  },
});

const show = defineCommand({
  command: 'show <name>',
  describe: 'Show a source: its settings, state, backoff, last run and lock (never its credential)',
  examples: [
    ['scrydon source show acme', 'details'],
    ['scrydon source show scripted -f sources.yaml', 'a source managed by a file'],
  ],
  builder: (y) =>
    y.positional('name', { type: 'string', demandOption: true }).option('file', {
      alias: 'f',
      type: 'string',
      describe: 'the source is declared in this file (managed by file)',
    }),
  run: async (args, ctx) => {
    if (args.file === undefined) return showSource(ctx, await registeredSource(ctx.paths, args.name));
    const s = (await readSourceFile(resolve(args.file))).find((x) => x.name === args.name);
    if (!s) throw new ScrydonError('source_not_found', `${args.file} declares no source named ${args.name}`);
    return showSource(ctx, s);
  },
});

const rm = defineCommand({
  command: 'rm <name>',
  describe:
    'Remove a source: its packs are retired (files and blobs stay until uninstall and gc), its credential deleted',
  examples: [['scrydon source rm acme', 'unregister']],
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }),
  run: async (args, ctx) => {
    const { retired, credentialDeleted } = await removeSource(ctx.paths, args.name, secretStore(ctx));
    const text = [
      `removed source ${args.name}`,
      ...retired.map((c) => `retired ${c.record.id} ${c.record.version}`),
      ...(credentialDeleted ? ['credential deleted'] : []),
    ].join('\n');
    return { data: { source: args.name, retired: retired.map((c) => c.record), credentialDeleted }, text };
  },
});

function toggle(enabled: boolean) {
  return defineCommand({
    command: `${enabled ? 'enable' : 'disable'} <name>`,
    describe: enabled
      ? 'Enable a source (its next run restores the packs its catalog lists)'
      : 'Disable a source: it is not reconciled and its packs are retired',
    examples: [[`scrydon source ${enabled ? 'enable' : 'disable'} acme`, enabled ? 'resume' : 'pause and retire']],
    builder: (y) => y.positional('name', { type: 'string', demandOption: true }),
    run: async (args, ctx) => {
      const retired = await setSourceEnabled(ctx.paths, args.name, enabled);
      const text = [
        `${enabled ? 'enabled' : 'disabled'} source ${args.name}`,
        ...retired.map((c) => `retired ${c.record.id} ${c.record.version}`),
      ].join('\n');
      return { data: { source: args.name, enabled, retired: retired.map((c) => c.record) }, text };
    },
  });
}

const test = defineCommand({
  command: 'test <name>',
  describe: 'Reach a source and parse its scrydon.yaml with its credential (or the one on stdin), persisting nothing',
  examples: [
    ['scrydon source test acme', 'a registered source'],
    [
      'printf %s "$PAT" | scrydon source test new --type git --url https://git.example/acme/packs.git --credential-stdin --signature-policy unsigned-allowed',
      'before registering it',
    ],
  ],
  builder: (y) => sourceFlags(y.positional('name', { type: 'string', demandOption: true })),
  run: async (args, ctx) => {
    const source =
      args.url !== undefined
        ? resolveSource(await specFromFlags(args.name, args))
        : await registeredSource(ctx.paths, args.name);
    const credential = args['credential-stdin'] ? await readCredential() : undefined;
    if (credential !== undefined) checkCredential(source, credential);
    const r = await testSource(source, await sessionDeps(ctx, source, credential, true));
    const text = [
      `source ${source.name}: reached, catalog parsed at ${r.revision}`,
      ...r.packs.map((p) => `  ${p.id} ${p.version}  ${p.artifact}`),
    ].join('\n');
    return { data: r, text };
  },
});

const setCredential = defineCommand({
  command: 'set-credential <name>',
  describe: "Rotate a registered source's credential (read from stdin) or remove it; its packs and state stay",
  examples: [
    ['printf %s "$NEW_PAT" | scrydon source set-credential acme --credential-stdin', 'a new token for a git source'],
    ['printf %s "bot:$TOKEN" | scrydon source set-credential acme-oci --credential-stdin', 'an OCI source: user:token'],
    ['scrydon source set-credential acme --remove', 'reach it anonymously from now on'],
  ],
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('credential-stdin', {
        type: 'boolean',
        default: false,
        describe: 'read the new credential from standard input (never echoed, never shown again)',
      })
      .option('remove', { type: 'boolean', default: false, describe: 'delete the stored credential' }),
  run: async (args, ctx) => {
    if (args['credential-stdin'] === args.remove)
      throw new ScrydonError('usage', 'give exactly one of --credential-stdin and --remove', {
        hint: `printf %s "$TOKEN" | scrydon source set-credential ${args.name} --credential-stdin`,
      });
    const credential = args.remove ? undefined : await readCredential();
    const { stored, deleted } = await setSourceCredential(ctx.paths, args.name, credential, secretStore(ctx));
    if (stored?.createdFile) ctx.warn(`${noKeychainReason()}: the credential is kept in ${stored.path} (mode 0600)`);
    const key = sourceSecretKey(args.name);
    const text = stored
      ? `credential of source ${args.name} replaced (${key}, ${stored.backend}); the next reconcile uses it`
      : deleted
        ? `credential of source ${args.name} removed; it is reached anonymously`
        : `source ${args.name} had no stored credential; nothing to remove`;
    return { data: { source: args.name, key, backend: stored?.backend ?? null, removed: deleted }, text };
  },
});

const history = defineCommand({
  command: 'history <name>',
  describe: "A source's reconcile runs, newest first",
  examples: [['scrydon source history acme --json', 'every run with its per-pack outcomes']],
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('limit', { type: 'number', default: 20, describe: 'at most this many runs' }),
  run: async (args, ctx) => {
    const runs = await readRuns(ctx.paths, args.name, { limit: args.limit });
    return { data: runs, text: historyText(args.name, runs) };
  },
});

export default defineCommand({
  command: 'source',
  describe: 'Pack sources: git repositories and OCI registries whose scrydon.yaml catalogs reconcile installs',
  examples: [
    [
      'scrydon source add acme --type git --url https://github.com/acme/packs.git --signature-policy unsigned-allowed && scrydon reconcile',
      'register, then reconcile',
    ],
  ],
  builder: (y) => y,
  run: async () => ({ data: null }),
  subcommands: [add, ls, show, rm, toggle(true), toggle(false), test, history, setCredential] as never,
});
