// An edit inside one top-level statement is parsed as that statement alone (server/engine/statement-reparse.ts). The
// tree the engine then reads must be the one a fresh parse of the whole file gives: compared node by node after
// edits of real model code and of the idioms where a statement's end depends on what follows it.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { initParser, SourceFile } from '../../server/engine/parser';
import type { Position } from '../../server/engine/types';
import { copyDifferences, parsedFile, pythonFiles, rng } from './tree-compare';

before(() => initParser());

const ROOT = path.resolve(__dirname, '..', '..');

/** Applies one edit and compares the copy with a fresh parse's; true when the statement was parsed alone. */
function editAndCompare(file: SourceFile, start: Position, end: Position, text: string, label: string): boolean {
  const before = file.statementsReparsed;
  file.applyChange({ start, end }, text);
  const fresh = new SourceFile(file.text);
  try {
    assert.deepEqual(copyDifferences(file.root, fresh.root), [], label);
  } finally {
    fresh.dispose();
  }
  return file.statementsReparsed > before;
}

/** tree-sitter's own tree, caught up after edits the copy took alone, equals a fresh parse's when both parse. */
function assertTreeCaughtUp(file: SourceFile, label: string): void {
  const fresh = new SourceFile(file.text);
  try {
    if (!fresh.tree.rootNode.hasError)
      assert.equal(file.tree.rootNode.toString(), fresh.tree.rootNode.toString(), `${label}: tree-sitter's tree`);
  } finally {
    fresh.dispose();
  }
}

test('after edits of real model code, the copy equals a fresh parse (every 29th file of ../shared/corpus)', (t) => {
  const files = pythonFiles(path.join(ROOT, '..', 'shared', 'corpus')).filter((_, i) => i % 29 === 0);
  if (files.length === 0) {
    t.skip('../shared/corpus is not on this machine');
    return;
  }
  // What people type: a character in a name, a name deleted, a new line in a block, a comment, a bracket or a quote
  // left open, a line continuation, a dedent.
  const typed = ['_', 'x', '1', '(', ')', ':', '"', "'''", '\\', '  # note', ',', '.drop', '\n', '\n    ', '\t'];
  const r = rng(23);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r.next().value * list.length)];
  let edits = 0;
  let alone = 0;
  for (const source of files) {
    const file = parsedFile(source);
    if (!file) continue;
    try {
      for (let i = 0; i < 25; i++) {
        // A line with code, a place in it, and what the edit does there.
        const line = Math.floor(r.next().value * file.lineCount);
        const lineText = file.lineText(line);
        const character = Math.floor(r.next().value * (lineText.length + 1));
        const start = { line, character };
        const kind = r.next().value;
        let end = start;
        let text = pick(typed);
        if (kind < 0.25) {
          // Delete up to three characters, maybe across the line break.
          text = '';
          end = file.positionAt(file.offsetAt(start) + 1 + Math.floor(r.next().value * 3));
        } else if (kind < 0.4) {
          // A new line at the end of this one, indented as it is.
          start.character = lineText.length;
          text = `\n${/^\s*/.exec(lineText)![0]}${pick(['y = x', 'pass', 'x = self.drop(x)', '# done', 'return x'])}`;
        }
        const label = `${source}: edit ${i} at ${line}:${start.character}`;
        const from = file.offsetAt(start);
        const removed = file.text.slice(from, file.offsetAt(end));
        const valid = !file.root.hasError;
        const parsedAlone = editAndCompare(file, start, end, text, label);
        if (valid) {
          edits++;
          if (parsedAlone) alone++;
        }
        // A syntax error is typed through, then mended: undo the edit, which parses the whole file again.
        if (file.root.hasError) {
          const undoEnd = file.positionAt(from + text.length);
          editAndCompare(file, file.positionAt(from), undoEnd, removed, `${label}, undone`);
        }
      }
      assertTreeCaughtUp(file, source);
    } finally {
      file.dispose();
    }
  }
  // Of the edits to a file that parses, those inside one statement that leave it parsing are parsed alone.
  assert.ok(alone >= edits * 0.3, `${alone} of ${edits} edits to a parsing file parsed as their statement alone`);
});

