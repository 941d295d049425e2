import { EmbargoError, parseEmbargo } from '../domain/embargo';

export interface CommandResult {
  code: number;
  out: string;
}

const USAGE = 'Usage: shepherd embargo "<spec>" [--at <ISO time>]   e.g. shepherd embargo "Friday 6pm - Monday 9am" --at 2026-11-27T19:00:00Z';

/**
 * `shepherd embargo "<spec>" [--at <ISO time>]`: lets people check an embargo spec before they
 * deploy it: is this instant covered, and when does the window end?
 */
export function embargoCommand(args: string[], now: Date = new Date()): CommandResult {
  let spec: string | undefined;
  let at = now;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--at' || arg.startsWith('--at=')) {
      const value = arg === '--at' ? args[++i] : arg.slice('--at='.length);
      const parsed = value === undefined ? NaN : Date.parse(value);
      if (Number.isNaN(parsed)) return { code: 2, out: `shepherd embargo: --at needs an ISO 8601 time such as 2026-11-27T19:00:00Z, not ${JSON.stringify(value ?? '')}\n${USAGE}` };
      at = new Date(parsed);
    } else if (spec === undefined) {
      spec = arg;
    } else {
      return { code: 2, out: `shepherd embargo: unexpected argument ${JSON.stringify(arg)} (quote the spec as one argument)\n${USAGE}` };
    }
  }
  if (spec === undefined) return { code: 2, out: USAGE };
  let embargo;
  try {
    embargo = parseEmbargo(spec, at);
  } catch (err) {
    if (err instanceof EmbargoError) return { code: 2, out: `shepherd embargo: ${err.message}` };
    throw err;
  }
  const when = at.toISOString();
  if (!embargo.covers(at)) return { code: 0, out: `${when} is not covered by the embargo: merging is allowed.` };
  const end = embargo.nextEnd(at);
  return {
    code: 0,
    out: `${when} is covered by the embargo: merging waits until ${end ? end.toISOString() : 'never (the embargo covers the whole week)'}.`,
  };
}
