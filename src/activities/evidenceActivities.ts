import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { WebClient } from '@slack/web-api';
import type { drive_v3 } from 'googleapis';
import { creditCommits } from '../domain/evidence/credit';
import { s3KeyFor } from '../domain/evidence/keys';
import { driveFolderName, monthBefore, monthWindow } from '../domain/evidence/month';
import { evidenceFileName, groupEvidence, personSlug, renderEvidenceFile } from '../domain/evidence/render';
import { evidenceSummary } from '../domain/evidence/summary';
import type { CollectedCommit, EvidenceForge, Identity, Month } from '../domain/evidence/types';
import { RepoUnreadableError, type EvidenceReader } from '../evidence/readers/types';
import type { BuiltEvidence, EvidencePlan, EvidenceSettings, PersonEvidence, RepoRead } from '../evidence/types';
import { writeZip } from '../evidence/zip';

export interface EvidenceDeps {
  settings: EvidenceSettings;
  readers: Partial<Record<EvidenceForge, EvidenceReader>>;
  /** Where runs keep their files: `<dataDir>/evidence/<month>/<run id>/`. */
  dataDir: string;
  s3?: { client: S3Client; bucket: string };
  drive?: { client: drive_v3.Drive; rootUrl: string; parentFolderId: string };
  slack?: { client: WebClient };
}

export interface EvidenceActivities {
  evidencePlan(input: { month?: Month; scheduledAt?: string }): Promise<EvidencePlan>;
  collectRepository(input: { month: Month; repo: string; window: { since: string; until: string } }): Promise<RepoRead>;
  buildEvidence(input: { month: Month; reads: RepoRead[] }): Promise<BuiltEvidence>;
  uploadEvidenceToS3(input: { month: Month; person: PersonEvidence }): Promise<{ key: string }>;
  prepareDriveFolder(input: { month: Month }): Promise<{ folderId: string; replaced: number }>;
  uploadEvidenceToDrive(input: { month: Month; folderId: string; person: PersonEvidence }): Promise<{ fileId: string }>;
  postEvidenceSummary(input: { month: Month; channel: string; text: string }): Promise<{ posted: boolean }>;
  summariseEvidence(input: { month: Month; reads: RepoRead[]; built: BuiltEvidence }): Promise<{ channel: string; text: string }>;
  cleanEvidenceRun(input: { month: Month }): Promise<void>;
}

const FOLDER_MIME = 'application/vnd.google-apps.folder';
/** How often a reading activity journals its pages and heartbeats where it stands (ms). */
const CHECKPOINT_MS = 500;
/** Slack message metadata type of the summaries. */
const EVIDENCE_EVENT = 'shepherd_evidence_report';

/** Where a page reader stands: what the activity heartbeats, so a retry resumes at that page. */
interface ReadProgress {
  stage: 'commits' | 'approvals';
  cursor?: string;
  commitsBytes: number;
  approvalsBytes: number;
  commits: number;
  pages: number;
}

function runDir(dataDir: string, month: Month): string {
  // One folder per workflow run: a re-run of the month never reads an earlier run's pages.
  return path.join(dataDir, 'evidence', month, Context.current().info.workflowExecution?.runId ?? 'outside-a-workflow');
}

function repoStem(repo: string): string {
  return evidenceFileName(repo).replace(/\.txt$/, '');
}

interface Approval {
  sha: string;
  approvers: Identity[];
}

/**
 * The values a journal file holds in its first `bytes` bytes, and the file cut there: what a
 * killed attempt wrote after its last heartbeat is dropped, since that page is read again.
 * Undefined, and the file emptied, when it holds fewer bytes than that: the attempt runs on
 * another host, or the data-dir was cleared, so the reading starts over.
 */
async function readJournal<T>(file: string, bytes: number): Promise<T[] | undefined> {
  const handle = await fs.promises.open(file, 'a+');
  try {
    const { size } = await handle.stat();
    if (size < bytes) {
      await handle.truncate(0);
      return undefined;
    }
    await handle.truncate(bytes);
    if (bytes === 0) return [];
    const { buffer } = await handle.read({ buffer: Buffer.alloc(bytes), position: 0, length: bytes });
    return buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as T);
  } finally {
    await handle.close();
  }
}

/** Appends one JSON line per value to a journal that holds `bytes` bytes; returns its new size. */
async function appendLines(journal: fs.promises.FileHandle, bytes: number, values: readonly unknown[]): Promise<number> {
  if (!values.length) return bytes;
  const data = Buffer.from(values.map((v) => JSON.stringify(v) + '\n').join(''));
  await journal.write(data);
  return bytes + data.length;
}

