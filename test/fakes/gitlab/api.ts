// REST API v4: the endpoints a bot like Shepherd calls through @gitbeaker/rest, with GitLab's
// status codes and `{ message }` / `{ error }` bodies.
import express, { type NextFunction, type Request, type Response } from 'express';
import { DuplicateMergeRequestError, normalizeLabels, type Core } from './core';
import { commitInfo, listBranches, revParse } from './git';
import { mergeMr, mergeView } from './merge';
import { pageParams, paginate, setUncountedPageHeaders } from './pagination';
import { ApiError, bool, int, ints, required, str, strs } from './params';
import { logCommits } from './repositoryCommits';
import * as json from './serialize';
import { mayMergeInto, mayPushTo, mrPipelines } from './rules';
import type { GroupRec, MrRec, PipelineRec, ProjectRec, UserRec } from './store';
import { ACCESS_LEVEL } from './types';

function userOf(res: Response): UserRec {
  return res.locals.user as UserRec;
}

/** PRIVATE-TOKEN or `Authorization: Bearer`, like GitLab's personal access tokens. */
function tokenOf(req: Request): string | undefined {
  const header = req.get('private-token');
  if (header) return header;
  const auth = req.get('authorization');
  return auth?.match(/^Bearer\s+(.+)$/i)?.[1];
}

/** What a GitLab behind a load balancer answers when it is down or throttling. */
function outage(res: Response, status: number): void {
  if (status === 429) {
    // Rack::Attack's throttle answer.
    res.status(429).set('Retry-After', '60').type('text/plain').send('Retry later\n');
  } else if (status >= 500) {
    res.status(status).type('text/html').send(`<!DOCTYPE html><html><body><h1>${status}</h1></body></html>\n`);
  } else {
    res.status(status).json({ message: String(status) });
  }
}

