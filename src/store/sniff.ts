import { MAX_MANIFEST_BYTES } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import { openBlobFile, type LayoutPaths } from './layout.js';

/**
 * A stored blob that is a manifest or an index, known by the `mediaType` it declares (a child of an index is a
 * blob with no index.json entry to say what it is): its media type and bytes, or undefined for anything else.
 * A blob that is a link or not a regular file is refused (openBlobFile).
 */
export async function sniffGraphNode(
  p: LayoutPaths,
  digest: string,
): Promise<{ mediaType: string; bytes: Buffer } | undefined> {
  if (!isDigest(digest)) return undefined;
  const fh = await openBlobFile(p.blob(digest));
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (st.size > MAX_MANIFEST_BYTES) return undefined;
    const bytes = await fh.readFile();
    if (bytes[0] !== 0x7b) return undefined; // not `{`
    const mt = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    return typeof mt === 'string' && isGraphNodeType(mt) ? { mediaType: mt, bytes } : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
