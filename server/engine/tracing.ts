/**
 * The module classes of a file that it hands to a `torch.fx` tracer (`symbolic_trace`, PyTorch Geometric's
 * `to_hetero`): tracing runs `forward` once and keeps only tensor operations, so Python values read there, such as
 * `self.training`, become constants of the graph. A fact about the whole file, so it is part of the analysis
 * context: adding a tracing call re-checks the classes it traces.
 */
import type { FileModel } from './model';
import type { Node } from './parser';
import { scopeOf } from './script-models';
import { callArguments, walk, CALL_NODES } from './syntax';

const FX_TRACERS = new Set([
  'torch.fx.symbolic_trace',
  'torch_geometric.nn.to_hetero',
  'torch_geometric.nn.to_hetero_with_bases',
  'torch_geometric.nn.to_hetero_transformer.to_hetero',
  'torch_geometric.nn.to_hetero_with_bases_transformer.to_hetero_with_bases',
]);

const TRACER_NAMES = /symbolic_trace|to_hetero/;

export interface FxTrace {
  call: Node;
  /** The tracer as the file spells it. */
  name: string;
}

const memo = new WeakMap<FileModel, Map<string, FxTrace>>();

/** Traced classes of the file by name, each with the first call that traces it. */
export function fxTracedClasses(model: FileModel): ReadonlyMap<string, FxTrace> {
  let found = memo.get(model);
  if (found) return found;
  const map = new Map<string, FxTrace>();
  memo.set(model, map);
  found = map;
  // Most files never trace: `symbolic_trace` or `to_hetero` must be spelled somewhere before the tree is walked.
  if (!model.file.mentions(TRACER_NAMES)) return map;
  walk(
    model.file.root,
    (call) => {
      const fn = call.childForFieldName('function');
      const qualified = model.imports.resolve(fn);
      if (!qualified || !FX_TRACERS.has(qualified)) return;
      const traced = callArguments(call)[0];
      const cls = traced && classOfValue(model, traced, call);
      if (cls && !map.has(cls)) map.set(cls, { call, name: fn!.text });
    },
    CALL_NODES,
  );
  return map;
}

/** `GNN(...)`, or a name (`model`, `self.encoder`) that the same function assigned from one. */
function classOfValue(model: FileModel, value: Node, at: Node): string | undefined {
  if (value.type === 'call') {
    const name = value.childForFieldName('function')?.text ?? '';
    return model.classes.get(name)?.isModule ? name : undefined;
  }
  if (value.type !== 'identifier' && value.type !== 'attribute') return undefined;
  let cls: string | undefined;
  walk(scopeOf(at), (n) => {
    if (n.type !== 'assignment' || n.endIndex > at.startIndex) return;
    const right = n.childForFieldName('right');
    if (n.childForFieldName('left')?.text === value.text && right?.type === 'call')
      cls = classOfValue(model, right, at);
  });
  return cls;
}