export function createEvidenceActivities(deps: EvidenceDeps): EvidenceActivities {
  const { settings } = deps;
  const repoById = new Map(settings.repos.map((r) => [r.id, r]));

  return {
    async evidencePlan({ month, scheduledAt }) {
      // A scheduled run reports the month before its nominal start, in the configured zone, so a
      // late or backfilled run still reports the month it was meant for.
      const chosen = month ?? monthBefore(scheduledAt ?? new Date().toISOString(), settings.timeZone);
      return {
        month: chosen,
        window: monthWindow(chosen, settings.timeZone),
        repos: settings.repos.map((r) => r.id),
        concurrency: settings.concurrency,
        outputs: { s3: Boolean(deps.s3), drive: Boolean(deps.drive), slack: Boolean(deps.slack) },
      };
    },

    async collectRepository({ month, repo: id, window }) {
      const repo = repoById.get(id);
      if (!repo) throw ApplicationFailure.nonRetryable(`${id} is no longer in evidence-repos`, 'EvidenceRepoUnknown');
      const reader = deps.readers[repo.forge];
      if (!reader) throw ApplicationFailure.nonRetryable(`${id}: ${repo.forge} is not configured`, 'EvidenceForgeUnconfigured');
      const ctx = Context.current();
      const dir = runDir(deps.dataDir, month);
      await fs.promises.mkdir(dir, { recursive: true });
      const commitsFile = path.join(dir, `${repoStem(id)}.commits.jsonl`);
      const approvalsFile = path.join(dir, `${repoStem(id)}.approvals.jsonl`);
      const start: ReadProgress = { stage: 'commits', commitsBytes: 0, approvalsBytes: 0, commits: 0, pages: 0 };
      const resumed = ctx.info.heartbeatDetails as ReadProgress | undefined;
      let progress: ReadProgress = resumed ?? start;
      // The pages read are kept in memory for crediting, and journalled only so that a later
      // attempt (this worker killed, or the forge failing) resumes after the last checkpoint.
      let commits = await readJournal<CollectedCommit>(commitsFile, progress.commitsBytes);
      let approvals = await readJournal<Approval>(approvalsFile, progress.approvalsBytes);
      if (!commits || !approvals) {
        log.warn('evidence: the pages an earlier attempt read are not on this host; reading the repository from its first page', { repo: id, pages: progress.pages });
        progress = start;
        commits = (await readJournal<CollectedCommit>(commitsFile, 0)) ?? [];
        approvals = (await readJournal<Approval>(approvalsFile, 0)) ?? [];
      } else if (resumed) log.info('evidence: resuming a repository at its last page', { repo: id, stage: resumed.stage, pages: resumed.pages });
      const commitsJournal = await fs.promises.open(commitsFile, 'a');
      const approvalsJournal = await fs.promises.open(approvalsFile, 'a');
      let unjournalled = { commits: 0, approvals: 0 };
      let checkpointed = performance.now();
      // Writes the pages read since the last checkpoint and heartbeats where that leaves the
      // reading. Not after every page: a checkpoint costs about what parsing a page does.
      const checkpoint = async (): Promise<void> => {
        const commitsBytes = await appendLines(commitsJournal, progress.commitsBytes, commits.slice(commits.length - unjournalled.commits));
        const approvalsBytes = await appendLines(approvalsJournal, progress.approvalsBytes, approvals.slice(approvals.length - unjournalled.approvals));
        progress = { ...progress, commitsBytes, approvalsBytes, commits: commits.length };
        unjournalled = { commits: 0, approvals: 0 };
        checkpointed = performance.now();
        ctx.heartbeat(progress);
      };
      try {
        while (true) {
          const stage = progress.stage;
          if (stage === 'commits') {
            const page = await reader.commitsPage(repo, window, progress.cursor);
            commits.push(...page.commits);
            unjournalled.commits += page.commits.length;
            progress = { ...progress, pages: progress.pages + 1, ...(page.next ? { cursor: page.next } : { stage: 'approvals', cursor: undefined }) };
          } else {
            const page = await reader.approvalsPage(repo, window, progress.cursor);
            approvals.push(...page.approvals);
            unjournalled.approvals += page.approvals.length;
            progress = { ...progress, pages: progress.pages + 1, cursor: page.next };
            if (!page.next) break;
          }
          if (progress.stage !== stage || performance.now() - checkpointed >= CHECKPOINT_MS) await checkpoint();
        }
      } catch (e) {
        if (e instanceof RepoUnreadableError) {
          log.warn('evidence: repository not readable', { repo: id, reason: e.reason, error: e.message });
          return { repo: id, status: 'not-found', reason: e.message, commits: 0, pages: progress.pages };
        }
        // The next attempt starts at the page that failed, not at the last checkpoint.
        await checkpoint().catch(() => undefined);
        throw e;
      } finally {
        await commitsJournal.close();
        await approvalsJournal.close();
      }
      const { counted, unknown } = await writeRepositoryEvidence(dir, month, id, settings, commits, approvals);
      return { repo: id, status: 'read', commits: commits.length, pages: progress.pages, counted, unknown };
    },

    async buildEvidence({ month, reads }) {
      const dir = runDir(deps.dataDir, month);
      const read = reads.filter((r) => r.status === 'read');
      await fs.promises.mkdir(path.join(dir, 'zips'), { recursive: true });
      // Each reading activity wrote its repository's evidence, person after person; zip them per person.
      const people = await zipRepositoryEvidence(dir, read, settings);
      const unknown = mergeUnknown(read.flatMap((r) => r.unknown ?? []));
      return { people, commits: read.reduce((n, r) => n + (r.counted ?? 0), 0), unknown };
    },

    async uploadEvidenceToS3({ month, person }) {
      if (!deps.s3) throw ApplicationFailure.nonRetryable('evidence-s3-bucket is not configured', 'EvidenceS3Unconfigured');
      const key = s3KeyFor(settings.s3KeyTemplate, { person: person.slug, month });
      const file = path.join(runDir(deps.dataDir, month), 'zips', person.zip);
      // Streamed from disk; a re-run (or a retry) replaces the object with the same bytes.
      await deps.s3.client.send(
        new PutObjectCommand({
          Bucket: deps.s3.bucket,
          Key: key,
          Body: fs.createReadStream(file),
          ContentLength: person.bytes,
          ContentType: 'application/zip',
        }),
      );
      return { key };
    },

    async prepareDriveFolder({ month }) {
      const drive = requireDrive(deps);
      const name = driveFolderName(month);
      // The seed's re-run rule: the month's folder is made anew, so it holds this run's zips only.
      const existing = await listFiles(drive, `name = '${escapeQ(name)}' and '${escapeQ(drive.parentFolderId)}' in parents and mimeType = '${FOLDER_MIME}' and trashed = false`);
      for (const f of existing) {
        if (f.id) await drive.client.files.delete({ fileId: f.id, supportsAllDrives: true }, { rootUrl: drive.rootUrl });
      }
      const created = await drive.client.files.create(
        { requestBody: { name, mimeType: FOLDER_MIME, parents: [drive.parentFolderId] }, fields: 'id', supportsAllDrives: true },
        { rootUrl: drive.rootUrl },
      );
      if (!created.data.id) throw new Error('Google Drive created the folder without answering its id');
      return { folderId: created.data.id, replaced: existing.length };
    },

    async uploadEvidenceToDrive({ month, folderId, person }) {
      const drive = requireDrive(deps);
      const name = `${person.slug}_${driveFolderName(month)}.zip`;
      // A retry after an upload that succeeded finds the file instead of adding a second one.
      const [known] = await listFiles(drive, `name = '${escapeQ(name)}' and '${escapeQ(folderId)}' in parents and trashed = false`);
      if (known?.id) return { fileId: known.id };
      const file = path.join(runDir(deps.dataDir, month), 'zips', person.zip);
      const created = await drive.client.files.create(
        {
          requestBody: { name, parents: [folderId], mimeType: 'application/zip' },
          media: { mimeType: 'application/zip', body: fs.createReadStream(file) },
          fields: 'id',
          supportsAllDrives: true,
        },
        { rootUrl: drive.rootUrl },
      );
      if (!created.data.id) throw new Error('Google Drive stored the zip without answering its id');
      return { fileId: created.data.id };
    },

    async summariseEvidence({ month, reads, built }) {
      return evidenceSummary({
        month,
        people: built.people.length,
        commits: built.commits,
        reposRead: reads.filter((r) => r.status === 'read').map((r) => r.repo),
        reposNotFound: reads.filter((r) => r.status === 'not-found').map((r) => r.repo),
        unknown: built.unknown,
        channel: settings.slackChannel,
        alertChannel: settings.slackAlertChannel,
      });
    },

    async postEvidenceSummary({ channel, text }) {
      if (!deps.slack) {
        log.info('evidence: no evidence-slack-token, the summary is not posted', { channel });
        return { posted: false };
      }
      const { client } = deps.slack;
      const info = Context.current().info;
      // The run's id travels as message metadata: a retry whose first try Slack took (its answer
      // lost on the way) finds the message instead of posting it twice.
      const run = info.workflowExecution?.runId ?? 'outside-a-workflow';
      if (info.attempt > 1 && (await alreadyPosted(client, channel, run, info.scheduledTimestampMs))) return { posted: true };
      const answer = await client.chat.postMessage({
        channel,
        text,
        unfurl_links: false,
        mrkdwn: true,
        metadata: { event_type: EVIDENCE_EVENT, event_payload: { run } },
      });
      if (!answer.ok) throw new Error(`Slack refused the summary: ${answer.error ?? 'unknown error'}`);
      return { posted: true };
    },

    async cleanEvidenceRun({ month }) {
      await fs.promises.rm(runDir(deps.dataDir, month), { recursive: true, force: true });
    },
  };
}

