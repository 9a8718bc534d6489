import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Context } from 's3rver';

/** Where s3rver's filesystem store keeps a bucket's multipart uploads: `<dir>/<uploadId>/{key, N, N.md5}`. */
type UploadsDir = (bucket: string) => string;

interface Upload {
  id: string;
  key: string;
  dir: string;
  initiated: Date;
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function uploadsOf(dir: string): Promise<Upload[]> {
  const ids = await readdir(dir).catch(() => [] as string[]);
  const found = await Promise.all(
    ids.map(async (id) => {
      const key = await readFile(join(dir, id, 'key'), 'utf8').catch(() => undefined);
      if (key === undefined) return undefined;
      return { id, key, dir: join(dir, id), initiated: (await stat(join(dir, id))).birthtime };
    }),
  );
  return found.filter((u): u is Upload => u !== undefined).sort((a, b) => (a.key < b.key ? -1 : 1));
}

function answer(ctx: S3Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

/** `GET /BUCKET?uploads&prefix=P`: ListMultipartUploads (one page: a test bucket never holds 1,000 uploads). */
async function listUploads(ctx: S3Context, bucket: string, dir: string): Promise<void> {
  const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
  const rows = (await uploadsOf(dir))
    .filter((u) => u.key.startsWith(prefix))
    .map(
      (u) =>
        `<Upload><Key>${xml(u.key)}</Key><UploadId>${u.id}</UploadId>` +
        `<Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
    );
  answer(
    ctx,
    200,
    `<ListMultipartUploadsResult><Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix>` +
      `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${rows.join('')}</ListMultipartUploadsResult>`,
  );
}

/** `GET /BUCKET/KEY?uploadId=ID`: ListParts (one page). */
async function listParts(ctx: S3Context, bucket: string, dir: string, uploadId: string): Promise<void> {
  const upload = (await uploadsOf(dir)).find((u) => u.id === uploadId);
  if (!upload) {
    answer(ctx, 404, '<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
    return;
  }
  const numbers = (await readdir(upload.dir))
    .filter((f) => /^\d+$/.test(f))
    .map(Number)
    .sort((a, b) => a - b);
  const parts = await Promise.all(
    numbers.map(async (n) => {
      const s = await stat(join(upload.dir, String(n)));
      const md5 = await readFile(join(upload.dir, `${n}.md5`), 'utf8');
      return `<Part><PartNumber>${n}</PartNumber><LastModified>${s.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${s.size}</Size></Part>`;
    }),
  );
  answer(
    ctx,
    200,
    `<ListPartsResult><Bucket>${xml(bucket)}</Bucket><Key>${xml(upload.key)}</Key><UploadId>${upload.id}</UploadId>` +
      `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
      `<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
  );
}

/**
 * The two S3 calls s3rver 3.7 lacks and distribution's s3 driver needs to finish any blob upload (its
 * `Writer(path, append=true)` finds the upload's multipart session by ListMultipartUploads, then its parts by
 * ListParts): answered from s3rver's own on-disk upload state, as Koa middleware placed before s3rver's router.
 */
export function multipartListing(uploadsDir: UploadsDir) {
  return async (ctx: S3Context, next: () => Promise<void>): Promise<void> => {
    const m = /^\/([^/]+)(?:\/(.+))?$/.exec(ctx.path);
    const bucket = m?.[1];
    if (ctx.method === 'GET' && bucket !== undefined) {
      const uploadId = ctx.query.uploadId;
      if (m?.[2] === undefined && 'uploads' in ctx.query) return listUploads(ctx, bucket, uploadsDir(bucket));
      if (m?.[2] !== undefined && typeof uploadId === 'string')
        return listParts(ctx, bucket, uploadsDir(bucket), uploadId);
    }
    await next();
  };
}
