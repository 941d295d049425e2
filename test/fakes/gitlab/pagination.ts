// Offset pagination as GitLab does it: `page`/`per_page` in, X-* headers and a Link header out.
// gitbeaker only follows `Link: <...>; rel="next"`, so without it a client silently gets page 1.
import type { Request, Response } from 'express';

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;

function positiveInt(v: unknown, fallback: number): number {
  const n = typeof v === 'string' ? Number.parseInt(v, 10) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function paginate<T>(req: Request, res: Response, baseUrl: string, items: T[]): T[] {
  const query = new URL(req.originalUrl, baseUrl).searchParams;
  const perPage = Math.min(positiveInt(query.get('per_page'), DEFAULT_PER_PAGE), MAX_PER_PAGE);
  const total = items.length;
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const page = positiveInt(query.get('page'), 1);

  const link = (n: number): string => {
    const u = new URL(req.originalUrl, baseUrl);
    u.searchParams.set('page', String(n));
    u.searchParams.set('per_page', String(perPage));
    return `${baseUrl}${u.pathname}${u.search}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(Math.min(page - 1, totalPages))}>; rel="prev"`);
  if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);

  res.set({
    Link: links.join(', '),
    'X-Page': String(page),
    'X-Per-Page': String(perPage),
    'X-Total': String(total),
    'X-Total-Pages': String(totalPages),
    'X-Next-Page': page < totalPages ? String(page + 1) : '',
    'X-Prev-Page': page > 1 ? String(page - 1) : '',
  });
  return items.slice((page - 1) * perPage, page * perPage);
}

/** `page` and `per_page` as GitLab reads them (per_page default 20, at most 100). */
export function pageParams(req: Request, baseUrl: string): { page: number; perPage: number } {
  const query = new URL(req.originalUrl, baseUrl).searchParams;
  return {
    page: positiveInt(query.get('page'), 1),
    perPage: Math.min(positiveInt(query.get('per_page'), DEFAULT_PER_PAGE), MAX_PER_PAGE),
  };
}

/**
 * Headers for a list GitLab does not count (its `paginate(..., without_count: true,
 * exclude_total_headers: true)`, as GET .../repository/commits uses): no X-Total,
 * X-Total-Pages or rel="last". A full page always announces a next one, which may be empty.
 */
export function setUncountedPageHeaders(req: Request, res: Response, baseUrl: string, got: number): void {
  const { page, perPage } = pageParams(req, baseUrl);
  const hasNext = got >= perPage;
  const link = (n: number): string => {
    const u = new URL(req.originalUrl, baseUrl);
    u.searchParams.set('page', String(n));
    u.searchParams.set('per_page', String(perPage));
    return `${baseUrl}${u.pathname}${u.search}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
  if (hasNext) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`);
  res.set({
    Link: links.join(', '),
    'X-Page': String(page),
    'X-Per-Page': String(perPage),
    'X-Next-Page': hasNext ? String(page + 1) : '',
    'X-Prev-Page': page > 1 ? String(page - 1) : '',
  });
}