/**
 * Whether this run's summary is in the channel already. A check that cannot be made (the token
 * lacks channels:read or channels:history) answers no: then the retry posts again.
 */
async function alreadyPosted(client: WebClient, channel: string, run: string, sinceMs: number): Promise<boolean> {
  try {
    let id = /^[CG][A-Z0-9]+$/.test(channel) ? channel : undefined;
    let cursor: string | undefined;
    while (!id) {
      const page = await client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 200, ...(cursor ? { cursor } : {}) });
      id = page.channels?.find((c) => c.name === channel.replace(/^#/, ''))?.id;
      cursor = page.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    if (!id) return false;
    const history = await client.conversations.history({ channel: id, oldest: String(Math.floor(sinceMs / 1000) - 3600), include_all_metadata: true, limit: 200 });
    return (history.messages ?? []).some((m) => {
      const metadata = (m as { metadata?: { event_type?: string; event_payload?: { run?: unknown } } }).metadata;
      return metadata?.event_type === EVIDENCE_EVENT && metadata.event_payload?.run === run;
    });
  } catch (e) {
    log.warn('evidence: cannot tell whether Slack has the summary already; posting it', { error: e instanceof Error ? e.message : String(e) });
    return false;
  }
}

/**
 * Credits one repository's commits of the month and writes each person's file of it (with a
 * count beside it), replacing what an earlier attempt wrote.
 */
async function writeRepositoryEvidence(
  dir: string,
  month: Month,
  repo: string,
  settings: EvidenceSettings,
  read: readonly CollectedCommit[],
  approvals: readonly Approval[],
): Promise<{ counted: number; unknown: string[] }> {
  const stem = repoStem(repo);
  const approvers = new Map<string, Identity[]>();
  for (const a of approvals) approvers.set(a.sha, [...(approvers.get(a.sha) ?? []), ...a.approvers]);
  const commits = read.map((c) => ({ ...c, approvers: approvers.get(c.sha) ?? [] }));
  const credited = creditCommits(commits, settings.people, { includeMerges: settings.includeMerges });
  // One file of the repository's evidence, person after person, and an index of where each
  // person's part lies: two files a repository rather than two a person.
  const chunks: Buffer[] = [];
  const index: EvidencePart[] = [];
  let offset = 0;
  for (const [name, byRepo] of groupEvidence(credited.entries)) {
    const person = settings.people.find((p) => p.name === name);
    const entries = byRepo.get(repo);
    if (!person || !entries) continue;
    const text = Buffer.from(renderEvidenceFile(person, repo, month, entries));
    chunks.push(text);
    index.push({ slug: personSlug(person), offset, bytes: text.length, entries: entries.length });
    offset += text.length;
  }
  const reposDir = path.join(dir, 'repos');
  await fs.promises.mkdir(reposDir, { recursive: true });
  await fs.promises.writeFile(path.join(reposDir, `${stem}.evidence`), Buffer.concat(chunks));
  // Written last: an index names only parts that are all on disk.
  await fs.promises.writeFile(path.join(reposDir, `${stem}.index.json`), JSON.stringify(index));
  return { counted: credited.commitsCounted, unknown: credited.unknown };
}

/** Where one person's file lies in a repository's evidence. */
interface EvidencePart {
  slug: string;
  offset: number;
  bytes: number;
  entries: number;
}

/** How many people's zips are built at once: each holds that person's files in memory. */
const ZIPS_AT_ONCE = 4;

/** One person's file of one repository: a slice of the repository's evidence, or a file of its own. */
type PersonPart = { repo: string; entries: number } & ({ offset: number; bytes: number } | { path: string });

/** Every person's zip from the repositories' evidence files: each part read once, at its offset. */
async function zipRepositoryEvidence(dir: string, read: readonly RepoRead[], settings: EvidenceSettings): Promise<PersonEvidence[]> {
  const slugs = new Map(settings.people.map((p) => [personSlug(p), p]));
  const bySlug = new Map<string, PersonPart[]>();
  const add = (slug: string, part: PersonPart): void => {
    let parts = bySlug.get(slug);
    if (!parts) bySlug.set(slug, (parts = []));
    parts.push(part);
  };
  const handles = new Map<string, fs.promises.FileHandle>();
  try {
    for (const r of read) {
      const stem = path.join(dir, 'repos', repoStem(r.repo));
      let index: EvidencePart[];
      try {
        index = JSON.parse(await fs.promises.readFile(`${stem}.index.json`, 'utf8')) as EvidencePart[];
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        for (const [slug, part] of await legacyParts(dir, r.repo, slugs)) add(slug, part);
        continue;
      }
      if (!index.length) continue;
      handles.set(r.repo, await fs.promises.open(`${stem}.evidence`, 'r'));
      for (const { slug, offset, bytes, entries } of index) if (slugs.has(slug)) add(slug, { repo: r.repo, offset, bytes, entries });
    }
    const slugOrder = [...bySlug.keys()].sort();
    const people: PersonEvidence[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < slugOrder.length) {
        const slug = slugOrder[next++];
        const parts = bySlug.get(slug) ?? [];
        const files = await Promise.all(
          parts.map(async (part) => {
            const name = evidenceFileName(part.repo);
            if ('path' in part) return { name, path: part.path };
            const data = Buffer.alloc(part.bytes);
            await handles.get(part.repo)!.read({ buffer: data, position: part.offset, length: part.bytes });
            return { name, data };
          }),
        );
        const zip = `${slug}.zip`;
        const { bytes, sha256 } = await writeZip(files, path.join(dir, 'zips', zip));
        people.push({ name: slugs.get(slug)!.name, slug, zip, bytes, sha256, entries: parts.reduce((n, p) => n + p.entries, 0) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(ZIPS_AT_ONCE, slugOrder.length) }, lane));
    return people.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  } finally {
    for (const handle of handles.values()) await handle.close();
  }
}

/**
 * A repository's parts as reading activities before the per-repository evidence files wrote
 * them (`people/<slug>/<repo>.txt`, its count in `.entries`): a run they began ends with them.
 */
async function legacyParts(dir: string, repo: string, slugs: ReadonlyMap<string, unknown>): Promise<Array<[string, PersonPart]>> {
  const name = evidenceFileName(repo);
  const parts: Array<[string, PersonPart]> = [];
  for (const slug of slugs.keys()) {
    const file = path.join(dir, 'people', slug, name);
    let entries: string;
    try {
      entries = await fs.promises.readFile(`${file.slice(0, -'.txt'.length)}.entries`, 'utf8');
    } catch {
      continue; // nothing of this person in that repository
    }
    parts.push([slug, { repo, entries: Number(entries), path: file }]);
  }
  return parts;
}

/** Unknown committers of all repositories: one each (by email when there is one), sorted. */
function mergeUnknown(all: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const u of all) {
    const key = (/<([^>]+)>/.exec(u)?.[1] ?? u).toLowerCase();
    if (!byKey.has(key)) byKey.set(key, u);
  }
  return [...byKey.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function requireDrive(deps: EvidenceDeps): NonNullable<EvidenceDeps['drive']> {
  if (!deps.drive) throw ApplicationFailure.nonRetryable('evidence-drive-folder is not configured', 'EvidenceDriveUnconfigured');
  return deps.drive;
}

/** Drive's query language quotes with '...' and escapes ' and \ with a backslash. */
function escapeQ(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

async function listFiles(drive: NonNullable<EvidenceDeps['drive']>, q: string): Promise<drive_v3.Schema$File[]> {
  const files: drive_v3.Schema$File[] = [];
  let pageToken: string | undefined;
  do {
    const { data } = await drive.client.files.list(
      { q, fields: 'nextPageToken, files(id, name, parents)', pageSize: 100, supportsAllDrives: true, includeItemsFromAllDrives: true, ...(pageToken ? { pageToken } : {}) },
      { rootUrl: drive.rootUrl },
    );
    files.push(...(data.files ?? []));
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return files;
}
