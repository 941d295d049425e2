// The fake Drive's HTTP side: Google's OAuth token endpoint and the Drive v3 REST surface the
// evidence report uses (files list/get/create/update/delete and the three upload types).
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  badRequest,
  DriveHttpError,
  injectedFailure,
  invalidCredentials,
  invalidValue,
  loginRequired,
  notFound,
} from './errors';
import { applySelection, FieldSelectionError, parseFields, validate, type FieldSchema, type Selection } from './fields';
import { headerParam, MultipartError, parseMultipart } from './multipart';
import { matches, parseQuery, QuerySyntaxError, type QueryNode } from './query';
import { DriveStore } from './store';
import {
  FOLDER_MIME,
  type DriveRequestRecord,
  type FailNextOptions,
  type FakeDriveOptions,
  type StoredFile,
} from './types';

const FILE_SCHEMA: FieldSchema = {
  kind: 'leaf',
  id: 'leaf',
  name: 'leaf',
  mimeType: 'leaf',
  parents: 'leaf',
  description: 'leaf',
  trashed: 'leaf',
  explicitlyTrashed: 'leaf',
  createdTime: 'leaf',
  modifiedTime: 'leaf',
  size: 'leaf',
  md5Checksum: 'leaf',
  webViewLink: 'leaf',
  appProperties: 'map',
  properties: 'map',
};
const LIST_SCHEMA: FieldSchema = { kind: 'leaf', nextPageToken: 'leaf', incompleteSearch: 'leaf', files: FILE_SCHEMA };

// Without `fields`, files.get/create/update return kind, id, name and mimeType, and files.list
// returns those four per file (Drive guide "Return specific fields").
const DEFAULT_FILE_FIELDS = 'kind,id,name,mimeType';
const DEFAULT_LIST_FIELDS = 'kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)';

const ORDER_KEYS = new Set(['createdTime', 'folder', 'modifiedTime', 'name', 'name_natural']);

interface TokenGrant {
  expiresAt: number;
}

interface UploadSession {
  metadata: Record<string, unknown>;
  contentType: string | undefined;
  declaredLength: number | undefined;
  received: Buffer[];
  receivedBytes: number;
  fields: string | undefined;
  file?: StoredFile;
}

interface FailureRule {
  remaining: number;
  status: number;
  opts: FailNextOptions;
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  body: Buffer;
  record: DriveRequestRecord;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2);
  ctx.record.status = status;
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  ctx.res.end(text);
}

