// Bitbucket Cloud's partial responses: the `fields` query parameter, a comma-separated list of
// dotted field paths. `-path` removes that field; a path without a sign keeps only the fields
// listed (with what they hold); `+path` asks for a field left out by default (every field is in
// this fake's answers, so it only keeps that field when others are listed plainly). `*` stands
// for any one field name. A path through a list applies to each of its elements. Paged answers
// keep their query, `fields` included, in `next`.
import type { Json } from './serialize';

type Node = Json | unknown[] | string | number | boolean | null | undefined;

/** The paths as a tree, walked once per answer: what to do at each field name (or `*`). */
interface Trie {
  /** This field is removed (`-path` ends here). */
  drop?: boolean;
  /** This field is kept whole (a plain path ends here). */
  keepAll?: boolean;
  /** Plain paths go below this field: it is kept, narrowed to them. */
  keepSome?: boolean;
  children: Map<string, Trie>;
}

export interface FieldSpec {
  root: Trie;
  /** Plain paths were given: only what they name is kept. */
  narrowed: boolean;
}

export function parseFields(raw: string[]): FieldSpec | undefined {
  const root: Trie = { children: new Map() };
  let narrowed = false;
  let any = false;
  for (const item of raw.flatMap((r) => r.split(','))) {
    const field = item.trim();
    if (!field) continue;
    const path = field.replace(/^[-+]/, '').split('.');
    if (path.some((p) => p === '')) return undefined;
    const dropping = field.startsWith('-');
    if (!dropping) narrowed = true;
    any = true;
    let at = root;
    path.forEach((name, i) => {
      let next = at.children.get(name);
      if (!next) at.children.set(name, (next = { children: new Map() }));
      if (i === path.length - 1) {
        if (dropping) next.drop = true;
        else next.keepAll = true;
      } else if (!dropping) next.keepSome = true;
      at = next;
    });
  }
  return any ? { root, narrowed } : undefined;
}

/** The answer as `fields` shapes it, built anew in one walk. */
export function applyFields(body: Json, spec: FieldSpec): Json {
  return shape(body, spec.root, spec.narrowed) as Json;
}

/**
 * `node` under the rules in `trie`. `narrowed`: only fields that plain paths name are kept at
 * this level (below a field kept whole, everything is kept but what `-` paths remove).
 */
function shape(node: Node, trie: Trie, narrowed: boolean): Node {
  if (Array.isArray(node)) return node.map((item) => shape(item as Node, trie, narrowed));
  if (node === null || typeof node !== 'object' || trie.children.size === 0) return node;
  const out: Json = {};
  const any = trie.children.get('*');
  for (const key of Object.keys(node)) {
    const rules = [trie.children.get(key), any].filter((r): r is Trie => r !== undefined);
    if (rules.some((r) => r.drop)) continue;
    const keepAll = rules.some((r) => r.keepAll);
    const keepSome = rules.some((r) => r.keepSome);
    if (narrowed && !keepAll && !keepSome) continue;
    const merged: Trie = rules.length === 1 ? rules[0] : { children: new Map(rules.flatMap((r) => [...r.children])) };
    out[key] = shape(node[key] as Node, merged, narrowed && !keepAll);
  }
  return out;
}
