/**
 * s3rver 3.7 lists with a delimiter by walking its directory tree and pruning every directory whose path below the
 * prefix holds the delimiter, so a key two or more levels below the prefix (`tags/t1/current/link` under `tags/`)
 * is never reached and its common prefix (`tags/t1/`) never reported. distribution's s3 driver lists tags, and
 * upload and repository directories, exactly that way: on s3rver a tag list is 404 though the tags resolve.
 *
 * `fixDelimiterListing` wraps the store's listing: it lists every key below the prefix (no delimiter, no pruning)
 * and folds the keys into common prefixes itself, as S3 does, counting objects and prefixes against max-keys.
 */
import type { ListingStore, S3ObjectLike } from 's3rver';

export function fixDelimiterListing(store: ListingStore): void {
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const { delimiter = '', prefix = '', maxKeys = Infinity } = options;
    if (!delimiter) return list(bucket, options);
    const all = await list(bucket, { ...options, delimiter: '', maxKeys: Infinity });
    const objects: S3ObjectLike[] = [];
    const prefixes = new Set<string>();
    let isTruncated = false;
    for (const object of all.objects) {
      const at = object.key.indexOf(delimiter, prefix.length);
      const common = at === -1 ? undefined : object.key.slice(0, at + delimiter.length);
      if (common !== undefined && prefixes.has(common)) continue;
      if (objects.length + prefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      if (common === undefined) objects.push(object);
      else prefixes.add(common);
    }
    return { objects, commonPrefixes: [...prefixes].sort(), isTruncated };
  };
}
