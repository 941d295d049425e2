// The fake Drive's file tree: ids, parents, content, trash and deletion rules.
import crypto from 'node:crypto';
import { FOLDER_MIME, type DriveFileResource, type DriveFileSnapshot, type StoredFile } from './types';

/** Drive ids are ~33 URL-safe characters; the exact format is opaque to clients. */
export function newId(): string {
  return `1${crypto.randomBytes(24).toString('base64url')}`;
}

/** Google-type files (folders, Docs, ...) have no binary content, size or md5Checksum. */
export const isGoogleType = (mimeType: string): boolean => mimeType.startsWith('application/vnd.google-apps.');

export class DriveStore {
  readonly rootFolderId = `0A${crypto.randomBytes(16).toString('base64url')}`;
  private readonly byId = new Map<string, StoredFile>();
  private clockOffsetMs = 0;
  private lastIso = '';

  constructor() {
    const t = this.nowIso();
    this.byId.set(this.rootFolderId, {
      id: this.rootFolderId,
      name: 'My Drive',
      mimeType: FOLDER_MIME,
      parents: [],
      trashed: false,
      explicitlyTrashed: false,
      createdTime: t,
      modifiedTime: t,
    });
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advance(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Strictly increasing timestamps, so "newest first" and time queries are deterministic. */
  nowIso(): string {
    let t = this.now();
    let iso = new Date(t).toISOString();
    while (iso <= this.lastIso) iso = new Date(++t).toISOString();
    this.lastIso = iso;
    return iso;
  }

  /** 'root' is Drive's alias for the root folder of My Drive. */
  resolveId(id: string): string {
    return id === 'root' ? this.rootFolderId : id;
  }

  get(id: string): StoredFile | undefined {
    return this.byId.get(this.resolveId(id));
  }

  all(): StoredFile[] {
    return [...this.byId.values()].filter((f) => f.id !== this.rootFolderId);
  }

  create(input: {
    name?: string;
    mimeType?: string;
    parents?: string[];
    description?: string;
    appProperties?: Record<string, string>;
    properties?: Record<string, string>;
    content?: Buffer;
    createdTime?: string;
  }): StoredFile {
    const t = input.createdTime ?? this.nowIso();
    // Without a type Drive stores the file as application/octet-stream.
    const mimeType = input.mimeType ?? 'application/octet-stream';
    const file: StoredFile = {
      id: newId(),
      // Drive names a file created without a name "Untitled".
      name: input.name ?? 'Untitled',
      mimeType,
      parents: (input.parents && input.parents.length > 0 ? input.parents : [this.rootFolderId]).map((p) => this.resolveId(p)),
      trashed: false,
      explicitlyTrashed: false,
      createdTime: t,
      modifiedTime: t,
    };
    if (input.description !== undefined) file.description = input.description;
    if (input.appProperties) file.appProperties = { ...input.appProperties };
    if (input.properties) file.properties = { ...input.properties };
    if (!isGoogleType(mimeType)) file.content = Buffer.from(input.content ?? Buffer.alloc(0));
    this.byId.set(file.id, file);
    return file;
  }

  children(folderId: string): StoredFile[] {
    const id = this.resolveId(folderId);
    return this.all().filter((f) => f.parents.includes(id));
  }

  private descendants(id: string): StoredFile[] {
    const out: StoredFile[] = [];
    const queue = [id];
    const seen = new Set<string>(queue);
    while (queue.length > 0) {
      const next = queue.shift() as string;
      for (const child of this.children(next)) {
        if (seen.has(child.id)) continue;
        seen.add(child.id);
        out.push(child);
        queue.push(child.id);
      }
    }
    return out;
  }

  /** files.delete skips the trash; a folder's descendants (owned by the user) go with it. */
  delete(id: string): void {
    const target = this.resolveId(id);
    for (const d of this.descendants(target)) this.byId.delete(d.id);
    this.byId.delete(target);
  }

  /** Trashing a folder trashes what is inside it too; only the target is explicitlyTrashed. */
  setTrashed(file: StoredFile, trashed: boolean): void {
    file.trashed = trashed;
    file.explicitlyTrashed = trashed;
    for (const d of this.descendants(file.id)) {
      if (!d.explicitlyTrashed) d.trashed = trashed;
    }
  }

  resource(file: StoredFile): DriveFileResource {
    const r: DriveFileResource = {
      kind: 'drive#file',
      id: file.id,
      name: file.name,
      mimeType: file.mimeType,
      parents: [...file.parents],
      trashed: file.trashed,
      explicitlyTrashed: file.explicitlyTrashed,
      createdTime: file.createdTime,
      modifiedTime: file.modifiedTime,
      webViewLink:
        file.mimeType === FOLDER_MIME
          ? `https://drive.google.com/drive/folders/${file.id}`
          : `https://drive.google.com/file/d/${file.id}/view?usp=drivesdk`,
    };
    if (file.description !== undefined) r.description = file.description;
    if (file.appProperties) r.appProperties = { ...file.appProperties };
    if (file.properties) r.properties = { ...file.properties };
    if (file.content) {
      r.size = String(file.content.length);
      r.md5Checksum = crypto.createHash('md5').update(file.content).digest('hex');
    }
    return r;
  }

  snapshot(file: StoredFile): DriveFileSnapshot {
    const s: DriveFileSnapshot = this.resource(file);
    if (file.content) s.content = Buffer.from(file.content);
    return s;
  }
}
