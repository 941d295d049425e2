// A parser and evaluator for the subset of Drive's `q` search language the evidence report needs.
// Grammar (Drive "Search query terms and operators"): terms are `query_term operator value`,
// combined with `and`, `or`, `not` and parentheses; strings are single-quoted with \' and \\ escapes.
//
//   expr    := andExpr ('or' andExpr)*
//   andExpr := unary ('and' unary)*
//   unary   := 'not' unary | '(' expr ')' | term
//   term    := FIELD OP value | STRING 'in' 'parents'
//
// Supported terms, with the operators the reference allows for them:
//   name      contains = !=        mimeType  contains = !=
//   trashed   = != (true|false)    starred   = != (true|false)
//   createdTime, modifiedTime  < <= = != > >=  (RFC 3339 strings)
//   'ID' in parents   ('root' is My Drive's root folder)
// Anything else is a syntax error, which Drive answers with 400 "Invalid Value" on `q`.

import type { StoredFile } from './types';

export class QuerySyntaxError extends Error {}

type Token =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'word'; value: string; pos: number }
  | { kind: 'op'; value: '=' | '!=' | '<' | '<=' | '>' | '>='; pos: number }
  | { kind: 'lparen' | 'rparen'; pos: number };

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains';

export type QueryNode =
  | { kind: 'and' | 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'not'; operand: QueryNode }
  | { kind: 'compare'; field: 'name' | 'mimeType' | 'createdTime' | 'modifiedTime'; op: CompareOp; value: string }
  | { kind: 'flag'; field: 'trashed' | 'starred'; op: '=' | '!='; value: boolean }
  | { kind: 'inParents'; parentId: string };

