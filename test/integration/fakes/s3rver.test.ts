// s3rver through @aws-sdk/client-s3 with the settings from INTEGRATIONS.md: path-style and
// checksums only WHEN_REQUIRED, so a streamed upload is stored as sent.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver';

describe('s3rver through @aws-sdk/client-s3', () => {
  let s3rver: S3rverHandle;
  let s3: S3Client;
  let tmp: string;

  beforeAll(async () => {
    s3rver = await startS3rver({ buckets: ['evidences'] });
    s3 = new S3Client({
      region: s3rver.region,
      endpoint: s3rver.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-test-'));
  });

  afterAll(async () => {
    s3.destroy();
    await s3rver.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stores a streamed ~1 MiB binary PutObject byte for byte', async () => {
    const bytes = crypto.randomBytes(1024 * 1024 + 123);
    const file = path.join(tmp, 'alice.zip');
    fs.writeFileSync(file, bytes);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'evidences',
        Key: '2024_05/alice.zip',
        Body: fs.createReadStream(file),
        ContentLength: bytes.length,
        ContentType: 'application/zip',
      }),
    );
    const stored = await s3rver.getObject('evidences', '2024_05/alice.zip');
    expect(stored.length).toBe(bytes.length);
    expect(stored.equals(bytes)).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'evidences', Key: '2024_05/alice.zip' }));
    expect(head.ContentLength).toBe(bytes.length);
    expect(head.ContentType).toBe('application/zip');
    expect(await s3rver.listKeys('evidences', '2024_05/')).toEqual(['2024_05/alice.zip']);
  });

  it('overwriting a key replaces the object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'evidences', Key: '2024_06/bob.zip', Body: Buffer.from('first, longer version') }));
    await s3.send(new PutObjectCommand({ Bucket: 'evidences', Key: '2024_06/bob.zip', Body: Buffer.from('second') }));
    expect((await s3rver.getObject('evidences', '2024_06/bob.zip')).toString()).toBe('second');
    expect(await s3rver.listKeys('evidences', '2024_06/')).toEqual(['2024_06/bob.zip']);
    expect(await s3rver.listKeys('evidences')).toEqual(['2024_05/alice.zip', '2024_06/bob.zip']);
  });

  it('the helper hands out a working client configuration', async () => {
    const client = new S3Client(s3rver.s3ClientConfig);
    try {
      await client.send(new PutObjectCommand({ Bucket: 'evidences', Key: 'cfg.txt', Body: 'ok' }));
      expect((await s3rver.getObject('evidences', 'cfg.txt')).toString()).toBe('ok');
    } finally {
      client.destroy();
    }
  });
});
