// The engine reads a JS copy of tree-sitter's tree (server/engine/syntax-tree.ts). Every rule's answer depends on
// the copy saying what tree-sitter says, so it is compared node by node with tree-sitter's own nodes: on the rule
// fixtures, the examples and real model code, after edits that take statements over from the copy before.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { initParser, lineStarts, SourceFile } from '../../server/engine/parser';
import { copyTree } from '../../server/engine/syntax-tree';
import { applyRandomEdit, copyDifferences, differences, pythonFiles, rng } from './tree-compare';

before(() => initParser());

const ROOT = path.resolve(__dirname, '..', '..');

function compare(text: string, label: string): void {
  let file: SourceFile;
  try {
    file = new SourceFile(text);
  } catch {
    return; // Past the parse limits: never analysed, nothing to copy.
  }
  try {
    assert.deepEqual(differences(file.root, file.tree.rootNode, file.text), [], label);
  } finally {
    file.dispose();
  }
}

test('the copy answers as tree-sitter does on the rule fixtures and the examples', () => {
  const files = [...pythonFiles(path.join(ROOT, 'test', 'rules')), ...pythonFiles(path.join(ROOT, 'examples'))];
  assert.ok(files.length > 100, `${files.length} fixture files`);
  for (const file of files) compare(fs.readFileSync(file, 'utf8'), path.relative(ROOT, file));
});

test('the copy answers as tree-sitter does on real model code (every 7th file of ../shared/corpus)', (t) => {
  const files = pythonFiles(path.join(ROOT, '..', 'shared', 'corpus')).filter((_, i) => i % 7 === 0);
  if (files.length === 0) {
    t.skip('../shared/corpus is not on this machine');
    return;
  }
  for (const file of files) compare(fs.readFileSync(file, 'utf8'), file);
});

test('syntax errors, missing nodes, CRLF, lone CR, NUL and astral characters copy as tree-sitter reads them', () => {
  const cases = [
    'class A(nn.Module:\n    def forward(self, x:\n        return x\n',
    'x = (1,\ny = 2\n',
    'def f(:\r\n    return 1\r\n',
    'a = 1\rb = 2\r',
    'a = "\0"\nb = 1\n',
    's = "é😀"  # 😀\nt = s\n',
    'if x:\n',
    '',
  ];
  for (const text of cases) compare(text, JSON.stringify(text));
});

test('after each edit the copy equals a fresh one, with the untouched statements taken over', () => {
  const sources = [
    path.join(ROOT, 'examples', 'vit_block.py'),
    ...pythonFiles(path.join(ROOT, 'test', 'rules', 'RG007')).slice(0, 3),
  ];
  const inserts = [
    'x',
    ' ',
    '\n',
    '(',
    ')',
    ':',
    'é',
    '😀',
    '\r\n',
    '    ',
    'F.dropout(x)',
    'class C:\n    pass\n',
    '',
  ];
  let takenOver = 0;
  for (const source of sources) {
    const file = new SourceFile(fs.readFileSync(source, 'utf8'));
    const r = rng(11);
    try {
      for (let i = 0; i < 150; i++) {
        const before = new Set(file.root.children);
        applyRandomEdit(file, r, inserts, 6);
        const root = file.root;
        takenOver += root.children.filter((c) => before.has(c)).length;
        const fresh = new SourceFile(file.text);
        try {
          assert.deepEqual(differences(root, fresh.tree.rootNode, file.text), [], `${source}, edit ${i}`);
        } finally {
          fresh.dispose();
        }
      }
    } finally {
      file.dispose();
    }
  }
  // Most edits leave most statements alone: the copy after them must not have been made from scratch.
  assert.ok(takenOver > 0, 'no statement was taken over from the copy before an edit');
});

test('an edit inside one class leaves the copies of the other statements as they were, moved', () => {
  const text = 'import torch\n\nclass A:\n    x = 1\n\nclass B:\n    y = 2\n';
  const file = new SourceFile(text);
  try {
    const [imports, a, b] = file.root.namedChildren;
    file.applyChange({ start: { line: 3, character: 8 }, end: { line: 3, character: 9 } }, '10');
    const after = file.root.namedChildren;
    assert.equal(after[0], imports);
    assert.notEqual(after[1], a);
    assert.equal(after[2], b);
    assert.equal(b.startIndex, text.indexOf('class B') + 1);
    assert.equal(b.text, 'class B:\n    y = 2');
    assert.deepEqual(b.childForFieldName('body')!.startPosition, { row: 6, column: 4 });
  } finally {
    file.dispose();
  }
});

test('after edits that leave syntax errors, taking clean statements over gives the copy a fresh copy gives', (t) => {
  // Small files of ../shared/corpus (every 13th under 20 KB), or the rule fixtures where it is missing.
  let sources = pythonFiles(path.join(ROOT, '..', 'shared', 'corpus')).filter(
    (f, i) => i % 13 === 0 && fs.statSync(f).size < 20_000,
  );
  if (sources.length === 0) {
    t.diagnostic('../shared/corpus is not on this machine: the rule fixtures instead');
    sources = pythonFiles(path.join(ROOT, 'test', 'rules')).filter((_, i) => i % 5 === 0);
  }
  // Brackets and quotes left open, a colon or an operator missing its operand, a stray indent: errors as typed.
  const inserts = ['(', '[', '"', "'''", ':', ' +', '.', '\n    ', 'x', ')', ''];
  const r = rng(13);
  let takenOverInErrors = 0;
  for (const source of sources) {
    const original = fs.readFileSync(source, 'utf8');
    // The parser reads a NUL or a lone \r as another character (parser.ts parserText): copied afresh below from
    // the text as it is, so such files are left out.
    if (/\0|\r(?!\n)/.test(original)) continue;
    let file: SourceFile;
    try {
      file = new SourceFile(original);
      void file.root;
    } catch {
      continue;
    }
    try {
      for (let i = 0; i < 30; i++) {
        const before = new Set(file.root.children);
        try {
          applyRandomEdit(file, r, inserts, 3);
          void file.root;
        } catch {
          break; // Past the parse limits: the editor then keeps the text unparsed.
        }
        const root = file.root;
        if (root.hasError) takenOverInErrors += root.children.filter((c) => before.has(c)).length;
        // The same tree-sitter tree, copied node by node with nothing taken over.
        const fresh = copyTree(file.tree, file.text, lineStarts(file.text));
        assert.deepEqual(copyDifferences(root, fresh), [], `${source}, edit ${i}`);
      }
    } finally {
      file.dispose();
    }
  }
  assert.ok(takenOverInErrors > 0, 'no clean statement was taken over into a tree with a syntax error');
});
