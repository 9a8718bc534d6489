import S3rver from 's3rver';
import { fixDelimiterListing } from './s3-delimiter-listing.js';
import { multipartListing } from './s3-multipart-listing.js';

/**
 * `node s3-server-main.js DIR PORT BUCKET`: s3rver (npm) on 127.0.0.1:PORT with its data in DIR and BUCKET
 * created, plus the multipart listing calls distribution needs (s3-multipart-listing.ts) and a listing by delimiter
 * that reaches keys more than one level down (s3-delimiter-listing.ts). A process of its own:
 * the test process blocks in spawnSync (skopeo) while a registry may be talking to S3. Prints `listening PORT`.
 */
const [directory = '', port = '0', bucket = 'registry'] = process.argv.slice(2);
const s3 = new S3rver({
  directory,
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
// before the router (the last middleware), which answers both calls NotImplemented
s3.middleware.splice(
  s3.middleware.length - 1,
  0,
  multipartListing((b) => s3.store.getResourcePath(b, undefined, 'uploads')),
);
fixDelimiterListing(s3.store);
const { port: bound } = await s3.run();
process.stdout.write(`listening ${bound}\n`);