export function apiRouter(core: Core): express.Router {
  const r = express.Router();
  // Before anything else: every request is logged, and outages a test asked for come first.
  r.use((req, res, next) => {
    const receivedAt = Date.now();
    res.on('finish', () => core.apiRequests.push({ method: req.method, path: req.path, status: res.statusCode, receivedAt }));
    const f = core.requestFailures[0];
    if (f && (!f.method || f.method === req.method) && (!f.path || f.path.test(req.path))) {
      if (--f.remaining <= 0) core.requestFailures.shift();
      if (f.status === 'stall') return; // never answered: the client's timeout has to end it
      return outage(res, f.status);
    }
    next();
  });
  r.use(express.json({ limit: '10mb' }));
  r.use(express.urlencoded({ extended: true }));

  r.use((req, res, next) => {
    const user = core.store.userByToken(tokenOf(req) ?? '');
    if (!user) throw new ApiError(401, '401 Unauthorized');
    res.locals.user = user;
    // Impersonation: the `Sudo` header (or `sudo` parameter) names a user by id or username.
    // GitLab honours it only for admins (and only with a token that has the sudo scope).
    const sudo = req.get('sudo') ?? str(req, 'sudo');
    if (sudo !== undefined && sudo !== '') {
      if (!user.admin) throw new ApiError(403, '403 Forbidden - Must be admin to use sudo');
      const target = /^\d+$/.test(sudo)
        ? core.store.userById(Number(sudo))
        : [...core.store.users.values()].find((u) => u.username.toLowerCase() === sudo.toLowerCase());
      if (!target) throw new ApiError(404, `404 User with ID or username '${sudo}' Not Found`);
      core.sudoRequests.push({ admin: user.username, as: target.username, method: req.method, path: req.path });
      res.locals.user = target;
    }
    next();
  });

  // Private projects: people without access get 404, not 403, so names do not leak.
  const loadProject = (req: Request, res: Response, minLevel: number = ACCESS_LEVEL.guest): ProjectRec => {
    const p = core.store.projectByRef(String(req.params.id));
    const u = userOf(res);
    if (!p || core.accessLevel(p, u) < ACCESS_LEVEL.guest) throw new ApiError(404, '404 Project Not Found');
    if (core.accessLevel(p, u) < minLevel) throw new ApiError(403, '403 Forbidden');
    return p;
  };
  const loadMr = (p: ProjectRec, req: Request): MrRec => {
    const mr = core.store.mr(p.id, Number(req.params.iid));
    if (!mr) throw new ApiError(404, '404 Not found');
    return mr;
  };
  const mrJson = async (
    p: ProjectRec,
    mr: MrRec,
    viewer: UserRec,
    opts: json.MrJsonOptions = {},
  ): Promise<Record<string, unknown>> => json.mergeRequest(core, p, mr, await mergeView(core, p, mr), viewer, opts);
  const reporter = ACCESS_LEVEL.reporter;
  // GitLab drops assignees who cannot see the project instead of failing the request.
  const validAssignees = (p: ProjectRec, ids: number[]): number[] =>
    ids.filter((id) => {
      const u = core.store.userById(id);
      return u !== undefined && core.accessLevel(p, u) >= ACCESS_LEVEL.reporter;
    });

  // --- users ------------------------------------------------------------------------------

  r.get('/user', (_req, res) => {
    res.json(json.currentUser(core, userOf(res)));
  });

  r.get('/users', (req, res) => {
    const username = str(req, 'username')?.toLowerCase();
    const search = str(req, 'search')?.toLowerCase();
    const all = [...core.store.users.values()].filter(
      (u) =>
        (username === undefined || u.username.toLowerCase() === username) &&
        (search === undefined || u.username.toLowerCase().includes(search) || u.name.toLowerCase().includes(search)),
    );
    res.json(paginate(req, res, core.baseUrl, all).map((u) => json.basicUser(core, u)));
  });

  r.get('/users/:uid', (req, res) => {
    const u = core.store.userById(Number(req.params.uid));
    if (!u) throw new ApiError(404, '404 User Not Found');
    res.json(json.user(core, u, userOf(res)));
  });

  // --- projects ---------------------------------------------------------------------------

  // GET /projects: the projects the caller can see, newest first. `membership=true` keeps those
  // they are a member of, `min_access_level` those where their own role is at least that.
  r.get('/projects', (req, res) => {
    const viewer = userOf(res);
    const membership = bool(req, 'membership') ?? false;
    const minLevel = int(req, 'min_access_level');
    const role = (p: ProjectRec): number => p.members.get(viewer.id) ?? 0;
    const list = [...core.store.projects.values()]
      .filter((p) => (membership || minLevel !== undefined ? role(p) > 0 : viewer.admin || core.accessLevel(p, viewer) >= reporter))
      .filter((p) => minLevel === undefined || role(p) >= minLevel)
      .sort((a, b) => b.id - a.id);
    res.json(paginate(req, res, core.baseUrl, list).map((p) => json.project(core, p, viewer)));
  });

  r.get('/projects/:id', (req, res) => {
    res.json(json.project(core, loadProject(req, res), userOf(res)));
  });

  // --- groups (enough for protected branch rules that name a group) -----------------------

  const loadGroup = (req: Request): GroupRec => {
    const ref = String(req.params.id);
    const g = /^\d+$/.test(ref) ? core.store.groups.get(Number(ref)) : core.store.groupByPath(ref);
    if (!g) throw new ApiError(404, '404 Group Not Found');
    return g;
  };
  r.get('/groups/:id', (req, res) => {
    const g = loadGroup(req);
    res.json({ id: g.id, name: g.name, path: g.path, full_path: g.path, visibility: 'private' });
  });
  const showGroupMember = (req: Request, res: Response): void => {
    const g = loadGroup(req);
    const id = Number(req.params.uid);
    const level = g.members.get(id);
    const u = core.store.userById(id);
    if (level === undefined || !u) throw new ApiError(404, '404 Member Not Found');
    res.json(json.member(core, u, level));
  };
  r.get('/groups/:id/members/:uid', showGroupMember);
  r.get('/groups/:id/members/all/:uid', showGroupMember);

  const listMembers = (req: Request, res: Response): void => {
    const p = loadProject(req, res);
    const query = str(req, 'query')?.toLowerCase();
    const members = [...p.members.entries()]
      .map(([id, level]) => ({ u: core.store.userById(id), level }))
      .filter((m): m is { u: UserRec; level: number } => m.u !== undefined)
      .filter(({ u }) => !query || u.username.toLowerCase().includes(query) || u.name.toLowerCase().includes(query));
    res.json(paginate(req, res, core.baseUrl, members).map(({ u, level }) => json.member(core, u, level)));
  };
  const showMember = (req: Request, res: Response): void => {
    const p = loadProject(req, res);
    const id = Number(req.params.uid);
    const level = p.members.get(id);
    const u = core.store.userById(id);
    if (level === undefined || !u) throw new ApiError(404, '404 Member Not Found');
    res.json(json.member(core, u, level));
  };
  r.get('/projects/:id/members', listMembers);
  r.get('/projects/:id/members/all', listMembers);
  r.get('/projects/:id/members/:uid', showMember);
  r.get('/projects/:id/members/all/:uid', showMember);

  // --- repository -------------------------------------------------------------------------

  r.get('/projects/:id/repository/branches', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const search = str(req, 'search');
    const names = [...(await listBranches(p.repoDir)).entries()]
      .filter(([name]) => !search || name.includes(search))
      .sort(([a], [b]) => a.localeCompare(b));
    const page = paginate(req, res, core.baseUrl, names);
    const out = [];
    for (const [name, sha] of page) out.push(json.branch(core, p, name, await commitInfo(p.repoDir, sha), userOf(res)));
    res.json(out);
  });

  r.get('/projects/:id/repository/branches/:branch', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const name = String(req.params.branch);
    const sha = await revParse(p.repoDir, `refs/heads/${name}`);
    if (!sha) throw new ApiError(404, '404 Branch Not Found');
    res.json(json.branch(core, p, name, await commitInfo(p.repoDir, sha), userOf(res)));
  });

  // GET .../repository/commits: `git log` of ref_name (default branch) or, with all=true, of
  // every ref; since/until compare the committer date, inclusive. GitLab does not count this
  // list: no X-Total headers, and a full page always links a next one (which may be empty).
  r.get('/projects/:id/repository/commits', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const date = (name: string): Date | undefined => {
      const raw = str(req, name);
      if (raw === undefined || raw === '') return undefined;
      const d = new Date(raw);
      if (Number.isNaN(d.getTime())) throw new ApiError(400, `${name} is invalid`, 'error');
      return d;
    };
    const order = str(req, 'order') ?? 'default';
    if (order !== 'default' && order !== 'topo') throw new ApiError(400, 'order does not have a valid value', 'error');
    const ref = str(req, 'ref_name') || p.defaultBranch;
    if (ref.startsWith('-')) throw new ApiError(400, 'ref_name is invalid');
    const { page, perPage } = pageParams(req, core.baseUrl);
    const commits = await logCommits(p.repoDir, {
      ref,
      all: bool(req, 'all') ?? false,
      since: date('since'),
      until: date('until'),
      path: str(req, 'path'),
      author: str(req, 'author'),
      firstParent: bool(req, 'first_parent') ?? false,
      order,
      skip: (page - 1) * perPage,
      maxCount: perPage,
    });
    setUncountedPageHeaders(req, res, core.baseUrl, commits.length);
    res.json(commits.map((c) => json.repositoryCommit(core, p, c)));
  });

  r.get('/projects/:id/repository/commits/:sha', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const sha = await revParse(p.repoDir, String(req.params.sha));
    if (!sha) throw new ApiError(404, '404 Commit Not Found');
    res.json(json.commit(core, p, await commitInfo(p.repoDir, sha)));
  });

  // --- merge requests ---------------------------------------------------------------------

  /** The filters and order both MR list endpoints share. */
  const filterMrs = (req: Request, mrs: MrRec[]): MrRec[] => {
    const state = str(req, 'state') ?? 'all';
    const assigneeUsername = str(req, 'assignee_username');
    const assigneeId = str(req, 'assignee_id');
    const authorUsername = str(req, 'author_username');
    const authorId = int(req, 'author_id');
    const target = str(req, 'target_branch');
    const source = str(req, 'source_branch');
    const iids = ints(req, 'iids');
    const labels = strs(req, 'labels');
    const orderBy = str(req, 'order_by') === 'updated_at' ? 'updatedAt' : 'createdAt';
    const asc = str(req, 'sort') === 'asc';
    // GitLab's created_/updated_after and _before (ISO 8601): on or after, on or before.
    const times = (['created_after', 'created_before', 'updated_after', 'updated_before'] as const).map((key) => {
      const value = str(req, key);
      if (value === undefined) return undefined;
      const at = Date.parse(value);
      if (Number.isNaN(at)) throw new ApiError(400, `${key} is invalid`);
      return { field: key.startsWith('created') ? ('createdAt' as const) : ('updatedAt' as const), after: key.endsWith('after'), at };
    });
    const inTimes = (mr: MrRec): boolean =>
      times.every((t) => t === undefined || (t.after ? Date.parse(mr[t.field]) >= t.at : Date.parse(mr[t.field]) <= t.at));
    const byUsername = (name: string): number | undefined =>
      [...core.store.users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase())?.id;
    return mrs
      .filter((mr) => state === 'all' || mr.state === state)
      .filter((mr) => !target || mr.targetBranch === target)
      .filter((mr) => !source || mr.sourceBranch === source)
      .filter((mr) => !iids || iids.length === 0 || iids.includes(mr.iid))
      .filter(inTimes)
      .filter((mr) => !authorUsername || mr.authorId === byUsername(authorUsername))
      .filter((mr) => authorId === undefined || mr.authorId === authorId)
      .filter((mr) => {
        if (!labels || labels.length === 0) return true;
        const first = labels[0].toLowerCase();
        if (labels.length === 1 && first === 'none') return mr.labels.length === 0;
        if (labels.length === 1 && first === 'any') return mr.labels.length > 0;
        return labels.every((l) => mr.labels.includes(l));
      })
      .filter((mr) => {
        if (assigneeUsername !== undefined) {
          const id = byUsername(assigneeUsername);
          return id !== undefined && mr.assigneeIds.includes(id);
        }
        if (assigneeId === undefined) return true;
        if (assigneeId.toLowerCase() === 'none') return mr.assigneeIds.length === 0;
        if (assigneeId.toLowerCase() === 'any') return mr.assigneeIds.length > 0;
        return mr.assigneeIds.includes(Number(assigneeId));
      })
      .sort((a, b) => (a[orderBy] === b[orderBy] ? a.id - b.id : a[orderBy] < b[orderBy] ? -1 : 1) * (asc ? 1 : -1));
  };
  const listJson = async (req: Request, res: Response, list: MrRec[]): Promise<Array<Record<string, unknown>>> => {
    const opts = { list: true, labelDetails: bool(req, 'with_labels_details') ?? false };
    const out = [];
    for (const mr of paginate(req, res, core.baseUrl, list)) {
      const p = core.store.projects.get(mr.projectId) as ProjectRec;
      out.push(await mrJson(p, mr, userOf(res), opts));
    }
    return out;
  };

  // GET .../repository/commits/:sha/merge_requests: this project's MRs the commit belongs to
  // (MergeRequestsFinder's commit_sha): in the MR's commits, or its merge, squash or merged
  // commit. Newest first; `state` filters.
  r.get('/projects/:id/repository/commits/:sha/merge_requests', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const sha = await revParse(p.repoDir, String(req.params.sha));
    if (!sha) throw new ApiError(404, '404 Commit Not Found');
    const state = str(req, 'state');
    const related: MrRec[] = [];
    for (const mr of core.store.mrsOf(p.id)) {
      if (state && state !== 'all' && mr.state !== state) continue;
      const made = [mr.mergeCommitSha, mr.squashCommitSha, mr.mergedCommitSha].includes(sha);
      if (made || (await core.mrCommits(p, mr)).some((c) => c.sha === sha)) related.push(mr);
    }
    related.sort((a, b) => (a.createdAt === b.createdAt ? b.id - a.id : a.createdAt < b.createdAt ? 1 : -1));
    res.json(await listJson(req, res, related));
  });

  // GET /merge_requests: across every project the caller can see. GitLab's default scope is
  // created_by_me; a bot looking for its assignments passes scope=all (or assigned_to_me).
  r.get('/merge_requests', async (req, res) => {
    const viewer = userOf(res);
    const scope = str(req, 'scope') ?? 'created_by_me';
    if (!['created_by_me', 'assigned_to_me', 'all'].includes(scope)) {
      throw new ApiError(400, 'scope does not have a valid value', 'error');
    }
    const visible = new Set(
      [...core.store.projects.values()].filter((p) => core.accessLevel(p, viewer) >= reporter).map((p) => p.id),
    );
    const mrs = core.store.mrs
      .filter((mr) => visible.has(mr.projectId))
      .filter((mr) => scope !== 'created_by_me' || mr.authorId === viewer.id)
      .filter((mr) => scope !== 'assigned_to_me' || mr.assigneeIds.includes(viewer.id));
    res.json(await listJson(req, res, filterMrs(req, mrs)));
  });

  r.get('/projects/:id/merge_requests', async (req, res) => {
    const p = loadProject(req, res, reporter);
    res.json(await listJson(req, res, filterMrs(req, core.store.mrsOf(p.id))));
  });

  // Called on the source project; a fork MR names its target with target_project_id, as on GitLab.
  r.post('/projects/:id/merge_requests', async (req, res) => {
    const source = loadProject(req, res, ACCESS_LEVEL.developer);
    const targetId = int(req, 'target_project_id');
    const target = targetId === undefined || targetId === source.id ? source : core.store.projects.get(targetId);
    if (!target || core.accessLevel(target, userOf(res)) < ACCESS_LEVEL.guest) {
      throw new ApiError(404, '404 Project Not Found');
    }
    if (target !== source && !isForkOf(source, target)) {
      throw new ApiError(422, 'Source project is not a fork of the target project');
    }
    const sourceBranch = required(req, 'source_branch');
    const targetBranch = required(req, 'target_branch');
    const title = required(req, 'title');
    // The model's validations answer 422 with the message as a list (errors on branch_conflict
    // and base), a duplicate open MR 409 (validate_branches), as GitLab's API does.
    if (source === target && sourceBranch === targetBranch) {
      throw new ApiError(422, "You can't use same project/branch for source and target", 'message', true);
    }
    const head = await revParse(source.repoDir, `refs/heads/${sourceBranch}`);
    if (!head) throw new ApiError(422, `Source branch "${sourceBranch}" does not exist`, 'message', true);
    if (!(await revParse(target.repoDir, `refs/heads/${targetBranch}`)))
      throw new ApiError(422, `Target branch "${targetBranch}" does not exist`, 'message', true);
    const assigneeIds =
      ints(req, 'assignee_ids') ?? (int(req, 'assignee_id') ? [int(req, 'assignee_id') as number] : []);
    core.rememberCommit(await commitInfo(source.repoDir, head));
    let mr: MrRec;
    try {
      mr = core.createMr(target, {
        source,
        allowCollaboration: bool(req, 'allow_collaboration') ?? bool(req, 'allow_maintainer_to_push') ?? false,
        sourceBranch,
        targetBranch,
        title,
        description: str(req, 'description') ?? '',
        author: userOf(res),
        assigneeIds: validAssignees(target, assigneeIds),
        squash: bool(req, 'squash') ?? false,
        headSha: head,
        labels: strs(req, 'labels') ?? [],
      });
    } catch (e) {
      if (e instanceof DuplicateMergeRequestError) throw new ApiError(409, e.message, 'message', true);
      throw e;
    }
    res.status(201).json(await mrJson(target, mr, userOf(res)));
  });

  // GET .../commits: the commits of the MR's latest diff, newest first (Entities::Commit), kept
  // as they were once the MR is merged, also when the merge squashed or rebased them.
  r.get('/projects/:id/merge_requests/:iid/commits', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const commits = await core.mrCommits(p, mr);
    res.json(paginate(req, res, core.baseUrl, commits).map((c) => json.commit(core, p, c)));
  });

  r.get('/projects/:id/merge_requests/:iid', async (req, res) => {
    const p = loadProject(req, res, reporter);
    res.json(
      await mrJson(p, loadMr(p, req), userOf(res), {
        includeRebaseInProgress: bool(req, 'include_rebase_in_progress') ?? false,
      }),
    );
  });

  r.put('/projects/:id/merge_requests/:iid', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const user = userOf(res);
    if (core.accessLevel(p, user) < ACCESS_LEVEL.developer && mr.authorId !== user.id) {
      throw new ApiError(403, '403 Forbidden');
    }
    const stateEvent = str(req, 'state_event');
    if (stateEvent !== undefined && stateEvent !== 'close' && stateEvent !== 'reopen') {
      throw new ApiError(400, 'state_event does not have a valid value', 'error');
    }
    // `labels` replaces the set; add_labels/remove_labels edit it (GitLab applies both).
    let labels = strs(req, 'labels');
    const addLabels = strs(req, 'add_labels');
    const removeLabels = strs(req, 'remove_labels');
    if (addLabels || removeLabels) {
      labels = [...(labels ?? mr.labels), ...(addLabels ?? [])].filter((l) => !(removeLabels ?? []).includes(l));
    }
    let assigneeIds = ints(req, 'assignee_ids');
    const single = int(req, 'assignee_id');
    if (assigneeIds === undefined && single !== undefined) assigneeIds = single === 0 ? [] : [single];
    const allowCollaboration = bool(req, 'allow_collaboration') ?? bool(req, 'allow_maintainer_to_push');
    // GitLab keeps the flag only where it means something: MRs from forks.
    if (allowCollaboration !== undefined && mr.sourceProjectId !== p.id) mr.allowCollaboration = allowCollaboration;
    core.updateMr(p, mr, user, {
      title: str(req, 'title'),
      description: str(req, 'description'),
      assigneeIds:
        assigneeIds === undefined
          ? undefined
          : validAssignees(
              p,
              assigneeIds.filter((id) => id !== 0),
            ),
      squash: bool(req, 'squash'),
      targetBranch: str(req, 'target_branch'),
      stateEvent,
      labels: labels === undefined ? undefined : normalizeLabels(labels),
    });
    res.json(await mrJson(p, mr, user));
  });

  // POST .../approve. Order as in GitLab: may approve at all (403), the sha guard (409), then
  // "can approve now" (401: already approved, or the author while authors may not approve).
  r.post('/projects/:id/merge_requests/:iid/approve', (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const user = userOf(res);
    if (core.accessLevel(p, user) < ACCESS_LEVEL.developer) throw new ApiError(403, '403 Forbidden');
    const sha = str(req, 'sha');
    if (sha !== undefined && sha !== mr.headSha) {
      throw new ApiError(409, `SHA does not match HEAD of source branch: ${mr.headSha}`);
    }
    if (mr.state !== 'opened' || mr.approverIds.includes(user.id) || mr.authorId === user.id) {
      throw new ApiError(401, '401 Unauthorized');
    }
    core.approve(p, mr, user);
    res.status(201).json(json.approvals(core, p, mr, user));
  });

  r.post('/projects/:id/merge_requests/:iid/unapprove', (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const user = userOf(res);
    if (!mr.approverIds.includes(user.id)) throw new ApiError(404, '404 Not Found');
    core.unapprove(p, mr, user);
    res.status(201).json(json.approvals(core, p, mr, user));
  });

  // PUT .../rebase: GitLab queues the rebase and answers 202 at once; poll GET with
  // include_rebase_in_progress=true, then read merge_error.
  r.put('/projects/:id/merge_requests/:iid/rebase', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const user = userOf(res);
    const source = core.store.projects.get(mr.sourceProjectId) ?? p;
    if (!(await revParse(source.repoDir, `refs/heads/${mr.sourceBranch}`))) {
      throw new ApiError(403, '403 Forbidden - Source branch does not exist');
    }
    if (!mayPushTo(core.store, source, user, mr.sourceBranch)) {
      throw new ApiError(403, '403 Forbidden - Cannot push to source branch');
    }
    if (mr.state !== 'opened' || mr.rebaseInProgress) {
      throw new ApiError(
        409,
        'Failed to enqueue the rebase operation, possibly due to a long-lived transaction. Try again later.',
      );
    }
    mr.mergeError = null;
    core.requestRebase(p, mr, user);
    res.status(202).json({ rebase_in_progress: true });
  });

  r.get('/projects/:id/merge_requests/:iid/approvals', (req, res) => {
    const p = loadProject(req, res, reporter);
    res.json(json.approvals(core, p, loadMr(p, req), userOf(res)));
  });

  r.get('/projects/:id/merge_requests/:iid/approval_state', (req, res) => {
    const p = loadProject(req, res, reporter);
    res.json(json.approvalState(core, p, loadMr(p, req)));
  });

  r.get('/projects/:id/merge_requests/:iid/notes', (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    // GitLab's default is newest first.
    const asc = str(req, 'sort') === 'asc';
    const key = str(req, 'order_by') === 'updated_at' ? 'updatedAt' : 'createdAt';
    const notes = core.store
      .notesOf(mr)
      .sort((a, b) => (a[key] === b[key] ? a.id - b.id : a[key] < b[key] ? -1 : 1) * (asc ? 1 : -1));
    res.json(paginate(req, res, core.baseUrl, notes).map((n) => json.note(core, p, mr, n)));
  });

  r.post('/projects/:id/merge_requests/:iid/notes', (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const note = core.addNote(p, mr, userOf(res), required(req, 'body'));
    res.status(201).json(json.note(core, p, mr, note));
  });

  r.get('/projects/:id/merge_requests/:iid/discussions', (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    res.json(paginate(req, res, core.baseUrl, mr.discussions).map((d) => json.discussion(core, p, mr, d)));
  });

  r.put('/projects/:id/merge_requests/:iid/discussions/:did', (req, res) => {
    const p = loadProject(req, res, ACCESS_LEVEL.developer);
    const mr = loadMr(p, req);
    const resolved = bool(req, 'resolved');
    if (resolved === undefined) throw new ApiError(400, 'resolved is missing', 'error');
    const d = mr.discussions.find((x) => x.id === req.params.did);
    if (!d) throw new ApiError(404, '404 Not found');
    if (!core.resolveDiscussion(mr, d.id, userOf(res), resolved))
      throw new ApiError(400, 'Discussion is not resolvable');
    res.json(json.discussion(core, p, mr, d));
  });

  r.get('/projects/:id/merge_requests/:iid/pipelines', (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const list = mrPipelines(core.store, mr);
    res.json(
      paginate(req, res, core.baseUrl, list).map((pl) => json.pipeline(core, core.store.projects.get(pl.projectId) ?? p, pl)),
    );
  });

  r.put('/projects/:id/merge_requests/:iid/merge', async (req, res) => {
    const p = loadProject(req, res, reporter);
    const mr = loadMr(p, req);
    const user = userOf(res);
    const outcome = await core.withLock(p, () =>
      mergeMr(core, p, mr, user, {
        sha: str(req, 'sha'),
        squash: bool(req, 'squash'),
        removeSourceBranch: bool(req, 'should_remove_source_branch'),
        mergeCommitMessage: str(req, 'merge_commit_message'),
        squashCommitMessage: str(req, 'squash_commit_message'),
      }),
    );
    if (!outcome.ok) throw new ApiError(outcome.status, outcome.message);
    const answered = outcome.onAnswered;
    if (answered) res.on('finish', answered);
    res.json(await mrJson(p, mr, user));
  });

  // --- protected branches -----------------------------------------------------------------

  // Exact names only, as GitLab: a wildcard rule is found under its own name (`release/*`).
  // Readable by whoever reads code, as in current GitLab (older versions: maintainers only).
  r.get('/projects/:id/protected_branches', (req, res) => {
    const p = loadProject(req, res, reporter);
    const search = str(req, 'search');
    const rules = p.protectedBranches.filter((b) => !search || b.name.includes(search));
    res.json(paginate(req, res, core.baseUrl, rules).map((b) => json.protectedBranch(core, b)));
  });

  r.get('/projects/:id/protected_branches/:name', (req, res) => {
    const p = loadProject(req, res, reporter);
    const rule = p.protectedBranches.find((b) => b.name === String(req.params.name));
    if (!rule) throw new ApiError(404, '404 Not found');
    res.json(json.protectedBranch(core, rule));
  });

  // --- pipelines --------------------------------------------------------------------------

  r.get('/projects/:id/pipelines', (req, res) => {
    const p = loadProject(req, res, reporter);
    const sha = str(req, 'sha');
    const ref = str(req, 'ref');
    const status = str(req, 'status');
    const source = str(req, 'source');
    const asc = str(req, 'sort') === 'asc';
    const sourceOf = (kind: string): string => (kind === 'branch' ? 'push' : 'merge_request_event');
    const list = core.store
      .pipelinesOf(p.id)
      .filter((pl) => (!sha || pl.sha === sha) && (!ref || pl.ref === ref) && (!status || pl.status === status))
      .filter((pl) => !source || sourceOf(pl.kind) === source)
      .sort((a, b) => (asc ? a.id - b.id : b.id - a.id));
    res.json(paginate(req, res, core.baseUrl, list).map((pl) => json.pipeline(core, p, pl)));
  });

  r.get('/projects/:id/pipelines/:pid', (req, res) => {
    const p = loadProject(req, res, reporter);
    const pl = core.store.pipelinesOf(p.id).find((x) => x.id === Number(req.params.pid));
    if (!pl) throw new ApiError(404, '404 Not found');
    res.json(json.expandedPipeline(core, p, pl));
  });

  /**
   * The pipeline a retry or cancel acts on, as GitLab's API finds and authorizes it: the
   * pipeline first (404), then update_pipeline / cancel_pipeline (403): Developer or more, and
   * allowed to push or merge to the pipeline's ref (Ci::PipelinePolicy's protected_ref).
   */
  const pipelineToUpdate = (req: Request, res: Response): { p: ProjectRec; pl: PipelineRec } => {
    const p = loadProject(req, res);
    const raw = String(req.params.pid);
    if (!/^\d+$/.test(raw)) throw new ApiError(400, 'pipeline_id is invalid', 'error');
    const pl = core.store.pipelinesOf(p.id).find((x) => x.id === Number(raw));
    if (!pl) throw new ApiError(404, '404 Not found');
    const user = userOf(res);
    if (core.accessLevel(p, user) < ACCESS_LEVEL.developer || !mayMergeInto(core.store, p, user, pl.ref)) {
      throw new ApiError(403, '403 Forbidden');
    }
    return { p, pl };
  };

  // POST .../retry: retries the failed and canceled jobs of this same pipeline (same id), which
  // runs again; with none, nothing happens. 201 with the pipeline either way, as on GitLab.
  r.post('/projects/:id/pipelines/:pid/retry', (req, res) => {
    const { p, pl } = pipelineToUpdate(req, res);
    core.retryPipeline(p, pl);
    res.status(201).json(json.expandedPipeline(core, p, pl));
  });

  // POST .../cancel: 200, not the 201 of other POSTs (GitLab's API sets it), whatever the
  // pipeline's state, a finished one unchanged (doc/api/pipelines.md, gitlab#414963).
  r.post('/projects/:id/pipelines/:pid/cancel', (req, res) => {
    const { p, pl } = pipelineToUpdate(req, res);
    core.cancelPipeline(p, pl);
    res.status(200).json(json.expandedPipeline(core, p, pl));
  });

  r.use(() => {
    throw new ApiError(404, '404 Not Found', 'error');
  });

  /** `fork` descends from `upstream` through forks. */
  function isForkOf(fork: ProjectRec, upstream: ProjectRec): boolean {
    for (let p: ProjectRec | undefined = fork; p && p.forkedFromId !== null; ) {
      if (p.forkedFromId === upstream.id) return true;
      p = core.store.projects.get(p.forkedFromId);
    }
    return false;
  }

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof ApiError) {
      res.status(err.status).json(err.body());
      return;
    }
    // express.json() rejects malformed bodies with a status of its own.
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
      return;
    }
    core.log(`fake gitlab: API error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json({ message: '500 Internal Server Error' });
  });

  return r;
}
