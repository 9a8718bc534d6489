import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import {
  NPM_PLATFORM,
  CHECKSUMS_FILE,
  signedTool,
  toolArtifact,
  TOOL_REPOSITORY,
  type ToolArtifact,
  type ToolFile,
} from '../src/verbs/save-tool.js';
import { writeNpmPackage } from '../src/verbs/save-tool-npm.js';
import { packageVersion } from '../src/config/assets.js';
import { ScrydonError } from '../src/errors.js';
import type { Context } from './context.js';
import { isSingleExecutable } from './runtime.js';
import { humanBytes } from './output/progress.js';

/** The tool a `save --with-tool` carries, ready for saveArchive, and what to tell the operator once it is written. */
interface CarriedTool {
  artifact: ToolArtifact;
  cleanup: () => Promise<void>;
  report: (archive: string) => { lines: string[]; data: Record<string, unknown> };
}

/**
 * Chooses the tool, hashes it, signs it when a key is given (a bundle referrer, as scrydon sign writes; the
 * signing code, sigstore-js among it, loads only then).
 */
export async function carriedTool(
  ctx: Context,
  o: { file?: string | undefined; key?: string | undefined },
): Promise<CarriedTool> {
  const key =
    o.key !== undefined ? await (await import('./signature-options.js')).loadSigningKey(o.key, ctx) : undefined;
  const choice = await toolToCarry(ctx, o.file);
  try {
    let artifact = await toolArtifact(choice.file, { signal: ctx.signal });
    if (key) {
      const { signArtifact } = await import('../src/signature/sign.js');
      artifact = await signedTool(artifact, (t, d) =>
        signArtifact(t, d, key, {
          recursive: false,
          dockerReference: TOOL_REPOSITORY,
          legacyTagRef: () => TOOL_REPOSITORY,
          signal: ctx.signal,
        }),
      );
    }
    const a = artifact;
    const signatures = (await a.referrers?.referrers(a.manifest)) ?? [];
    ctx.info(
      `carrying scrydon ${a.tool.version} (${choice.kind} ${a.tool.name}, ${humanBytes(a.file.size)}) as ${a.ref}${key ? ', signed' : ''}`,
    );
    const report = (archive: string) => {
      const extract = extractionCommand(a, archive);
      return {
        lines: [
          `carried ${a.ref}: ${choice.kind} ${a.tool.name}; take it out with tar (no scrydon needed):`,
          `  ${extract}`,
        ],
        data: {
          ref: a.ref,
          kind: choice.kind,
          name: a.tool.name,
          version: a.tool.version,
          platform: a.tool.platform,
          digest: a.file.digest,
          size: a.file.size,
          checksums: a.checksums.digest,
          manifest: a.manifest.digest,
          signatures: signatures.map((d) => d.digest),
          extract,
        },
      };
    };
    return { artifact: a, cleanup: choice.cleanup, report };
  } catch (e) {
    await choice.cleanup();
    throw e;
  }
}

/** The exact command that takes the tool out of `archive`, checks it against its SHA256SUMS and makes it runnable. */
function extractionCommand(a: ToolArtifact, archive: string): string {
  const tar = shellWord(archive);
  const blob = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  const name = a.tool.name;
  return (
    `tar -xOf ${tar} ${blob(a.checksums.digest)} > ${CHECKSUMS_FILE} && tar -xOf ${tar} ${blob(a.file.digest)} > ${name} && sha256sum -c ${CHECKSUMS_FILE}` +
    (a.tool.platform === NPM_PLATFORM ? '' : ` && chmod +x ${name}`)
  );
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9._/:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Which scrydon `save --with-tool` carries: the file named by --tool-file; else, running as the single
 * executable, that executable (process.execPath); else, running under Node (an npm install or a checkout), no
 * executable exists, so the running install as the npm package tarball npm pack would make of it.
 */
interface ToolChoice {
  file: ToolFile;
  /** What it is, for the operator. */
  kind: 'single executable' | 'npm package' | 'named file';
  /** Removes what was made for the save (the npm tarball). */
  cleanup: () => Promise<void>;
}

async function toolToCarry(ctx: Context, toolFile: string | undefined): Promise<ToolChoice> {
  const none = async (): Promise<void> => undefined;
  if (toolFile !== undefined) return { file: namedToolFile(resolve(toolFile)), kind: 'named file', cleanup: none };
  const version = packageVersion();
  if (isSingleExecutable()) {
    const name = `scrydon-${version}-${process.platform}-${process.arch}`;
    return {
      file: { name, version, platform: `${process.platform}-${process.arch}`, path: process.execPath },
      kind: 'single executable',
      cleanup: none,
    };
  }
  const pkg = await writeNpmPackage(await installRoot(), ctx.paths.tmp, ctx.signal);
  return {
    file: { name: pkg.name, version: pkg.version, platform: NPM_PLATFORM, path: pkg.path },
    kind: 'npm package',
    cleanup: () => rm(dirname(pkg.path), { recursive: true, force: true }),
  };
}

/** The running install's package directory: the nearest one above this module holding scrydon's package.json. */
async function installRoot(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').then(
      (t) => JSON.parse(t) as { name?: unknown },
      () => undefined,
    );
    if (pkg?.name === 'scrydon') return dir;
    if (dirname(dir) === dir)
      throw new ScrydonError('internal', `no scrydon package.json above ${here}`, {
        hint: 'the installation is incomplete; reinstall it',
      });
  }
}

/**
 * --tool-file: its name says what it is, as the release names them — `scrydon-<version>-<os>-<arch>` (a single
 * executable) or `scrydon-<version>.tgz` (an npm package). Nothing is run to find out.
 */
function namedToolFile(path: string): ToolFile {
  const name = basename(path);
  const npm = /^scrydon-(.+)\.tgz$/.exec(name);
  const exe = /^scrydon-(.+)-([a-z0-9]+-[a-z0-9_]+)$/.exec(name);
  const version = npm?.[1] ?? exe?.[1];
  if (version === undefined || semver.valid(version) === null) {
    throw new ScrydonError('usage', `--tool-file ${path}: the name does not say what it is`, {
      hint: 'name it as the release does: scrydon-<version>-<os>-<arch> (the single executable) or scrydon-<version>.tgz (the npm package)',
    });
  }
  return { name, version, platform: npm ? NPM_PLATFORM : (exe?.[2] as string), path };
}
