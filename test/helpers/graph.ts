import { Readable } from 'node:stream';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { Pusher } from '../../src/content/target.js';

/** A piece of content and its descriptor, as tests build manifest graphs from them. */
export interface Node {
  d: Descriptor;
  bytes: Buffer;
}

export function layer(text: string): Node {
  const bytes = Buffer.from(text);
  return { d: descriptorOf(MediaType.packLayer, bytes), bytes };
}

export function config(text: string): Node {
  const bytes = encodeJson({ text });
  return { d: descriptorOf(MediaType.packConfig, bytes), bytes };
}

/** An image manifest of `cfg` and `layers`; with `subject`, a referrer (a signature) of it. */
export function manifest(cfg: Node, layers: readonly Node[], subject?: Node): Node {
  const bytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: cfg.d,
    layers: layers.map((l) => l.d),
    ...(subject ? { subject: subject.d } : {}),
  });
  return { d: descriptorOf(MediaType.ociManifest, bytes), bytes };
}

export function index(manifests: readonly Node[]): Node {
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests.map((m) => m.d) });
  return { d: descriptorOf(MediaType.ociIndex, bytes), bytes };
}

/** A signature-like referrer of `subject`: a manifest with one layer of its own, `salt` making it unique. */
export function referrer(subject: Node, salt: string): { manifest: Node; parts: Node[] } {
  const cfg = config(`sig config ${salt}`);
  const l = layer(`sig ${salt}`);
  return { manifest: manifest(cfg, [l], subject), parts: [cfg, l] };
}

/** Pushes `nodes` in order (children first: the caller lists them so). */
export async function seed(t: Pusher, nodes: readonly Node[]): Promise<void> {
  for (const n of nodes) await t.push(n.d, Readable.from([n.bytes]));
}

/** A small pack-like graph: an index of two manifests sharing their config and one layer. */
export function sharedGraph(salt = ''): { root: Node; all: Node[]; shared: Node[] } {
  const cfg = config(`cfg${salt}`);
  const common = layer(`common${salt}`);
  const a1 = layer(`a1${salt}`);
  const b1 = layer(`b1${salt}`);
  const ma = manifest(cfg, [common, a1]);
  const mb = manifest(cfg, [common, b1]);
  const root = index([ma, mb]);
  return { root, all: [cfg, common, a1, b1, ma, mb, root], shared: [cfg, common] };
}

/** The descriptor's bytes changed into others of the same length (for verification at the end of a read). */
export function damaged(bytes: Buffer): Buffer {
  const b = Buffer.from(bytes);
  b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 0x01;
  return b;
}
