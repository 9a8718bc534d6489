/** The part of s3rver's API (npm `s3rver`, no types of its own) that test/helpers/s3-server-main.ts uses. */
declare module 's3rver' {
  export interface S3ObjectLike {
    key: string;
  }

  /** The store's listing (s3rver's FilesystemStore#listObjects), which s3-delimiter-listing.ts wraps. */
  export interface ListingStore {
    listObjects(
      bucket: string,
      options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number },
    ): Promise<{ objects: S3ObjectLike[]; commonPrefixes: string[]; isTruncated: boolean }>;
  }

  /** The part of the Koa context s3rver hands its middleware that s3-multipart-listing.ts reads and writes. */
  export interface S3Context {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
  }

  type Middleware = (ctx: S3Context, next: () => Promise<void>) => Promise<void>;

  export default class S3rver {
    constructor(o: {
      directory: string;
      address: string;
      port: number;
      silent: boolean;
      configureBuckets: Array<{ name: string; configs: string[] }>;
    });
    /** Koa's middleware list; s3rver's router is the last. */
    middleware: Middleware[];
    store: ListingStore & { getResourcePath(bucket: string, key: undefined, resource: string): string };
    run(): Promise<{ port: number }>;
  }
}
