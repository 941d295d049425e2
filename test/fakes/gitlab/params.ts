// Reading API parameters the way Grape (GitLab's API framework) does: from the JSON or form
// body, else from the query string, where arrays may come as `ids[]=1&ids[]=2` or `ids=1,2`.
import type { Request } from 'express';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** GitLab answers routing and validation errors with `error`, everything else with `message`. */
    readonly key: 'message' | 'error' = 'message',
    /**
     * The message as a one-element list: what GitLab sends for a model's validation errors
     * (e.g. `{"message":["Another open merge request already exists ..."]}`).
     */
    readonly asList = false,
  ) {
    super(message);
  }

  /** The JSON body GitLab answers with. */
  body(): Record<string, unknown> {
    return { [this.key]: this.asList ? [this.message] : this.message };
  }
}

function raw(req: Request, name: string): unknown {
  const body: unknown = req.body;
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (b[name] !== undefined) return b[name];
    if (b[`${name}[]`] !== undefined) return b[`${name}[]`];
  }
  const q = req.query as Record<string, unknown>;
  return q[name] ?? q[`${name}[]`];
}

export function str(req: Request, name: string): string | undefined {
  const v = raw(req, name);
  if (Array.isArray(v)) return v.length > 0 ? String(v[v.length - 1]) : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

export function bool(req: Request, name: string): boolean | undefined {
  const v = str(req, name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ApiError(400, `${name} is invalid`, 'error');
}

export function int(req: Request, name: string): number | undefined {
  const v = str(req, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, `${name} is invalid`, 'error');
  return n;
}

/** Undefined when absent; [] for an explicitly empty value (GitLab's "unassign everyone"). */
export function ints(req: Request, name: string): number[] | undefined {
  const v = raw(req, name);
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : String(v).split(',');
  const out: number[] = [];
  for (const item of list) {
    const s = String(item).trim();
    if (s === '') continue;
    const n = Number(s);
    if (!Number.isInteger(n)) throw new ApiError(400, `${name} is invalid`, 'error');
    out.push(n);
  }
  return out;
}

export function required(req: Request, name: string): string {
  const v = str(req, name);
  if (v === undefined || v === '') throw new ApiError(400, `${name} is missing`, 'error');
  return v;
}

/** A list parameter: an array, or one comma-separated string (`labels=a,b`). */
export function strs(req: Request, name: string): string[] | undefined {
  const v = raw(req, name);
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return list.map((s) => s.trim()).filter((s) => s.length > 0);
}
