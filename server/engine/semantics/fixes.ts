/**
 * Fix helpers shared by RG003–RG005: the per-sample mask shape, parenthesising source text, the edits that rescale
 * what a mask keeps, and `k·E[x]` for messages.
 */
import { nodeRange, type Node, type SourceFile } from '../parser';
import type { TextEdit } from '../types';
import type { RegularizerSemantics, ScalarValue } from './record';
import { PASS_THROUGH } from './syntax-queries';

/** The per-sample mask shape for a tensor spelled `x`. */
export function perSampleShape(x: string): string {
  return `(${x}.shape[0],) + (1,) * (${x}.ndim - 1)`;
}

/** Parenthesised unless it is a name, a call or already in parentheses. */
export function atom(text: string): string {
  if (/^[\w.]+$/.test(text)) return text;
  // `f(a)` and `(a + b)` are atoms when their first parenthesis closes at the very end: `f(a) * (b)` is not one.
  const open = /^[\w.]*\(/.exec(text);
  return open && closingParen(text, open[0].length - 1) === text.length - 1 ? text : `(${text})`;
}

/** The index of the parenthesis that closes the one at `from`, skipping brackets and strings; -1 when none. */
function closingParen(text: string, from: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : -1;
    }
  }
  return -1;
}

function statementOf(node: Node): Node | null {
  for (let p: Node | null = node; p; p = p.parent)
    if (p.parent?.type === 'block' || p.parent?.type === 'module') return p;
  return null;
}

function indentOf(file: SourceFile, node: Node): string {
  return /^\s*/.exec(file.lineText(node.startPosition.row))![0];
}

/**
 * Edits that divide what the mask keeps by `keep` at the application node: `x * m` → `x * m / keep`, an in-place
 * `x.mul_(m)` gets `.div_(keep)`, `x *= m` → `x *= m / keep`, and `x[m] = 0` is followed by `x = x / keep`.
 * With `guard`, the division happens only when `keep > 0.0` (drop path may drop every sample).
 */
export function rescaleEdits(
  file: SourceFile,
  s: RegularizerSemantics,
  keep: string,
  guard: boolean,
): TextEdit[] | null {
  const app = s.application;
  if (!app) return null;
  const k = atom(keep);
  const stmt = statementOf(app);
  if (!stmt) return null;
  const at = (offset: number, text: string): TextEdit => {
    const p = file.positionAt(offset);
    return { range: { start: p, end: p }, newText: text };
  };
  const indent = indentOf(file, stmt);
  if (app.type === 'augmented_assignment') {
    const right = app.childForFieldName('right');
    if (!right || guard) return null;
    return [{ range: nodeRange(right), newText: `${atom(right.text)} / ${k}` }];
  }
  if (app.type === 'assignment') {
    const target = app.childForFieldName('left')?.childForFieldName('value');
    if (!target) return null;
    const body = guard
      ? `if ${k} > 0.0:\n${indent}    ${target.text} = ${target.text} / ${k}`
      : `${target.text} = ${target.text} / ${k}`;
    // After the line's end, so a trailing comment stays with the statement it annotates.
    const row = stmt.endPosition.row;
    const end = { line: row, character: file.lineText(row).length };
    return [{ range: { start: end, end }, newText: `\n${indent}${body}` }];
  }
  if (app.type === 'call' && app.parent?.type === 'expression_statement') {
    return guard ? null : [at(app.endIndex, `.div_(${k})`)];
  }
  // A mask variable multiplied in: rescale the mask just before, as timm does.
  const maskName =
    app.type === 'binary_operator'
      ? [app.childForFieldName('left'), app.childForFieldName('right')]
          .map((n) => n && baseName(n))
          .find((n) => n && n.text !== s.inputSource)
      : null;
  if (guard && maskName && !app.text.includes('/')) {
    return [at(stmt.startIndex, `if ${k} > 0.0:\n${indent}    ${maskName.text} = ${maskName.text} / ${k}\n${indent}`)];
  }
  const scaled = `${app.text} / ${k}`;
  const text = guard ? `${scaled} if ${k} > 0.0 else ${app.text}` : scaled;
  const tight = [
    'binary_operator',
    'unary_operator',
    'attribute',
    'subscript',
    'conditional_expression',
    'comparison_operator',
  ].includes(app.parent?.type ?? '');
  return [{ range: nodeRange(app), newText: tight || guard ? `(${text})` : text }];
}

/** `k·E[x]` for messages: `E[x]` when k is 1, parentheses around sums. */
export function timesInput(v: ScalarValue | undefined): string {
  if (!v) return '?';
  if (v.expression === '1') return 'E[x]';
  return `${/^[\w.]+$/.test(v.expression) ? v.expression : `(${v.expression})`}·E[x]`;
}

/** `mask`, or the `mask` of `mask.float()` / `mask.to(x.dtype)`: the variable a cast reads. */
function baseName(n: Node): Node | null {
  if (n.type === 'identifier') return n;
  const fn = n.type === 'call' ? n.childForFieldName('function') : null;
  if (fn?.type === 'attribute' && PASS_THROUGH.has(fn.childForFieldName('attribute')?.text ?? '')) {
    const object = fn.childForFieldName('object');
    return object?.type === 'identifier' ? object : null;
  }
  return null;
}
