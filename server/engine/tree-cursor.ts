// A cursor over a web-tree-sitter tree that calls the runtime's exported cursor functions itself. web-tree-sitter's
// TreeCursor copies its four words into wasm memory before every call and back after it, through a generic
// setValue/getValue per word; the copy of every tree (server/engine/syntax-tree.ts) makes five or six such calls per
// node, and on real model code that copying cost more than the parse. The runtime's cursor functions read the cursor
// from one transfer buffer and write it back there, so a cursor that nothing else moves can stay in the buffer
// between calls: this one is put there once and read back once, when it is deleted.
import type { Tree, TreeCursor } from 'web-tree-sitter';

/** The exports of web-tree-sitter's runtime this cursor calls, as its Emscripten module carries them. */
interface CursorRuntime {
  HEAP_DATA_VIEW: DataView;
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_current_node_wasm(tree: number): void;
  _ts_node_has_error_wasm(tree: number): number;
}

const FUNCTIONS = [
  '_ts_init',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
  '_ts_tree_cursor_current_node_is_missing_wasm',
  '_ts_tree_cursor_current_node_wasm',
  '_ts_node_has_error_wasm',
] as const;

let runtime: CursorRuntime | undefined;
/** The address of the runtime's transfer buffer, where its cursor functions read and write the cursor. */
let transfer = 0;

/**
 * Takes the module object web-tree-sitter's `Parser.init` was given, which Emscripten fills with the runtime's
 * exports. Throws, naming what is missing, when the bundled web-tree-sitter is not the one this was written for.
 */
export function bindCursorRuntime(module: object): void {
  const m = module as Partial<Record<string, unknown>>;
  const missing = FUNCTIONS.filter((f) => typeof m[f] !== 'function');
  if (missing.length > 0 || !(m.HEAP_DATA_VIEW instanceof DataView))
    throw new Error(
      `the bundled web-tree-sitter runtime lacks ${missing.join(', ') || 'HEAP_DATA_VIEW'}: Reglens was built ` +
        'against another version of it; reinstall the extension or run `npm ci && npm run build`.',
    );
  runtime = module as CursorRuntime;
  transfer = runtime._ts_init();
}

/** The four words of web-tree-sitter's TreeCursor object, which it keeps at indices 0 to 3. */
type CursorWords = TreeCursor & Record<0 | 1 | 2 | 3, number>;

/**
 * One walk of one tree. Between its creation and `delete` the transfer buffer is its own: no other tree-sitter call
 * that uses the buffer (a web-tree-sitter Node or TreeCursor method, a parse) may come in between.
 */
export class DirectCursor {
  private readonly rt: CursorRuntime;
  private readonly tree: number;
  private readonly cursor: CursorWords;

  constructor(tree: Tree) {
    if (!runtime) throw new Error('initParser() must complete before a tree is read');
    this.rt = runtime;
    this.tree = (tree as unknown as Record<0, number>)[0];
    this.cursor = tree.walk() as CursorWords;
    this.store(this.cursor);
  }

  gotoFirstChild(): boolean {
    return this.rt._ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }

  gotoNextSibling(): boolean {
    return this.rt._ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }

  gotoParent(): boolean {
    return this.rt._ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }

  get typeId(): number {
    return this.rt._ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }

  /** The field id of the current node in its parent, 0 for none. */
  get fieldId(): number {
    return this.rt._ts_tree_cursor_current_field_id_wasm(this.tree);
  }

  get startIndex(): number {
    return this.rt._ts_tree_cursor_start_index_wasm(this.tree);
  }

  get endIndex(): number {
    return this.rt._ts_tree_cursor_end_index_wasm(this.tree);
  }

  get isMissing(): boolean {
    return this.rt._ts_tree_cursor_current_node_is_missing_wasm(this.tree) === 1;
  }

  /** Whether an ERROR or MISSING node lies in the current node, hidden ones included. */
  get hasError(): boolean {
    // The node function reads a node from the buffer: the cursor's words are put aside and put back.
    const words = this.load();
    this.rt._ts_tree_cursor_current_node_wasm(this.tree);
    const result = this.rt._ts_node_has_error_wasm(this.tree) === 1;
    this.store(words);
    return result;
  }

  /** Frees the cursor; it must not be used after. */
  delete(): void {
    // The cursor's stack may have moved while it walked: web-tree-sitter frees what its words say.
    Object.assign(this.cursor, this.load());
    this.cursor.delete();
  }

  private load(): Record<0 | 1 | 2 | 3, number> {
    const view = this.rt.HEAP_DATA_VIEW;
    return {
      0: view.getInt32(transfer, true),
      1: view.getInt32(transfer + 4, true),
      2: view.getInt32(transfer + 8, true),
      3: view.getInt32(transfer + 12, true),
    };
  }

  private store(words: Record<0 | 1 | 2 | 3, number>): void {
    const view = this.rt.HEAP_DATA_VIEW;
    for (let i = 0; i < 4; i++) view.setInt32(transfer + 4 * i, words[i as 0 | 1 | 2 | 3], true);
  }
}
