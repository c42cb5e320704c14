import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextPieces } from '../../server/engine/text-pieces';

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function* rng(seed: number): Generator<number> {
  for (;;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    yield seed / 2 ** 31;
  }
}

test('an edited text reads as the string edited the same way: its length, characters and slices', () => {
  const random = rng(6122026);
  const next = () => random.next().value!;
  const int = (n: number) => Math.floor(next() * n);
  const alphabet = ['a', 'b', '\r', '\n', '\0', 'é', '😀', 'x'];
  const piece = (n: number) => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
  for (let round = 0; round < 30; round++) {
    let expected = piece(int(60));
    let text = TextPieces.of(expected);
    // More edits than pieces are kept, so the text is joined again on the way.
    for (let edit = 0; edit < 200; edit++) {
      const start = int(expected.length + 1);
      const end = Math.min(expected.length, start + int(6));
      const inserted = next() < 0.3 ? '' : piece(1 + int(5));
      expected = expected.slice(0, start) + inserted + expected.slice(end);
      text = text.edited(start, end, inserted);
      assert.equal(text.length, expected.length);
      const a = int(expected.length + 1);
      const b = a + int(expected.length + 1 - a);
      assert.equal(text.slice(a, b), expected.slice(a, b), `slice(${a}, ${b})`);
      assert.equal(text.charCodeAt(a), expected.charCodeAt(a));
    }
    assert.equal(text.toString(), expected);
  }
});
