// The `fields` system parameter ("partial response"): a comma-separated list of field paths,
// with `a/b` for a sub-field, `a(b,c)` for several sub-fields and `*` for every field.
// e.g. fields=nextPageToken,files(id,name,parents). Unknown names are a 400, as on Drive.

export type Selection = Map<string, Selection | true>;

/** Which names exist at each level; 'map' means any key is allowed below (appProperties). */
export type FieldSchema = { [name: string]: 'leaf' | 'map' | FieldSchema };

export class FieldSelectionError extends Error {}

function merge(into: Selection, name: string, sub: Selection | true): void {
  const prev = into.get(name);
  if (prev === true || sub === true) into.set(name, true);
  else if (prev) for (const [k, v] of sub) merge(prev, k, v);
  else into.set(name, sub);
}

export function parseFields(spec: string): Selection {
  let i = 0;
  const list = (nested: boolean): Selection => {
    const out: Selection = new Map();
    for (;;) {
      while (spec[i] === ' ') i++; // Google's own samples write 'nextPageToken, files(id, name)'
      const path: string[] = [];
      for (;;) {
        const m = /^(\*|[A-Za-z0-9_]+)/.exec(spec.slice(i));
        if (!m) throw new FieldSelectionError(`Invalid field selection ${spec}`);
        path.push(m[1]);
        i += m[1].length;
        if (spec[i] !== '/') break;
        i++;
      }
      let leaf: Selection | true = true;
      if (spec[i] === '(') {
        i++;
        leaf = list(true);
        if (spec[i] !== ')') throw new FieldSelectionError(`Invalid field selection ${spec}`);
        i++;
      }
      let node: Selection | true = leaf;
      for (let p = path.length - 1; p > 0; p--) node = new Map([[path[p], node]]);
      merge(out, path[0], node);
      while (spec[i] === ' ') i++;
      if (spec[i] === ',') {
        i++;
        continue;
      }
      if (nested ? spec[i] === ')' : i === spec.length) return out;
      throw new FieldSelectionError(`Invalid field selection ${spec}`);
    }
  };
  return list(false);
}

export function validate(sel: Selection, schema: FieldSchema): void {
  for (const [name, sub] of sel) {
    if (name === '*') continue;
    const s = schema[name];
    if (!s) throw new FieldSelectionError(`Invalid field selection ${name}`);
    if (sub === true || s === 'map') continue;
    if (s === 'leaf') throw new FieldSelectionError(`Invalid field selection ${name}`);
    validate(sub, s);
  }
}

/** Keep only the selected parts of a JSON value (arrays are selected element by element). */
export function applySelection(value: unknown, sel: Selection | true): unknown {
  if (sel === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => applySelection(v, sel));
  const src = value as Record<string, unknown>;
  if (sel.has('*')) return src;
  const out: Record<string, unknown> = {};
  for (const [name, sub] of sel) {
    if (src[name] !== undefined) out[name] = applySelection(src[name], sub);
  }
  return out;
}
