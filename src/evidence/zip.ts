// One person's evidence zip. The bytes depend only on the files' names and contents (and the
// zlib of this Node), so a rerun of a month uploads the same object and its checksum proves it.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

export type ZipInput =
  | {
      /** The entry's name in the zip, e.g. `bitbucket_team_api.txt`. */
      readonly name: string;
      /** The file on disk it is read from. */
      readonly path: string;
    }
  | {
      readonly name: string;
      /** Its bytes, already read (a slice of a repository's evidence). */
      readonly data: Buffer;
    };

/** Regular file, rw-r--r--: the disk's own modes would leak into the bytes. */
const FILE_MODE = 0o100644;

/**
 * The zip's timestamp for every entry: 1980-01-01 00:00:00, the earliest DOS time. yazl writes DOS
 * times from a Date's local fields, so the Date is built from local fields too: whatever the
 * process's TZ, the fields written are the same. (forceDosTimestamp leaves out the extra field that
 * would hold the UTC instant, which does depend on TZ.) Built per call: TZ may change at run time.
 */
function dosEpoch(): Date {
  return new Date(1980, 0, 1, 0, 0, 0, 0);
}

/**
 * Writes `files` into a zip at `outPath`: entries sorted by name, each streamed from disk and
 * deflated, with a fixed time and mode. The zip is written beside `outPath` and renamed into place,
 * so a reader never sees half of it. Returns its size and SHA-256 (hex).
 */
export async function writeZip(files: ReadonlyArray<ZipInput>, outPath: string): Promise<{ bytes: number; sha256: string }> {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i]?.name === sorted[i - 1]?.name) throw new Error(`Two files would be "${sorted[i]?.name}" in ${outPath}`);
  }

  const zip = new ZipFile();
  const mtime = dosEpoch();
  for (const file of sorted) {
    const options = { mtime, mode: FILE_MODE, compress: true, forceDosTimestamp: true };
    if ('data' in file) zip.addBuffer(file.data, file.name, options);
    else zip.addFile(file.path, file.name, options);
  }
  zip.end();

  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // yazl reports a missing or changing input file on the ZipFile, not on its output stream.
  const failed = new Promise<never>((_resolve, reject) => zip.once('error', reject));
  failed.catch(() => undefined);

  const temp = path.join(path.dirname(outPath), `.${path.basename(outPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(temp, { flags: 'wx' });
  const piping = pipeline(zip.outputStream, measure, out);
  piping.catch(() => undefined); // awaited below; this keeps an abandoned pipeline from being an unhandled rejection
  try {
    await Promise.race([piping, failed]);
    const handle = await open(temp, 'r');
    try {
      await handle.sync(); // the rename must not publish a zip whose bytes are still in the page cache only
    } finally {
      await handle.close();
    }
    await rename(temp, outPath);
  } catch (error) {
    measure.destroy();
    out.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}