function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  ctx.record.status = status;
  // Google's upload servers call 308 "Resume Incomplete" (not a redirect: there is no Location).
  const reason = status === 308 ? 'Resume Incomplete' : (http.STATUS_CODES[status] ?? '');
  ctx.res.writeHead(status, reason, { 'Content-Length': '0', ...headers });
  ctx.res.end();
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonObject(buf: Buffer, what: string): Record<string, unknown> {
  if (buf.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    throw badRequest(`Invalid JSON payload received in ${what}.`, 'body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`Invalid JSON payload received in ${what}.`, 'body is not a JSON object');
  }
  return value as Record<string, unknown>;
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`Invalid value for ${field}.`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = String(val);
  return out;
}

export class DriveServer {
  readonly store = new DriveStore();
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly refreshTokens: Set<string>;
  private readonly revoked = new Set<string>();
  private readonly accessTokens = new Map<string, TokenGrant>();
  private readonly sessions = new Map<string, UploadSession>();
  private readonly failures: FailureRule[] = [];
  private readonly apiLog: DriveRequestRecord[] = [];
  private readonly tokenLog: DriveRequestRecord[] = [];
  private readonly ttlSeconds: number;
  private readonly scope: string;
  private readonly requireAuth: boolean;
  latencyMs: number;
  private server?: http.Server;
  origin = '';

  constructor(opts: FakeDriveOptions = {}) {
    this.clientId = opts.clientId ?? 'fake-client-id.apps.googleusercontent.com';
    this.clientSecret = opts.clientSecret ?? 'fake-client-secret';
    this.refreshTokens = new Set(opts.refreshTokens ?? ['fake-refresh-token']);
    this.ttlSeconds = opts.accessTokenTtlSeconds ?? 3599;
    this.scope = opts.scope ?? 'https://www.googleapis.com/auth/drive';
    this.latencyMs = opts.latencyMs ?? 0;
    this.requireAuth = opts.requireAuth ?? true;
  }

  get firstRefreshToken(): string {
    return [...this.refreshTokens][0] ?? '';
  }

  async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- controls -------------------------------------------------------------------------

  failNext(n: number, status: number, opts: FailNextOptions = {}): void {
    this.failures.push({ remaining: n, status, opts });
  }

  issueAccessToken(): string {
    const token = `ya29.fake-${crypto.randomBytes(18).toString('base64url')}`;
    this.accessTokens.set(token, { expiresAt: this.store.now() + this.ttlSeconds * 1000 });
    return token;
  }

  expireAccessTokens(): void {
    for (const grant of this.accessTokens.values()) grant.expiresAt = 0;
  }

  revokeRefreshToken(token: string): void {
    this.revoked.add(token);
  }

  requests(): DriveRequestRecord[] {
    return this.apiLog.map((r) => ({ ...r, query: { ...r.query } }));
  }

  tokenRequests(): DriveRequestRecord[] {
    return this.tokenLog.map((r) => ({ ...r, query: { ...r.query } }));
  }

  clearRequests(): void {
    this.apiLog.length = 0;
    this.tokenLog.length = 0;
  }

  // ---- dispatch -------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const record: DriveRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      requestBytes: body.length,
      at: new Date(this.store.now()).toISOString(),
    };
    if (url.pathname.startsWith('/upload/')) record.uploadType = url.searchParams.get('uploadType') ?? undefined;
    const ctx: Ctx = { req, res, url, body, record };
    const isToken = url.pathname === '/token' || url.pathname === '/o/oauth2/token';
    (isToken ? this.tokenLog : this.apiLog).push(record);
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    try {
      if (isToken) return this.token(ctx);
      this.maybeFail(ctx);
      await this.route(ctx);
    } catch (err) {
      if (err instanceof DriveHttpError) {
        record.error = err.message;
        sendJson(ctx, err.status, err.body, err.headers);
        return;
      }
      throw err;
    }
  }

  private maybeFail(ctx: Ctx): void {
    const probe = { method: ctx.record.method, path: ctx.url.pathname };
    const rule = this.failures.find((f) => f.remaining > 0 && (!f.opts.match || f.opts.match(probe)));
    if (!rule) return;
    rule.remaining--;
    if (rule.remaining === 0) this.failures.splice(this.failures.indexOf(rule), 1);
    throw injectedFailure(rule.status, rule.opts.reason, rule.opts.message);
  }

  private async route(ctx: Ctx): Promise<void> {
    const { url } = ctx;
    const method = ctx.record.method;
    const path = url.pathname.replace(/\/+$/, '');
    const fileMatch = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);

    if (path === '/upload/drive/v3/files') {
      // A resumable session's PUTs carry upload_id instead of a token: the session URI is the credential.
      if (method === 'PUT' && url.searchParams.has('upload_id')) return this.resumablePut(ctx);
      this.authorize(ctx);
      if (method === 'POST') return this.upload(ctx);
    } else if (path === '/drive/v3/files') {
      this.authorize(ctx);
      if (method === 'GET') return this.list(ctx);
      if (method === 'POST') return this.createMetadataOnly(ctx);
    } else if (fileMatch) {
      this.authorize(ctx);
      const id = decodeURIComponent(fileMatch[1]);
      if (method === 'GET') return this.get(ctx, id);
      if (method === 'PATCH') return this.update(ctx, id);
      if (method === 'DELETE') return this.remove(ctx, id);
    }
    throw new DriveHttpError(404, 'notFound', 'Not Found', { detail: `no route for ${method} ${path}` });
  }

  private authorize(ctx: Ctx): void {
    if (!this.requireAuth) return;
    const header = ctx.req.headers.authorization;
    if (!header) throw loginRequired();
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const grant = m ? this.accessTokens.get(m[1]) : undefined;
    if (!grant || grant.expiresAt <= this.store.now()) throw invalidCredentials();
  }

  // ---- OAuth token endpoint ---------------------------------------------------------------

  // POST grant_type=refresh_token&client_id&client_secret&refresh_token (form-encoded), client
  // credentials also accepted as HTTP Basic. Errors follow RFC 6749 §5.2 as Google sends them:
  // invalid_grant is 400, invalid_client is 401.
  private token(ctx: Ctx): void {
    const fail = (status: number, error: string, description: string) => {
      ctx.record.error = `${error}: ${description}`;
      sendJson(ctx, status, { error, error_description: description });
    };
    if (ctx.record.method !== 'POST') return fail(405, 'invalid_request', 'Method not allowed.');
    const type = (ctx.req.headers['content-type'] ?? '').toLowerCase();
    const params: Record<string, string> = {};
    if (type.startsWith('application/json')) {
      try {
        for (const [k, v] of Object.entries(parseJsonObject(ctx.body, 'token request'))) params[k] = String(v);
      } catch {
        return fail(400, 'invalid_request', 'Invalid JSON payload.');
      }
    } else {
      for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) params[k] = v;
    }
    const basic = /^Basic\s+(\S+)$/i.exec(ctx.req.headers.authorization ?? '');
    if (basic) {
      const [id, ...secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      params.client_id ??= decodeURIComponent(id);
      params.client_secret ??= decodeURIComponent(secret.join(':'));
    }
    if (!params.grant_type) return fail(400, 'unsupported_grant_type', 'Invalid grant_type: ');
    if (params.grant_type !== 'refresh_token') {
      return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${params.grant_type}`);
    }
    if (!params.client_id) return fail(400, 'invalid_request', 'Could not determine client ID from request.');
    if (params.client_id !== this.clientId) return fail(401, 'invalid_client', 'The OAuth client was not found.');
    if (params.client_secret !== this.clientSecret) return fail(401, 'invalid_client', 'Unauthorized');
    if (!params.refresh_token) return fail(400, 'invalid_request', 'Missing required parameter: refresh_token');
    if (this.revoked.has(params.refresh_token)) return fail(400, 'invalid_grant', 'Token has been expired or revoked.');
    if (!this.refreshTokens.has(params.refresh_token)) return fail(400, 'invalid_grant', 'Bad Request');
    sendJson(
      ctx,
      200,
      { access_token: this.issueAccessToken(), expires_in: this.ttlSeconds, scope: this.scope, token_type: 'Bearer' },
      { 'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate', Pragma: 'no-cache' },
    );
  }

  // ---- files ----------------------------------------------------------------------------

  private selection(ctx: Ctx, schema: FieldSchema, fallback: string, override?: string): Selection {
    const spec = override ?? ctx.url.searchParams.get('fields') ?? fallback;
    try {
      const sel = parseFields(spec);
      validate(sel, schema);
      return sel;
    } catch (err) {
      if (err instanceof FieldSelectionError) {
        throw new DriveHttpError(400, 'invalidParameter', err.message, { location: 'fields', locationType: 'parameter' });
      }
      throw err;
    }
  }

  private respondFile(ctx: Ctx, file: StoredFile, fieldsOverride?: string): void {
    const sel = this.selection(ctx, FILE_SCHEMA, DEFAULT_FILE_FIELDS, fieldsOverride);
    sendJson(ctx, 200, applySelection(this.store.resource(file), sel));
  }

  private existing(id: string): StoredFile {
    const file = this.store.get(id);
    if (!file) throw notFound(id);
    return file;
  }

  private list(ctx: Ctx): void {
    const p = ctx.url.searchParams;
    const sel = this.selection(ctx, LIST_SCHEMA, DEFAULT_LIST_FIELDS);
    const q = p.get('q') ?? '';
    let node: QueryNode | undefined;
    try {
      node = q.trim() ? parseQuery(q) : undefined;
    } catch (err) {
      if (err instanceof QuerySyntaxError) throw invalidValue('q', err.message);
      throw err;
    }
    const pageSizeRaw = p.get('pageSize');
    const pageSize = pageSizeRaw === null ? 100 : Number(pageSizeRaw);
    // files.list: pageSize is 1..1000, default 100.
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw invalidValue('pageSize', `pageSize=${pageSizeRaw}`);
    const orderBy = p.get('orderBy') ?? '';
    const order = this.parseOrderBy(orderBy);

    const ctxQ = { rootFolderId: this.store.rootFolderId };
    const hits = this.store.all().filter((f) => !node || matches(node, f, ctxQ));
    hits.sort((a, b) => {
      for (const { key, desc } of order) {
        const c = this.compareBy(key, a, b);
        if (c !== 0) return desc ? -c : c;
      }
      return a.createdTime < b.createdTime ? -1 : a.createdTime > b.createdTime ? 1 : a.id < b.id ? -1 : 1;
    });

    // Page tokens are opaque to clients; this one carries the offset and the query it belongs to.
    let offset = 0;
    const token = p.get('pageToken');
    if (token) {
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; q?: unknown };
        if (typeof decoded.o !== 'number' || decoded.q !== q + '\u0000' + orderBy) throw new Error('mismatch');
        offset = decoded.o;
      } catch {
        throw invalidValue('pageToken', 'unknown or foreign page token');
      }
    }
    const page = hits.slice(offset, offset + pageSize);
    const out: Record<string, unknown> = {
      kind: 'drive#fileList',
      incompleteSearch: false,
      files: page.map((f) => this.store.resource(f)),
    };
    if (offset + pageSize < hits.length) {
      out.nextPageToken = Buffer.from(JSON.stringify({ o: offset + pageSize, q: q + '\u0000' + orderBy })).toString('base64url');
    }
    sendJson(ctx, 200, applySelection(out, sel));
  }

  private parseOrderBy(orderBy: string): { key: string; desc: boolean }[] {
    if (!orderBy.trim()) return [];
    return orderBy.split(',').map((part) => {
      const [key, dir, ...rest] = part.trim().split(/\s+/);
      if (!ORDER_KEYS.has(key) || (dir !== undefined && dir !== 'desc') || rest.length > 0) {
        throw invalidValue('orderBy', `unsupported orderBy '${part.trim()}'`);
      }
      return { key, desc: dir === 'desc' };
    });
  }

  private compareBy(key: string, a: StoredFile, b: StoredFile): number {
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    switch (key) {
      case 'folder':
        return (a.mimeType === FOLDER_MIME ? 0 : 1) - (b.mimeType === FOLDER_MIME ? 0 : 1);
      case 'name':
        return cmp(a.name, b.name);
      case 'name_natural':
        return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });
      case 'modifiedTime':
        return cmp(a.modifiedTime, b.modifiedTime);
      default:
        return cmp(a.createdTime, b.createdTime);
    }
  }

  private get(ctx: Ctx, id: string): void {
    const file = this.existing(id);
    if (ctx.url.searchParams.get('alt') === 'media') {
      if (!file.content) {
        throw new DriveHttpError(
          403,
          'fileNotDownloadable',
          'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
          { location: 'alt', locationType: 'parameter' },
        );
      }
      ctx.record.status = 200;
      ctx.res.writeHead(200, { 'Content-Type': file.mimeType, 'Content-Length': String(file.content.length) });
      ctx.res.end(file.content);
      return;
    }
    this.respondFile(ctx, file);
  }

  private remove(ctx: Ctx, id: string): void {
    this.existing(id);
    this.store.delete(id);
    sendEmpty(ctx, 204);
  }

  private checkParents(parents: unknown): string[] | undefined {
    if (parents === undefined) return undefined;
    if (!Array.isArray(parents) || !parents.every((p): p is string => typeof p === 'string')) {
      throw badRequest('Invalid value for parents.');
    }
    // Since 2020 a Drive item has exactly one parent.
    if (parents.length > 1) {
      throw new DriveHttpError(403, 'cannotAddParent', 'Increasing the number of parents is not allowed.');
    }
    for (const p of parents) {
      const parent = this.existing(p);
      if (parent.mimeType !== FOLDER_MIME) throw badRequest('The specified parent is not a folder.', `parent ${p} is ${parent.mimeType}`);
    }
    return parents;
  }

  private createFrom(metadata: Record<string, unknown>, content: Buffer | undefined, mediaType: string | undefined): StoredFile {
    const str = (k: string): string | undefined => {
      const v = metadata[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw badRequest(`Invalid value for ${k}.`);
      return v;
    };
    return this.store.create({
      name: str('name'),
      // The metadata's mimeType wins over the media part's Content-Type.
      mimeType: str('mimeType') ?? mediaType,
      parents: this.checkParents(metadata.parents),
      description: str('description'),
      appProperties: stringMap(metadata.appProperties, 'appProperties'),
      properties: stringMap(metadata.properties, 'properties'),
      content,
    });
  }

  private createMetadataOnly(ctx: Ctx): void {
    const file = this.createFrom(parseJsonObject(ctx.body, 'files.create'), undefined, undefined);
    this.respondFile(ctx, file);
  }

  private update(ctx: Ctx, id: string): void {
    const file = this.existing(id);
    const meta = parseJsonObject(ctx.body, 'files.update');
    if (typeof meta.name === 'string') file.name = meta.name;
    if (typeof meta.description === 'string') file.description = meta.description;
    if (typeof meta.trashed === 'boolean') this.store.setTrashed(file, meta.trashed);
    const app = stringMap(meta.appProperties, 'appProperties');
    if (app) file.appProperties = { ...file.appProperties, ...app };
    if (meta.parents !== undefined) {
      throw new DriveHttpError(403, 'fieldNotWritable', 'The resource body includes fields which are not directly writable.', {
        detail: 'use addParents/removeParents',
      });
    }
    const remove = (ctx.url.searchParams.get('removeParents') ?? '').split(',').filter(Boolean).map((p) => this.store.resolveId(p));
    const add = (ctx.url.searchParams.get('addParents') ?? '').split(',').filter(Boolean);
    if (remove.length > 0 || add.length > 0) {
      const next = file.parents.filter((p) => !remove.includes(p));
      for (const p of this.checkParents(add) ?? []) next.push(this.store.resolveId(p));
      if (next.length > 1) throw new DriveHttpError(403, 'cannotAddParent', 'Increasing the number of parents is not allowed.');
      file.parents = next;
    }
    file.modifiedTime = this.store.nowIso();
    this.respondFile(ctx, file);
  }

  // ---- uploads --------------------------------------------------------------------------

  private upload(ctx: Ctx): void {
    const uploadType = ctx.url.searchParams.get('uploadType');
    const contentType = ctx.req.headers['content-type'] ?? '';
    switch (uploadType) {
      case 'media': {
        // A simple upload: the body is the content, the Content-Type its type; no metadata.
        const file = this.createFrom({}, ctx.body, contentType.split(';')[0].trim() || undefined);
        return this.respondFile(ctx, file);
      }
      case 'multipart':
        return this.multipartUpload(ctx, contentType);
      case 'resumable':
        return this.resumableStart(ctx);
      default:
        throw invalidValue('uploadType', `uploadType=${uploadType ?? ''}`);
    }
  }

  // multipart/related (what googleapis sends): part 1 JSON metadata, part 2 the media.
  // multipart/form-data framed the same way is accepted too (the Python original sent that).
  private multipartUpload(ctx: Ctx, contentType: string): void {
    const malformed = (detail: string) => badRequest('Malformed multipart body.', detail);
    if (!/^multipart\/(related|form-data)\s*;/i.test(contentType)) throw malformed(`Content-Type is '${contentType}'`);
    const boundary = headerParam(contentType, 'boundary');
    if (!boundary) throw malformed('no boundary parameter');
    let parts;
    try {
      parts = parseMultipart(ctx.body, boundary);
    } catch (err) {
      if (err instanceof MultipartError) throw malformed(err.message);
      throw err;
    }
    if (parts.length < 1 || parts.length > 2) throw malformed(`${parts.length} parts`);
    const [metaPart, mediaPart] = parts;
    if (!/^application\/json/i.test(metaPart.headers['content-type'] ?? '')) {
      throw malformed(`first part is '${metaPart.headers['content-type'] ?? ''}', not application/json`);
    }
    const metadata = parseJsonObject(metaPart.body, 'multipart metadata');
    const mediaType = mediaPart?.headers['content-type']?.split(';')[0].trim();
    const file = this.createFrom(metadata, mediaPart?.body, mediaType);
    this.respondFile(ctx, file);
  }

  // Resumable, step 1: POST the metadata (X-Upload-Content-Type/-Length describe the media);
  // the answer is 200 with the session URI in Location.
  private resumableStart(ctx: Ctx): void {
    const metadata = parseJsonObject(ctx.body, 'resumable metadata');
    this.checkParents(metadata.parents);
    const lengthHeader = ctx.req.headers['x-upload-content-length'];
    const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
    if (declared !== undefined && (!Number.isInteger(declared) || declared < 0)) {
      throw badRequest('Invalid X-Upload-Content-Length header.');
    }
    const uploadId = `ABPtcP${crypto.randomBytes(24).toString('base64url')}`;
    const xType = ctx.req.headers['x-upload-content-type'];
    this.sessions.set(uploadId, {
      metadata,
      contentType: typeof xType === 'string' ? xType : undefined,
      declaredLength: declared,
      received: [],
      receivedBytes: 0,
      fields: ctx.url.searchParams.get('fields') ?? undefined,
    });
    const location = new URL('/upload/drive/v3/files', this.origin);
    for (const [k, v] of ctx.url.searchParams) if (k !== 'upload_id') location.searchParams.set(k, v);
    location.searchParams.set('upload_id', uploadId);
    sendEmpty(ctx, 200, { Location: location.href, 'X-GUploader-UploadID': uploadId });
  }

  // Resumable, step 2: PUT the bytes, whole or in chunks with Content-Range. Unfinished uploads
  // answer 308 Resume Incomplete with Range: bytes=0-LAST (none when nothing is stored yet);
  // `Content-Range: bytes */TOTAL` with an empty body asks for the status.
  private resumablePut(ctx: Ctx): void {
    const uploadId = ctx.url.searchParams.get('upload_id') ?? '';
    const session = this.sessions.get(uploadId);
    if (!session) throw new DriveHttpError(404, 'notFound', 'Upload session not found.', { detail: `upload_id ${uploadId}` });
    if (session.file) return this.respondFile(ctx, session.file, session.fields);

    const rangeHeader = ctx.req.headers['content-range'];
    let start = session.receivedBytes;
    let total: number | undefined;
    let isStatusQuery = false;
    if (rangeHeader === undefined) {
      total = session.receivedBytes + ctx.body.length;
    } else {
      const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(rangeHeader.trim());
      if (!m) throw badRequest('Invalid Content-Range header.', rangeHeader);
      total = m[3] === '*' ? undefined : Number(m[3]);
      if (m[1] === undefined) {
        isStatusQuery = true;
        if (ctx.body.length > 0) throw badRequest('Content-Range without a byte range must have an empty body.');
      } else {
        start = Number(m[1]);
        const end = Number(m[2]);
        if (end < start || end - start + 1 !== ctx.body.length) {
          throw badRequest('Content-Range does not match the request body length.', `${rangeHeader} vs ${ctx.body.length} bytes`);
        }
        if (total !== undefined && end >= total) throw badRequest('Content-Range end is past the total length.', rangeHeader);
      }
    }
    if (!isStatusQuery) {
      if (start > session.receivedBytes) {
        throw badRequest('Content-Range starts after the bytes received so far.', `start ${start}, have ${session.receivedBytes}`);
      }
      // A chunk may overlap what is already stored (a retried chunk): keep only the new bytes.
      const fresh = ctx.body.subarray(session.receivedBytes - start);
      session.received.push(Buffer.from(fresh));
      session.receivedBytes += fresh.length;
    }
    if (session.declaredLength !== undefined && total !== undefined && total !== session.declaredLength) {
      throw badRequest('The upload length does not match X-Upload-Content-Length.', `${total} vs ${session.declaredLength}`);
    }
    if (total !== undefined && session.receivedBytes >= total) {
      const content = Buffer.concat(session.received);
      const type = session.contentType ?? (ctx.req.headers['content-type'] || undefined);
      session.file = this.createFrom(session.metadata, content, type?.split(';')[0].trim());
      return this.respondFile(ctx, session.file, session.fields);
    }
    const headers: Record<string, string> = {};
    if (session.receivedBytes > 0) headers.Range = `bytes=0-${session.receivedBytes - 1}`;
    sendEmpty(ctx, 308, headers);
  }
}

