import { createRequire } from 'node:module';
import { multipartListing, type S3Context } from './s3-multipart-listing.js';

/**
 * `node s3-server-main.js DIR PORT BUCKET`: s3rver (npm) on 127.0.0.1:PORT with its data in DIR and BUCKET
 * created, plus the multipart listing calls distribution needs (s3-multipart-listing.ts). A process of its own:
 * the test process blocks in spawnSync (skopeo) while a registry may be talking to S3. Prints `listening PORT`.
 */
type Middleware = (ctx: S3Context, next: () => Promise<void>) => Promise<void>;
interface S3rver {
  middleware: Middleware[];
  store: { getResourcePath(bucket: string, key: undefined, resource: string): string };
  run(): Promise<{ port: number }>;
}
type S3rverClass = new (o: {
  directory: string;
  address: string;
  port: number;
  silent: boolean;
  configureBuckets: Array<{ name: string; configs: string[] }>;
}) => S3rver;

const [directory = '', port = '0', bucket = 'registry'] = process.argv.slice(2);
const S3rverServer = createRequire(import.meta.url)('s3rver') as S3rverClass;
const s3 = new S3rverServer({
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
const { port: bound } = await s3.run();
process.stdout.write(`listening ${bound}\n`);
