// Entry point of the fake Google Drive (OAuth token endpoint + Drive v3 REST) for tests:
//
//   const drive = await startFakeDrive();
//   const auth = new google.auth.OAuth2({ clientId: drive.clientId, clientSecret: drive.clientSecret,
//     endpoints: { oauth2TokenUrl: drive.tokenUrl } });
//   auth.setCredentials({ refresh_token: drive.refreshToken });
//   await google.drive({ version: 'v3', auth }).files.list({ q }, { rootUrl: drive.rootUrl });
//
// Pass `{ rootUrl }` per call: googleapis does not apply a service-level rootUrl to media uploads.
import { DriveServer } from './server';
import { FOLDER_MIME, type FakeDrive, type FakeDriveControls, type FakeDriveOptions } from './types';

export { FOLDER_MIME } from './types';
export type {
  DriveFileResource,
  DriveFileSnapshot,
  DriveRequestRecord,
  FailNextOptions,
  FakeDrive,
  FakeDriveControls,
  FakeDriveOptions,
} from './types';
export type { GoogleErrorBody, GoogleErrorItem } from './errors';

export async function startFakeDrive(opts: FakeDriveOptions = {}): Promise<FakeDrive> {
  const server = new DriveServer(opts);
  await server.listen();
  const { store } = server;

  const controls: FakeDriveControls = {
    files: () => store.all().map((f) => store.snapshot(f)),
    file: (id) => {
      const f = store.get(id);
      return f ? store.snapshot(f) : undefined;
    },
    childrenOf: (folderId) => store.children(folderId).map((f) => store.snapshot(f)),
    folder: (name, parentId = 'root') => {
      const f = store
        .children(parentId)
        .find((c) => c.name === name && c.mimeType === FOLDER_MIME && !c.trashed);
      return f ? store.snapshot(f) : undefined;
    },
    seedFolder: (name, parentId, o = {}) =>
      store.snapshot(store.create({ name, mimeType: FOLDER_MIME, parents: parentId ? [parentId] : undefined, createdTime: o.createdTime })),
    seedFile: (name, parentId, content, mimeType = 'application/octet-stream') =>
      store.snapshot(
        store.create({ name, mimeType, parents: parentId ? [parentId] : undefined, content: Buffer.from(content) }),
      ),
    rootFolderId: store.rootFolderId,
    failNext: (n, status, o) => server.failNext(n, status, o),
    setLatency: (ms) => {
      server.latencyMs = ms;
    },
    issueAccessToken: () => server.issueAccessToken(),
    expireAccessTokens: () => server.expireAccessTokens(),
    advanceTime: (ms) => store.advance(ms),
    revokeRefreshToken: (token) => server.revokeRefreshToken(token),
    requests: () => server.requests(),
    tokenRequests: () => server.tokenRequests(),
    clearRequests: () => server.clearRequests(),
  };

  return {
    rootUrl: `${server.origin}/`,
    tokenUrl: `${server.origin}/token`,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    refreshToken: server.firstRefreshToken,
    controls,
    stop: () => server.close(),
  };
}
