import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';
import { canonicalRegistry } from '../names/remote.js';

/** How one registry is reached. Plain HTTP and unverified TLS are only ever used for registries named here. */
export interface HostSettings {
  plainHttp: boolean;
  insecure: boolean;
  /** PEM bundle trusted in addition to the system roots. */
  caFile?: string;
}

export type ReferrersMode = 'api' | 'tag' | 'auto';

const HOST_KEYS: ReadonlySet<string> = new Set(['plainHttp', 'insecure', 'caFile']);
const MAX_FILE_BYTES = 256 * 1024;

/**
 * Per-registry settings: `$SCRYDON_HOME/registries.yaml` (`registries: {HOST: {plainHttp, insecure, caFile}}`)
 * plus what the command line says about the registries it names (`--plain-http`, `--insecure`, `--ca-file`).
 */
export class RegistrySettings {
  readonly #hosts: ReadonlyMap<string, Partial<HostSettings>>;
  readonly #flags: Partial<HostSettings>;
  readonly #flagHosts: ReadonlySet<string>;

  constructor(
    hosts: ReadonlyMap<string, Partial<HostSettings>> = new Map(),
    flags: Partial<HostSettings> = {},
    flagHosts: Iterable<string> = [],
  ) {
    this.#hosts = hosts;
    this.#flags = flags;
    this.#flagHosts = new Set([...flagHosts].map(canonicalRegistry));
  }

  /** The same file settings, with command-line settings applied to the registries the command names. */
  withFlags(flags: Partial<HostSettings>, registries: Iterable<string>): RegistrySettings {
    return new RegistrySettings(this.#hosts, flags, registries);
  }

  for(registry: string): HostSettings {
    const reg = canonicalRegistry(registry);
    const file = this.#hosts.get(reg) ?? {};
    const flags = this.#flagHosts.has(reg) ? this.#flags : {};
    const caFile = flags.caFile ?? file.caFile;
    return {
      plainHttp: Boolean(flags.plainHttp || file.plainHttp),
      insecure: Boolean(flags.insecure || file.insecure),
      ...(caFile ? { caFile } : {}),
    };
  }
}

/** Parses registries.yaml; `where` names the file in errors. */
export async function parseRegistriesFile(text: string, where: string): Promise<Map<string, Partial<HostSettings>>> {
  const { parse } = await import('../config/yaml-parse.js'); // only where a registries.yaml exists
  const bad = (why: string): never => {
    throw new ScrydonError('config_invalid', `${where}: ${why}`, {
      hint: 'registries.yaml holds registries: {HOST[:PORT]: {plainHttp: true, insecure: true, caFile: PATH}}',
    });
  };
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 10 });
  } catch (e) {
    return bad(`not valid YAML (${(e as Error).message.split('\n')[0] ?? ''})`);
  }
  const out = new Map<string, Partial<HostSettings>>();
  if (doc === null || doc === undefined) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) return bad('expected a mapping');
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'registries') bad(`unknown key "${k}"`);
  const regs = top.registries ?? {};
  if (typeof regs !== 'object' || regs === null || Array.isArray(regs)) return bad('registries must be a mapping');
  for (const [host, v] of Object.entries(regs as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`registries.${host} must be a mapping`);
    const entry: Partial<HostSettings> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (!HOST_KEYS.has(k)) bad(`registries.${host}: unknown key "${k}"`);
      if (k === 'caFile') {
        if (typeof val !== 'string' || val === '') bad(`registries.${host}.caFile must be a path`);
        entry.caFile = val as string;
      } else {
        if (typeof val !== 'boolean') bad(`registries.${host}.${k} must be true or false`);
        entry[k as 'plainHttp' | 'insecure'] = val as boolean;
      }
    }
    out.set(canonicalRegistry(host), entry);
  }
  return out;
}

/** Reads registries.yaml; a missing file means no per-registry settings. */
export async function loadRegistriesFile(path: string): Promise<Map<string, Partial<HostSettings>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  if (text.length > MAX_FILE_BYTES)
    throw new ScrydonError('size_limit_exceeded', `${path} is over ${MAX_FILE_BYTES} bytes`);
  return await parseRegistriesFile(text, path);
}
