import type { Node, SourceFile } from './parser';
import { callArguments } from './syntax';
import type { TextEdit } from './types';

/**
 * Edits shared by the refactoring fixes. Each returns null when the code is not in the plain shape the edit
 * assumes (a statement sharing its line with another, a call without a first argument): a fix is better
 * withheld than made wrong.
 */

/** Deletes a statement's whole lines when it stands alone on them; `pass` keeps a block that would become empty. */
export function deleteStatement(file: SourceFile, stmt: Node): TextEdit | null {
  // A statement tree-sitter could not read whole may hold more than the user's statement.
  if (stmt.hasError) return null;
  const startLine = stmt.startPosition.row;
  const endLine = stmt.endPosition.row;
  const before = file.lineText(startLine).slice(0, stmt.startPosition.column);
  const after = file.lineText(endLine).slice(stmt.endPosition.column);
  if (before.trim() !== '' || !/^\s*(#.*)?$/.test(after)) return null;
  const siblings = stmt.parent?.namedChildren.filter((n) => n && n.type !== 'comment') ?? [];
  if (siblings.length === 1) {
    return {
      range: {
        start: { line: startLine, character: stmt.startPosition.column },
        end: { line: endLine, character: file.lineText(endLine).length },
      },
      newText: 'pass',
    };
  }
  const end =
    endLine + 1 < file.lineCount
      ? { line: endLine + 1, character: 0 }
      : { line: endLine, character: file.lineText(endLine).length };
  return { range: { start: { line: startLine, character: 0 }, end }, newText: '' };
}

/** The first positional argument of a call. */
export function firstArgument(call: Node): Node | null {
  return (
    callArguments(call).find(
      (a) =>
        a.type !== 'keyword_argument' &&
        a.type !== 'list_splat' &&
        a.type !== 'dictionary_splat' &&
        a.type !== 'comment',
    ) ?? null
  );
}

/** The call's text with its first positional argument replaced (`self.drop(x)` → `self.drop(h)`). */
export function withFirstArgument(call: Node, text: string): string | null {
  const arg = firstArgument(call);
  if (!arg) return null;
  return call.text.slice(0, arg.startIndex - call.startIndex) + text + call.text.slice(arg.endIndex - call.startIndex);
}

/** The statement (a child of a block or of the module) that contains the node. */
export function enclosingStatement(node: Node): Node | null {
  for (let n: Node | null = node; n; n = n.parent) {
    const parent = n.parent;
    if (parent && (parent.type === 'block' || parent.type === 'module')) return n;
  }
  return null;
}

/** The ancestor of `node` (or the node) that is a statement of `block`. */
export function statementIn(block: Node, node: Node): Node | null {
  for (let n: Node | null = node; n; n = n.parent) if (n.parent?.id === block.id) return n;
  return null;
}

/** The whitespace a statement starts with. */
export function indentOf(file: SourceFile, stmt: Node): string {
  return /^\s*/.exec(file.lineText(stmt.startPosition.row))![0];
}

/** Inserts a new line after a statement, at the statement's own indentation. */
export function insertLineAfter(file: SourceFile, stmt: Node, line: string, indent = indentOf(file, stmt)): TextEdit {
  const end = file.positionAt(stmt.endIndex);
  return { range: { start: end, end }, newText: `\n${indent}${line}` };
}

/**
 * Replaces a call with its first argument (`h = self.drop(emb)` → `h = emb`); when that leaves `v = v`, the
 * statement goes. Null when the call has no plain first argument.
 */
export function unwrapCall(file: SourceFile, call: Node): TextEdit | null {
  const arg = firstArgument(call);
  if (!arg) return null;
  const parent = call.parent;
  if (
    parent?.type === 'assignment' &&
    parent.childForFieldName('right')?.id === call.id &&
    parent.childForFieldName('left')?.text === arg.text &&
    parent.parent?.type === 'expression_statement'
  ) {
    return deleteStatement(file, parent.parent);
  }
  const text = arg.type === 'generator_expression' ? `(${arg.text})` : arg.text;
  return { range: { start: file.positionAt(call.startIndex), end: file.positionAt(call.endIndex) }, newText: text };
}

/**
 * Deletes one element of a call's arguments with the comma before it (`nn.Sequential(a, b, nn.Dropout(p),)` →
 * `nn.Sequential(a, b,)`). Null for the first argument, or when a comment lies in the text that would go.
 */
export function deleteArgument(file: SourceFile, arg: Node): TextEdit | null {
  const list = arg.parent;
  if (list?.type !== 'argument_list') return null;
  const args = list.namedChildren.filter((n): n is Node => !!n);
  const index = args.findIndex((a) => a.id === arg.id);
  const previous = index > 0 ? args[index - 1] : null;
  if (!previous || previous.type === 'comment') return null;
  return { range: { start: file.positionAt(previous.endIndex), end: file.positionAt(arg.endIndex) }, newText: '' };
}

/**
 * Adds `name=value` as a call's last argument: after the last one (a trailing comma stays trailing, a multi-line call
 * gets a line of its own at its arguments' indentation), or into empty parentheses. Null after `*args` / `**kwargs`.
 */
export function appendKeywordArgument(file: SourceFile, call: Node, text: string): TextEdit | null {
  const args = call.childForFieldName('arguments');
  const close = args?.lastChild;
  if (!args || args.type !== 'argument_list' || close?.text !== ')') return null;
  const insert = (offset: number, newText: string): TextEdit => {
    const at = file.positionAt(offset);
    return { range: { start: at, end: at }, newText };
  };
  const existing = callArguments(call);
  const last = existing[existing.length - 1];
  if (!last) return insert(close.startIndex, text);
  if (last.type === 'list_splat' || last.type === 'dictionary_splat') return null;
  const between = file.text.slice(last.endIndex, close.startIndex);
  const comma = between.indexOf(',');
  if (comma < 0) return insert(last.endIndex, `, ${text}`);
  const indent = /^[ \t]*/.exec(file.lineText(last.startPosition.row))![0];
  return insert(last.endIndex + comma + 1, between.includes('\n') ? `\n${indent}${text},` : ` ${text},`);
}