// Keywords are matched case-insensitively: Drive's examples use lower case, clients vary.
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'has', 'true', 'false']);

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', pos: i });
      i++;
    } else if (c === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= q.length) throw new QuerySyntaxError(`unterminated string starting at ${start}`);
        const d = q[i];
        if (d === '\\') {
          const next = q[i + 1];
          if (next !== "'" && next !== '\\') throw new QuerySyntaxError(`bad escape \\${next ?? ''} at ${i}`);
          value += next;
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', value, pos: start });
    } else if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = q.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'op', value: two, pos: i });
        i += 2;
      } else if (c === '!') {
        throw new QuerySyntaxError(`unexpected '!' at ${i}`);
      } else {
        tokens.push({ kind: 'op', value: c as '=' | '<' | '>', pos: i });
        i++;
      }
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < q.length && /[A-Za-z0-9_.]/.test(q[i])) i++;
      tokens.push({ kind: 'word', value: q.slice(start, i), pos: start });
    } else {
      throw new QuerySyntaxError(`unexpected character '${c}' at ${i}`);
    }
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): QueryNode {
    if (this.tokens.length === 0) throw new QuerySyntaxError('empty query');
    const node = this.orExpr();
    const rest = this.peek();
    if (rest) throw new QuerySyntaxError(`unexpected token at ${rest.pos}`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isKeyword(t: Token | undefined, kw: string): boolean {
    return t?.kind === 'word' && t.value.toLowerCase() === kw;
  }

  private next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new QuerySyntaxError(`expected ${what} at end of query`);
    return t;
  }

  private orExpr(): QueryNode {
    let left = this.andExpr();
    while (this.isKeyword(this.peek(), 'or')) {
      this.i++;
      left = { kind: 'or', left, right: this.andExpr() };
    }
    return left;
  }

  private andExpr(): QueryNode {
    let left = this.unary();
    while (this.isKeyword(this.peek(), 'and')) {
      this.i++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): QueryNode {
    const t = this.peek();
    if (this.isKeyword(t, 'not')) {
      this.i++;
      return { kind: 'not', operand: this.unary() };
    }
    if (t?.kind === 'lparen') {
      this.i++;
      const inner = this.orExpr();
      const close = this.next("')'");
      if (close.kind !== 'rparen') throw new QuerySyntaxError(`expected ')' at ${close.pos}`);
      return inner;
    }
    return this.term();
  }

  private term(): QueryNode {
    const first = this.next('a query term');
    if (first.kind === 'string') {
      // The only term that starts with a value: 'ID' in parents.
      const kw = this.next("'in'");
      const coll = this.next("'parents'");
      if (!this.isKeyword(kw, 'in') || coll.kind !== 'word' || coll.value !== 'parents') {
        throw new QuerySyntaxError(`expected 'in parents' after string at ${first.pos}`);
      }
      return { kind: 'inParents', parentId: first.value };
    }
    if (first.kind !== 'word' || KEYWORDS.has(first.value.toLowerCase())) {
      throw new QuerySyntaxError(`expected a query term at ${first.pos}`);
    }
    const field = first.value;
    const opTok = this.next('an operator');
    let op: CompareOp;
    if (opTok.kind === 'op') op = opTok.value;
    else if (this.isKeyword(opTok, 'contains')) op = 'contains';
    else throw new QuerySyntaxError(`expected an operator after '${field}' at ${opTok.pos}`);
    const valueTok = this.next('a value');

    switch (field) {
      case 'name':
      case 'mimeType': {
        if (op !== '=' && op !== '!=' && op !== 'contains') throw new QuerySyntaxError(`'${op}' is not valid for ${field}`);
        if (valueTok.kind !== 'string') throw new QuerySyntaxError(`${field} needs a quoted string at ${valueTok.pos}`);
        return { kind: 'compare', field, op, value: valueTok.value };
      }
      case 'createdTime':
      case 'modifiedTime': {
        if (op === 'contains') throw new QuerySyntaxError(`'contains' is not valid for ${field}`);
        if (valueTok.kind !== 'string' || Number.isNaN(Date.parse(valueTok.value))) {
          throw new QuerySyntaxError(`${field} needs an RFC 3339 date string at ${valueTok.pos}`);
        }
        return { kind: 'compare', field, op, value: valueTok.value };
      }
      case 'trashed':
      case 'starred': {
        if (op !== '=' && op !== '!=') throw new QuerySyntaxError(`'${op}' is not valid for ${field}`);
        const v = valueTok.kind === 'word' ? valueTok.value.toLowerCase() : '';
        if (v !== 'true' && v !== 'false') throw new QuerySyntaxError(`${field} needs true or false at ${valueTok.pos}`);
        return { kind: 'flag', field, op, value: v === 'true' };
      }
      default:
        throw new QuerySyntaxError(`query term '${field}' is not supported by the fake`);
    }
  }
}

export function parseQuery(q: string): QueryNode {
  return new Parser(tokenize(q)).parse();
}

// "The contains operator only performs prefix matching for a name term": 'HelloWorld' matches
// name contains 'Hello' but not 'World'. Names are split into alphanumeric tokens, case-insensitively,
// and every token of the value must start some token of the name.
function nameContains(name: string, value: string): boolean {
  const split = (s: string) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const want = split(value);
  if (want.length === 0) return name.toLowerCase().includes(value.toLowerCase());
  const have = split(name);
  return want.every((w) => have.some((h) => h.startsWith(w)));
}

export interface QueryContext {
  rootFolderId: string;
}

export function matches(node: QueryNode, file: StoredFile, ctx: QueryContext): boolean {
  switch (node.kind) {
    case 'and':
      return matches(node.left, file, ctx) && matches(node.right, file, ctx);
    case 'or':
      return matches(node.left, file, ctx) || matches(node.right, file, ctx);
    case 'not':
      return !matches(node.operand, file, ctx);
    case 'inParents': {
      const id = node.parentId === 'root' ? ctx.rootFolderId : node.parentId;
      return file.parents.includes(id);
    }
    case 'flag': {
      const actual = node.field === 'trashed' ? file.trashed : false;
      return node.op === '=' ? actual === node.value : actual !== node.value;
    }
    case 'compare': {
      if (node.field === 'createdTime' || node.field === 'modifiedTime') {
        const a = Date.parse(file[node.field]);
        const b = Date.parse(node.value);
        switch (node.op) {
          case '<':
            return a < b;
          case '<=':
            return a <= b;
          case '>':
            return a > b;
          case '>=':
            return a >= b;
          case '=':
            return a === b;
          default:
            return a !== b;
        }
      }
      const actual = node.field === 'name' ? file.name : file.mimeType;
      if (node.op === 'contains') {
        return node.field === 'name' ? nameContains(actual, node.value) : actual.toLowerCase().includes(node.value.toLowerCase());
      }
      return node.op === '=' ? actual === node.value : actual !== node.value;
    }
  }
}
