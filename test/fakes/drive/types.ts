// Shapes shared by the fake Drive's modules and its tests.

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

/** A file as the fake stores it. Drive's JSON names are kept; `content` is the media, if any. */
export interface StoredFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  description?: string;
  trashed: boolean;
  explicitlyTrashed: boolean;
  createdTime: string;
  modifiedTime: string;
  appProperties?: Record<string, string>;
  properties?: Record<string, string>;
  content?: Buffer;
}

/** The Drive v3 `files` resource fields the fake serves (a subset of the real resource). */
export interface DriveFileResource {
  kind: 'drive#file';
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  description?: string;
  trashed: boolean;
  explicitlyTrashed: boolean;
  createdTime: string;
  modifiedTime: string;
  /** int64 as a decimal string, as Drive sends it; absent for folders and other Google-type files. */
  size?: string;
  md5Checksum?: string;
  appProperties?: Record<string, string>;
  properties?: Record<string, string>;
  webViewLink: string;
}

/** What controls.files() hands to tests: the resource plus a copy of the content. */
export interface DriveFileSnapshot extends DriveFileResource {
  content?: Buffer;
}

export interface DriveRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** For /upload requests: multipart, resumable or media. */
  uploadType?: string;
  requestBytes: number;
  /** Why the fake refused the request, when it did. */
  error?: string;
  at: string;
}

export interface FailNextOptions {
  reason?: string;
  message?: string;
  /** Only requests this returns true for consume the failure (default: any). Token endpoint calls never do. */
  match?: (req: { method: string; path: string }) => boolean;
}

export interface FakeDriveOptions {
  clientId?: string;
  clientSecret?: string;
  /** Refresh tokens the token endpoint accepts. Default ['fake-refresh-token']. */
  refreshTokens?: string[];
  /** Lifetime of issued access tokens. Google issues 3599 s. */
  accessTokenTtlSeconds?: number;
  scope?: string;
  /** Milliseconds to wait before answering every request. */
  latencyMs?: number;
  /** Require a valid bearer token on API calls (default true). */
  requireAuth?: boolean;
}

export interface FakeDriveControls {
  /** Every stored file (trashed ones too) with a copy of its content. */
  files(): DriveFileSnapshot[];
  file(id: string): DriveFileSnapshot | undefined;
  /** Direct children of a folder (not recursive). */
  childrenOf(folderId: string): DriveFileSnapshot[];
  /** The untrashed folder called `name` directly under `parentId`, if there is one. */
  folder(name: string, parentId?: string): DriveFileSnapshot | undefined;
  /** Create a folder without going through the API (e.g. "last month's folder" from an earlier run). */
  seedFolder(name: string, parentId?: string, opts?: { createdTime?: string }): DriveFileSnapshot;
  seedFile(name: string, parentId: string | undefined, content: Buffer | string, mimeType?: string): DriveFileSnapshot;
  /** The id of My Drive's root folder (also reachable as the alias 'root'). */
  readonly rootFolderId: string;
  /** The next `n` matching API requests fail with `status` in Google's error shape. */
  failNext(n: number, status: number, opts?: FailNextOptions): void;
  setLatency(ms: number): void;
  /** Issue an access token without the token endpoint (for raw HTTP tests). */
  issueAccessToken(): string;
  /** Make every access token issued so far invalid, as if it had expired. */
  expireAccessTokens(): void;
  /** Move the fake's clock forward: tokens expire and new files get later timestamps. */
  advanceTime(ms: number): void;
  revokeRefreshToken(token: string): void;
  /** API and upload requests, oldest first (token endpoint calls are in tokenRequests()). */
  requests(): DriveRequestRecord[];
  tokenRequests(): DriveRequestRecord[];
  clearRequests(): void;
}

export interface FakeDrive {
  /** e.g. http://127.0.0.1:PORT/ — pass as `{ rootUrl }` on every googleapis call. */
  rootUrl: string;
  /** The OAuth token endpoint, for `endpoints: { oauth2TokenUrl }`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  controls: FakeDriveControls;
  stop(): Promise<void>;
}
