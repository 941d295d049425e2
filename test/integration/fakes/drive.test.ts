// The fake Drive through the real client: googleapis 176 with the OAuth refresh-token flow,
// `{ rootUrl }` per call. A few raw HTTP checks cover what googleapis never sends (resumable).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { google, type drive_v3 } from 'googleapis';
import { FOLDER_MIME, startFakeDrive, type FakeDrive, type GoogleErrorBody } from '../../fakes/drive';

interface HttpFailure {
  status: number;
  data: unknown;
}

/** The HTTP status and body of a rejected gaxios call. */
async function failure(p: Promise<unknown>): Promise<HttpFailure> {
  try {
    await p;
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown } }).response;
    if (res) return { status: res.status, data: res.data };
    throw err;
  }
  throw new Error('expected the call to fail');
}

// gaxios 7 loads node-fetch with a dynamic import(), which jest's CommonJS runtime refuses
// ("A dynamic import callback was invoked without --experimental-vm-modules"); hand it Node's
// fetch. The auth client's transporter carries both the token requests and the API calls.
const transporterOptions = { fetchImplementation: fetch };

function oauth(fake: FakeDrive, clientSecret: string, extra: { forceRefreshOnFailure?: boolean } = {}) {
  return new google.auth.OAuth2({
    clientId: fake.clientId,
    clientSecret,
    endpoints: { oauth2TokenUrl: fake.tokenUrl },
    transporterOptions,
    ...extra,
  });
}

function client(fake: FakeDrive, extra: { forceRefreshOnFailure?: boolean } = {}): drive_v3.Drive {
  const auth = oauth(fake, fake.clientSecret, extra);
  auth.setCredentials({ refresh_token: fake.refreshToken });
  return google.drive({ version: 'v3', auth });
}

