// s3rver (a real third-party S3 server) for tests: a fresh temp directory, a free loopback port,
// silent logging, removed on stop. Talk to it with @aws-sdk/client-s3 configured as `s3ClientConfig`
// shows (path-style, checksums WHEN_REQUIRED: otherwise a streamed PutObject stores aws-chunked framing).
import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** The part of s3rver's (untyped) API used here; see node_modules/s3rver/README.md. */
interface S3rverOptions {
  address?: string;
  port?: number;
  silent?: boolean;
  directory?: string;
  resetOnClose?: boolean;
  configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
}
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  httpServer?: http.Server;
}
type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

// s3rver ships no types; load it through createRequire so the constructor gets the type above.
const loadModule = createRequire(__filename);
const S3rver = loadModule('s3rver') as S3rverConstructor;

export interface S3rverHandle {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  accessKeyId: 'S3RVER';
  secretAccessKey: 'S3RVER';
  region: string;
  /** Where s3rver keeps the buckets (deleted by stop()). */
  directory: string;
  /** A client configuration that works with s3rver. */
  s3ClientConfig: S3ClientConfig;
  getObject(bucket: string, key: string): Promise<Buffer>;
  /** Keys in `bucket` (under `prefix`), sorted, all pages. */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3rver(opts: { buckets?: string[]; region?: string } = {}): Promise<S3rverHandle> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0, // the OS picks a free port; run() reports it
    silent: true,
    directory,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const region = opts.region ?? 'us-east-1';
  const s3ClientConfig: S3ClientConfig = {
    region,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const reader = new S3Client(s3ClientConfig);

  return {
    endpoint,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region,
    directory,
    s3ClientConfig,
    async getObject(bucket, key) {
      const res = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`s3rver returned no body for ${bucket}/${key}`);
      return Buffer.from(await res.Body.transformToByteArray());
    },
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await reader.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async stop() {
      reader.destroy();
      // Keep-alive sockets from SDK clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