test("a statement's end depends on what follows: each idiom gives the tree a fresh parse gives", () => {
  const cases: { text: string; edits: [number, number, number, number, string][]; alone: boolean[] }[] = [
    // An edit in a method (the common case): the class is parsed alone.
    {
      text: 'import torch\n\nclass A(nn.Module):\n    def forward(self, x):\n        return self.drop(x)\n\nb = A()\n',
      edits: [[4, 24, 4, 24, '_']],
      alone: [true],
    },
    // An unclosed bracket takes in the lines after the class: the whole file is parsed. Closing it mends the only
    // statement with an error, whose lines then parse alone.
    {
      text: 'class A:\n    def f(self, x):\n        y = g(x)\n\nclass B:\n    pass\n',
      edits: [
        [2, 15, 2, 16, ''],
        [2, 15, 2, 15, ')'],
      ],
      alone: [false, true],
    },
    // A comment indented as the class's last block is in the class, and parsed with it.
    {
      text: 'class A:\n    def f(self):\n        if x:\n            pass\n    # about f\n\nz = 1\n',
      edits: [
        [3, 16, 3, 16, '_'],
        [2, 8, 3, 16, 'pass'],
      ],
      alone: [true, true],
    },
    // A comment after the class indented less than its block, but not at column 0: which block it ends depends on
    // the class's last lines, so the whole file is parsed.
    {
      text: 'class A:\n    def f(self):\n        if x:\n            pass\n  # odd\n\nz = 1\n',
      edits: [[3, 16, 3, 16, '_']],
      alone: [false],
    },
    // Comments at column 0 after the class, then the next statement: parsed alone.
    {
      text: 'class A:\n    def f(self):\n        return 1  # one\n\n# ---- B ----\n\nclass B:\n    pass\n',
      edits: [
        [2, 16, 2, 17, '2'],
        [2, 24, 2, 24, '\n        # two'],
      ],
      alone: [true, true],
    },
    // Two statements on a line; a statement after a line continuation: the whole file is parsed.
    {
      text: 'x = 1; y = 2\nz = 3\n',
      edits: [[0, 4, 0, 5, '10']],
      alone: [false],
    },
    // A new statement typed after the class, then between two classes, in the blank lines there, then at the top:
    // the lines parse alone (tree-sitter's own incremental parse re-read the whole file for an edit between classes).
    {
      text: 'import torch\n\nclass A:\n    x = 1\n\n\nclass B:\n    y = 2\n',
      edits: [
        [3, 9, 3, 9, '\ny = 2'],
        [5, 0, 5, 0, 'def f():\n    return A()'],
        [6, 15, 6, 15, '  '],
        [0, 0, 0, 0, '# models\n'],
      ],
      alone: [true, true, true, true],
    },
    // Code typed indented after a class belongs to the class's block: the whole file.
    {
      text: 'class A:\n    x = 1\n\nclass B:\n    y = 2\n',
      edits: [[2, 0, 2, 0, '    z = 3']],
      alone: [false],
    },
    // A decorated class, CRLF line ends, and the last statement without a line break after it.
    {
      text: '@register\r\nclass A(nn.Module):\r\n    p = 0.1\r\n\r\nb = A()',
      edits: [
        [2, 10, 2, 10, '5'],
        [4, 6, 4, 6, 'x'],
      ],
      alone: [true, true],
    },
    // A line of the class dedented to column 0 splits it in two statements, both at column 0: parsed alone.
    {
      text: 'class A:\n    x = 1\n    y = 2\n',
      edits: [[2, 0, 2, 4, '']],
      alone: [true],
    },
  ];
  for (const { text, edits, alone } of cases) {
    const file = new SourceFile(text);
    try {
      void file.root;
      edits.forEach(([l0, c0, l1, c1, insert], i) => {
        const label = `${JSON.stringify(text)}, edit ${i}`;
        const parsedAlone = editAndCompare(
          file,
          { line: l0, character: c0 },
          { line: l1, character: c1 },
          insert,
          label,
        );
        assert.equal(parsedAlone, alone[i], `${label}: parsed alone`);
      });
      assertTreeCaughtUp(file, JSON.stringify(text));
    } finally {
      file.dispose();
    }
  }
});

test('a code action after edits parsed alone reads the current tree: a fix is checked against the edited text', () => {
  const file = new SourceFile('class A:\n    def f(self, x):\n        return x\n');
  try {
    void file.root;
    file.applyChange({ start: { line: 2, character: 16 }, end: { line: 2, character: 16 } }, '_y');
    assert.equal(file.statementsReparsed, 1);
    assert.equal(file.syntaxErrorCount(), 0);
    // The tree an incremental check of a fix starts from is the edited text's.
    const tree = file.parseEdited(
      [{ range: { start: { line: 2, character: 15 }, end: { line: 2, character: 18 } }, newText: '(' }],
      'class A:\n    def f(self, x):\n        return (\n',
    );
    try {
      assert.ok(tree.rootNode.hasError);
      const at = file.offsetAt({ line: 2, character: 15 });
      assert.equal(file.tree.rootNode.descendantForIndex(at)?.text, 'x_y');
    } finally {
      tree.delete();
    }
  } finally {
    file.dispose();
  }
});

test('edits made while the copy is not read (a file with a syntax error) are one edit for the next copy', (t) => {
  const files = pythonFiles(path.join(ROOT, '..', 'shared', 'corpus')).filter((_, i) => i % 31 === 0);
  if (files.length === 0) {
    t.skip('../shared/corpus is not on this machine');
    return;
  }
  // A run of keys typed at one place, as while a bracket stays open, sometimes with an edit elsewhere in between.
  const keys = ['(', 'x', ',', ' ', '[', '"', ')', ']', '\n', '_'];
  const r = rng(41);
  let statements = 0;
  let takenOver = 0;
  for (const source of files) {
    const file = parsedFile(source);
    if (!file) continue;
    try {
      for (let run = 0; run < 4; run++) {
        const before = new Set(file.root.children);
        let at = file.positionAt(Math.floor(r.next().value * file.length));
        const count = 1 + Math.floor(r.next().value * 6);
        for (let k = 0; k < count; k++) {
          if (r.next().value < 0.15) {
            const elsewhere = file.positionAt(Math.floor(r.next().value * file.length));
            file.applyChange({ start: elsewhere, end: elsewhere }, '_');
            if (file.offsetAt(elsewhere) <= file.offsetAt(at)) at = file.positionAt(file.offsetAt(at) + 1);
          }
          const key = keys[Math.floor(r.next().value * keys.length)];
          file.applyChange({ start: at, end: at }, key);
          at = file.positionAt(file.offsetAt(at) + key.length);
        }
        const label = `${source}: run ${run} of ${count} keys`;
        const fresh: SourceFile = new SourceFile(file.text);
        try {
          assert.deepEqual(copyDifferences(file.root, fresh.root), [], label);
        } finally {
          fresh.dispose();
        }
        statements += file.root.children.length;
        takenOver += file.root.children.filter((c) => before.has(c)).length;
      }
    } finally {
      file.dispose();
    }
  }
  // Without the edits made one, the copy after them would be made whole.
  assert.ok(takenOver >= statements * 0.5, `${takenOver} of ${statements} statements taken over`);
});
