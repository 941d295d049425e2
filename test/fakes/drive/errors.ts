// Google's JSON error envelope, as the Drive "Resolve errors" guide shows it:
// { error: { code, message, errors: [{ domain, reason, message, location?, locationType? }] } }.

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: 'parameter' | 'header';
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorItem[] };
}

/** An error a handler throws; the server turns it into Google's envelope. */
export class DriveHttpError extends Error {
  readonly status: number;
  readonly body: GoogleErrorBody;
  readonly headers: Record<string, string>;
  /** Why the fake refused, for the request log (Google's own message is often just "Invalid Value"). */
  readonly detail: string | undefined;

  constructor(
    status: number,
    reason: string,
    message: string,
    opts: { location?: string; locationType?: 'parameter' | 'header'; headers?: Record<string, string>; detail?: string } = {},
  ) {
    super(opts.detail ? `${message} (${opts.detail})` : message);
    this.status = status;
    const item: GoogleErrorItem = { domain: 'global', reason, message };
    if (opts.location) item.location = opts.location;
    if (opts.locationType) item.locationType = opts.locationType;
    this.body = { error: { code: status, message, errors: [item] } };
    this.headers = opts.headers ?? {};
    this.detail = opts.detail;
  }
}

export const notFound = (fileId: string): DriveHttpError =>
  new DriveHttpError(404, 'notFound', `File not found: ${fileId}`, { location: 'fileId', locationType: 'parameter' });

/** Drive answers a bad `q`, `pageSize` or `pageToken` with a bare "Invalid Value" naming the parameter. */
export const invalidValue = (location: string, detail?: string): DriveHttpError =>
  new DriveHttpError(400, 'invalid', 'Invalid Value', { location, locationType: 'parameter', detail });

export const badRequest = (message: string, detail?: string): DriveHttpError =>
  new DriveHttpError(400, 'badRequest', message, { detail });

// Google answers a bad or expired bearer token with 401 authError on the Authorization header and a
// WWW-Authenticate challenge; a request with no credentials at all gets "Login Required".
export const invalidCredentials = (): DriveHttpError =>
  new DriveHttpError(401, 'authError', 'Invalid Credentials', {
    location: 'Authorization',
    locationType: 'header',
    headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  });

export const loginRequired = (): DriveHttpError =>
  new DriveHttpError(401, 'required', 'Login Required.', {
    location: 'Authorization',
    locationType: 'header',
    headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' },
  });

/** The reason Google uses for an injected failure of a given status. */
export function injectedFailure(status: number, reason?: string, message?: string): DriveHttpError {
  const defaults: Record<number, [string, string]> = {
    400: ['badRequest', 'Bad Request'],
    401: ['authError', 'Invalid Credentials'],
    403: ['userRateLimitExceeded', 'User rate limit exceeded.'],
    404: ['notFound', 'Not Found'],
    429: ['rateLimitExceeded', 'Rate Limit Exceeded'],
    500: ['backendError', 'Internal Error'],
    502: ['backendError', 'Bad Gateway'],
    503: ['backendError', 'Service Unavailable'],
  };
  const [r, m] = defaults[status] ?? ['backendError', 'Backend Error'];
  return new DriveHttpError(status, reason ?? r, message ?? m, { detail: 'injected by failNext' });
}