describe('fake Google Drive through googleapis', () => {
  let fake: FakeDrive;
  let drive: drive_v3.Drive;
  let tmp: string;
  let rootUrl: string;

  beforeEach(async () => {
    fake = await startFakeDrive();
    drive = client(fake);
    rootUrl = fake.rootUrl;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-drive-'));
  });

  afterEach(async () => {
    await fake.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('creates a folder and multipart-uploads a binary file from a stream, byte for byte', async () => {
    const folder = await drive.files.create(
      { requestBody: { name: '2024_05', mimeType: FOLDER_MIME, parents: ['root'] }, fields: 'id,name,mimeType,parents' },
      { rootUrl },
    );
    expect(folder.status).toBe(200);
    expect(folder.data).toEqual({ id: expect.any(String), name: '2024_05', mimeType: FOLDER_MIME, parents: [fake.controls.rootFolderId] });

    // CRLF and "--" inside the media must not be mistaken for multipart framing.
    const bytes = Buffer.concat([crypto.randomBytes(64 * 1024), Buffer.from('\r\n--\r\n'), crypto.randomBytes(1000), Buffer.from('\r\n')]);
    const file = path.join(tmp, 'alice.zip');
    fs.writeFileSync(file, bytes);
    const uploaded = await drive.files.create(
      {
        requestBody: { name: 'alice.zip', parents: [folder.data.id as string] },
        media: { mimeType: 'application/zip', body: fs.createReadStream(file) },
        fields: 'id,name,mimeType,size,md5Checksum,parents,createdTime',
      },
      { rootUrl },
    );
    expect(uploaded.data).toMatchObject({
      name: 'alice.zip',
      mimeType: 'application/zip',
      size: String(bytes.length),
      md5Checksum: crypto.createHash('md5').update(bytes).digest('hex'),
      parents: [folder.data.id],
    });
    expect(fake.controls.file(uploaded.data.id as string)?.content?.equals(bytes)).toBe(true);

    // What googleapis actually sent: a multipart upload (not resumable), streamed with chunked encoding.
    const uploadReq = fake.controls.requests().find((r) => r.path === '/upload/drive/v3/files');
    expect(uploadReq).toMatchObject({ method: 'POST', uploadType: 'multipart', status: 200 });

    const media = await drive.files.get({ fileId: uploaded.data.id as string, alt: 'media' }, { rootUrl, responseType: 'arraybuffer' });
    expect(Buffer.from(media.data as unknown as ArrayBuffer).equals(bytes)).toBe(true);

    // Without `fields`, Drive returns only kind, id, name and mimeType.
    const meta = await drive.files.get({ fileId: uploaded.data.id as string }, { rootUrl });
    expect(meta.data).toEqual({ kind: 'drive#file', id: uploaded.data.id, name: 'alice.zip', mimeType: 'application/zip' });

    // One token request served both calls: the access token is cached until it expires.
    expect(fake.controls.tokenRequests()).toHaveLength(1);
  });

  it('lists with a q that combines name, parents, mimeType and trashed', async () => {
    const parent = fake.controls.seedFolder("Imputació d'hores");
    const old = fake.controls.seedFolder('2024_04', parent.id);
    fake.controls.seedFolder('2024_04', undefined); // same name, other parent
    fake.controls.seedFile('2024_04', parent.id, 'not a folder');
    const trashed = fake.controls.seedFolder('2024_04', parent.id);
    await drive.files.update({ fileId: trashed.id, requestBody: { trashed: true } }, { rootUrl });

    const q = `name = '2024_04' and '${parent.id}' in parents and mimeType = '${FOLDER_MIME}' and trashed = false`;
    const res = await drive.files.list(
      { q, fields: 'nextPageToken, files(id, name, parents)', pageSize: 100, supportsAllDrives: true, includeItemsFromAllDrives: true },
      { rootUrl },
    );
    expect(res.data).toEqual({ files: [{ id: old.id, name: '2024_04', parents: [parent.id] }] });

    // Escaped quotes, not/or and parentheses.
    const byName = await drive.files.list({ q: `name = 'Imputació d\\'hores' and not trashed = true`, fields: 'files(id)' }, { rootUrl });
    expect(byName.data.files).toEqual([{ id: parent.id }]);
    const either = await drive.files.list(
      { q: `('${parent.id}' in parents and (mimeType != '${FOLDER_MIME}' or trashed = true)) or name contains 'Imputa'`, fields: 'files(name,mimeType,trashed)' },
      { rootUrl },
    );
    expect(either.data.files).toEqual(
      expect.arrayContaining([
        { name: "Imputació d'hores", mimeType: FOLDER_MIME, trashed: false },
        { name: '2024_04', mimeType: 'application/octet-stream', trashed: false },
        { name: '2024_04', mimeType: FOLDER_MIME, trashed: true },
      ]),
    );
    expect(either.data.files).toHaveLength(3);

    // Paging: pageSize 1 walks the three 2024_04 folders one by one (trashed ones are listed too).
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await drive.files.list({ q: `name = '2024_04' and mimeType = '${FOLDER_MIME}'`, pageSize: 1, pageToken, fields: 'nextPageToken,files(id)' }, { rootUrl });
      seen.push(...(page.data.files ?? []).map((f) => f.id as string));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
  });

  it('deleting a folder deletes its descendants', async () => {
    const month = fake.controls.seedFolder('2024_04');
    const sub = fake.controls.seedFolder('extra', month.id);
    const zip = fake.controls.seedFile('bob.zip', month.id, 'zip bytes', 'application/zip');
    const deep = fake.controls.seedFile('deep.txt', sub.id, 'deep');
    const keep = fake.controls.seedFile('keep.txt', undefined, 'keep');

    const del = await drive.files.delete({ fileId: month.id }, { rootUrl });
    expect(del.status).toBe(204);
    const ids = fake.controls.files().map((f) => f.id);
    for (const gone of [month.id, sub.id, zip.id, deep.id]) expect(ids).not.toContain(gone);
    expect(ids).toContain(keep.id);

    const missing = await failure(drive.files.get({ fileId: zip.id }, { rootUrl }));
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({
      error: {
        code: 404,
        message: `File not found: ${zip.id}`,
        errors: [{ domain: 'global', reason: 'notFound', message: `File not found: ${zip.id}`, location: 'fileId', locationType: 'parameter' }],
      },
    });
  });

  it('refreshes an expired access token (401) through the refresh-token flow', async () => {
    const d = client(fake, { forceRefreshOnFailure: true });
    await d.files.list({ fields: 'files(id)' }, { rootUrl });
    expect(fake.controls.tokenRequests()).toHaveLength(1);

    fake.controls.advanceTime(3600 * 1000); // the access token's 3599 s are over
    const again = await d.files.list({ fields: 'files(id)' }, { rootUrl });
    expect(again.status).toBe(200);
    expect(fake.controls.tokenRequests()).toHaveLength(2);
    expect(fake.controls.requests().map((r) => r.status)).toEqual([200, 401, 200]);

    // The 401 body as Google sends it.
    fake.controls.expireAccessTokens();
    const token = fake.controls.tokenRequests().length; // unchanged by the raw call below
    const raw = await fetch(`${rootUrl}drive/v3/files`, { headers: { Authorization: 'Bearer ya29.stale' } });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await raw.json()) as GoogleErrorBody).toEqual({
      error: {
        code: 401,
        message: 'Invalid Credentials',
        errors: [{ domain: 'global', reason: 'authError', message: 'Invalid Credentials', location: 'Authorization', locationType: 'header' }],
      },
    });
    expect(fake.controls.tokenRequests()).toHaveLength(token);
  });

  it('answers an invalid q with 400 Invalid Value on q', async () => {
    for (const q of ["name = 'unterminated", "name = '2024' and", "title = 'v2 name'", "'x' in owners", "name = 'a\\b'"]) {
      const err = await failure(drive.files.list({ q }, { rootUrl }));
      expect(err.status).toBe(400);
      expect(err.data).toEqual({
        error: {
          code: 400,
          message: 'Invalid Value',
          errors: [{ domain: 'global', reason: 'invalid', message: 'Invalid Value', location: 'q', locationType: 'parameter' }],
        },
      });
    }
    const fields = await failure(drive.files.list({ fields: 'files(id,nope)' }, { rootUrl }));
    expect(fields.status).toBe(400);
    expect((fields.data as GoogleErrorBody).error.errors[0]).toMatchObject({ reason: 'invalidParameter', location: 'fields' });
  });

  it('rejects a wrong client secret and an unknown refresh token like Google', async () => {
    const wrongSecret = oauth(fake, 'nope');
    wrongSecret.setCredentials({ refresh_token: fake.refreshToken });
    const e1 = await failure(google.drive({ version: 'v3', auth: wrongSecret }).files.list({}, { rootUrl }));
    expect(e1).toEqual({ status: 401, data: { error: 'invalid_client', error_description: 'Unauthorized' } });

    const badToken = oauth(fake, fake.clientSecret);
    badToken.setCredentials({ refresh_token: 'not-issued' });
    const e2 = await failure(google.drive({ version: 'v3', auth: badToken }).files.list({}, { rootUrl }));
    expect(e2).toEqual({ status: 400, data: { error: 'invalid_grant', error_description: 'Bad Request' } });
    expect(fake.controls.requests()).toHaveLength(0); // never reached the API
  });

  it('injects failures: a POST fails once, a GET is retried by googleapis', async () => {
    fake.controls.failNext(1, 503, { match: (r) => r.method === 'POST' });
    const err = await failure(drive.files.create({ requestBody: { name: 'x', mimeType: FOLDER_MIME } }, { rootUrl }));
    expect(err.status).toBe(503);
    expect((err.data as GoogleErrorBody).error.errors[0].reason).toBe('backendError');

    fake.controls.failNext(1, 500, { match: (r) => r.method === 'GET' });
    const ok = await drive.files.list({}, { rootUrl });
    expect(ok.status).toBe(200);
    expect(fake.controls.requests().filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([500, 200]);
  });

  it('serves resumable uploads in one PUT or in chunks with 308 Resume Incomplete', async () => {
    const token = fake.controls.issueAccessToken();
    const folder = fake.controls.seedFolder('2024_05');
    const bytes = crypto.randomBytes(600 * 1024);

    const start = await fetch(`${rootUrl}upload/drive/v3/files?uploadType=resumable&fields=id,name,size,parents`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json; charset=UTF-8',
        'X-Upload-Content-Type': 'application/zip',
        'X-Upload-Content-Length': String(bytes.length),
      },
      body: JSON.stringify({ name: 'carol.zip', parents: [folder.id] }),
    });
    expect(start.status).toBe(200);
    const session = start.headers.get('location') as string;
    expect(session).toContain('upload_id=');

    const chunk = 256 * 1024;
    const put = (from: number, to: number) =>
      fetch(session, {
        method: 'PUT',
        headers: { 'Content-Range': `bytes ${from}-${to - 1}/${bytes.length}` },
        body: bytes.subarray(from, to),
      });
    const first = await put(0, chunk);
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${chunk - 1}`);

    const status = await fetch(session, { method: 'PUT', headers: { 'Content-Range': `bytes */${bytes.length}` } });
    expect(status.status).toBe(308);
    expect(status.headers.get('range')).toBe(`bytes=0-${chunk - 1}`);

    expect((await put(chunk, 2 * chunk)).status).toBe(308);
    const last = await put(2 * chunk, bytes.length);
    expect(last.status).toBe(200);
    const created = (await last.json()) as { id: string; name: string; size: string; parents: string[] };
    expect(created).toEqual({ id: expect.any(String), name: 'carol.zip', size: String(bytes.length), parents: [folder.id] });
    expect(fake.controls.file(created.id)?.content?.equals(bytes)).toBe(true);
    expect(fake.controls.file(created.id)?.mimeType).toBe('application/zip');

    // The Python original posted multipart/form-data (requests' `files=`): metadata part, optional file part.
    const form = new FormData();
    form.append('data', new Blob([JSON.stringify({ name: '2024_06', mimeType: FOLDER_MIME, parents: ['root'] })], { type: 'application/json; charset=UTF-8' }), 'metadata');
    const formRes = await fetch(`${rootUrl}upload/drive/v3/files?uploadType=multipart`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
    const formFolder = (await formRes.json()) as { id: string; mimeType: string };
    expect(formFolder.mimeType).toBe(FOLDER_MIME);
    const inRoot = await drive.files.list({ q: `'root' in parents and name = '2024_06'`, fields: 'files(id)' }, { rootUrl });
    expect(inRoot.data.files).toEqual([{ id: formFolder.id }]);

    // Simple upload (uploadType=media): content only, named "Untitled".
    const media = await fetch(`${rootUrl}upload/drive/v3/files?uploadType=media`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    expect(await media.json()).toEqual({ kind: 'drive#file', id: expect.any(String), name: 'Untitled', mimeType: 'text/plain' });
  });
});
