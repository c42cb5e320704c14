import type { Parameter } from '../catalog';
import type { FileDefinitions, ModuleClass } from '../classes';
import type { Node } from '../parser';
import { parameterList } from '../syntax';
import { ModuleDescriptions } from './descriptions';
import { BudgetExceeded, MAX_STEPS } from './expression-evaluator';
import { entryBindings, MethodEvaluator } from './method-evaluator';
import { calledNames, methodOf } from './methods';
import { nonZeroRateNames, roleFromName } from './names';
import { dropKind, type MethodFlow, type ModuleDescription, type ModuleSummary, type Rate } from './types';

/**
 * The data flow of `nn.Module` methods, for the structure rules (RG001, RG002, RG009, RG010). Each method is
 * evaluated abstractly, statement by statement, over `FlowValue`s: what a tensor has been through (its last
 * dropout, whether it is an unregularized sublayer output, which modalities it carries and whether each was
 * dropped). Branches are evaluated apart and joined, loops twice, helper methods of the class with their
 * parameters bound. Submodules are described from `__init__` (descriptions.ts) and classes of the file are
 * summarized from their own `forward` (`ModuleSummary`), so a block knows whether its attention already ends
 * with a dropout. Anything not understood is opaque, and opaque values never produce findings.
 *
 * This file holds `ForwardAnalysis`, the analysis of one file: method flows (evaluated by method-evaluator.ts),
 * class summaries and the dependencies of a class's findings; what a submodule is, it asks descriptions.ts.
 * Which flow facts become findings is decided in findings.ts.
 */

/** The local names a class or function calls (`ForwardAnalysis.references`), by its node. */
const referencesByNode = new WeakMap<Node, { name: string; signature: string; refs: string[] }>();
let lastSignature = '';

/** The flow analysis of one file: summaries per class, evaluated on first use. One per `FileModel`. */
export class ForwardAnalysis {
  private readonly summaries = new Map<string, ModuleSummary>();
  private readonly inProgress = new Set<string>();
  private readonly flows = new Map<number, MethodFlow>();
  private rateNames: ReadonlySet<string> | undefined;

  /** What `self.<name>` is (descriptions.ts). */
  readonly modules: ModuleDescriptions;

  constructor(readonly model: FileDefinitions) {
    this.modules = new ModuleDescriptions(model, (cls) => this.summary(cls));
  }

  describeAttribute(cls: ModuleClass, name: string): ModuleDescription {
    return this.modules.describeAttribute(cls, name);
  }

  describeChain(cls: ModuleClass, chain: Node, selfName: string): ModuleDescription | undefined {
    return this.modules.describeChain(cls, chain, selfName);
  }

  factoryDescription(name: string, fn: Node): ModuleDescription | undefined {
    return this.modules.factoryDescription(name, fn);
  }

  /**
   * Names the file sets to a non-zero rate (`Block(dropout=0.1)`, `"resid_pdrop": 0.1`, `drop_rate: float = 0.2`):
   * a rate whose default is 0 is raised by the file's own configuration when its name is among them (RG002's latent
   * findings). Part of the cache's context: an edit to a config changes findings in other statements.
   */
  get nonZeroRates(): ReadonlySet<string> {
    this.rateNames ??= nonZeroRateNames(this.model.file.root);
    return this.rateNames;
  }

  /** The flow of one method of a module class, evaluated with its parameters unknown. */
  methodFlow(cls: ModuleClass, method: Node): MethodFlow {
    let flow = this.flows.get(method.id);
    if (!flow) {
      flow = { returns: [], residuals: [], droppedBranches: [], doubles: [], logits: [], fusions: [] };
      this.flows.set(method.id, flow);
      const evaluator = new MethodEvaluator(this, cls, method, flow, 0, null, { steps: MAX_STEPS });
      try {
        flow.returns = evaluator.run(entryBindings(method));
      } catch (e) {
        if (!(e instanceof BudgetExceeded)) throw e;
        // Nested loops and helpers can multiply the work; a method too big to follow is unknown, not half-known.
        Object.assign(flow, {
          returns: [{ opaque: true }],
          residuals: [],
          droppedBranches: [],
          doubles: [],
          logits: [],
          fusions: [],
        });
      }
    }
    return flow;
  }

  /**
   * The flows of every method of a class: each method is an entry point (helpers are also followed from their callers).
   */
  classFlows(cls: ModuleClass): MethodFlow[] {
    if (!cls.isModule) return [];
    return [...cls.members.methods.values()].map((m) => this.methodFlow(cls, m));
  }

  summary(cls: ModuleClass): ModuleSummary {
    const cached = this.summaries.get(cls.name);
    if (cached) return cached;
    // A class that (through its submodules) contains itself cannot be summarized from itself.
    if (this.inProgress.has(cls.name)) return { output: 'unknown', preservesInput: false };
    this.inProgress.add(cls.name);
    try {
      const summary = this.computeSummary(cls);
      this.summaries.set(cls.name, summary);
      return summary;
    } finally {
      this.inProgress.delete(cls.name);
    }
  }

  private referenceCache = new Map<string, string[]>();
  private localNames: { set: ReadonlySet<string>; signature: string } | undefined;

  /**
   * Classes and functions of this file whose summaries a class's findings may depend on: every local class or
   * function it calls by name, and theirs in turn. Read from the text, so that deciding whether cached findings
   * still hold costs a scan, not an evaluation.
   */
  dependencies(cls: ModuleClass): Node[] {
    // A submodule may be built in a superclass's `__init__` (`self.model = MiniMindModel(config)`) and reached from
    // here through `self.model.dropout`: what the superclasses build counts too.
    const supers = this.model.superclassesOf(cls.name).map((c) => c.name);
    // Asked for every class on every edit; most call nothing of the file.
    if (supers.length === 0 && this.references(cls.name).length === 0) return [];
    const out: Node[] = [];
    const seen = new Set([cls.name, ...supers]);
    const queue = [cls.name, ...supers];
    while (queue.length) {
      const name = queue.shift()!;
      for (const ref of this.references(name)) {
        if (seen.has(ref)) continue;
        seen.add(ref);
        const node = this.model.classes.get(ref)?.node ?? this.model.functions.get(ref)?.node;
        if (node) {
          out.push(node);
          queue.push(ref);
        }
      }
    }
    return out;
  }

  private references(name: string): string[] {
    let refs = this.referenceCache.get(name);
    if (refs) return refs;
    const cls = this.model.classes.get(name);
    const def = cls ? cls.node : this.model.functions.get(name)?.node;
    if (!def) refs = [];
    else {
      // Asked for every class on every edit: a statement the edit left alone, in a file whose local names are the
      // same, calls the same ones.
      const local = this.local();
      const known = referencesByNode.get(def);
      if (known?.name === name && known.signature === local.signature) refs = known.refs;
      else {
        refs = calledNames(def).filter((n) => n !== name && local.set.has(n));
        referencesByNode.set(def, { name, signature: local.signature, refs });
      }
    }
    this.referenceCache.set(name, refs);
    return refs;
  }

  /** The names of the file's classes and functions, with a string that is the same object while they stay. */
  private local(): { set: ReadonlySet<string>; signature: string } {
    if (!this.localNames) {
      const names = [...this.model.classes.keys(), ...this.model.functions.keys()];
      let signature = names.join('\n');
      // The last file's string when equal, so each statement's memo compares one pointer, not 300 names.
      if (signature === lastSignature) signature = lastSignature;
      else lastSignature = signature;
      this.localNames = { set: new Set(names), signature };
    }
    return this.localNames;
  }

  private computeSummary(cls: ModuleClass): ModuleSummary {
    const role = roleFromName(cls.name) ?? (/block|layer$/i.test(cls.name) ? 'block' : undefined);
    const forward = methodOf(this.model, cls, 'forward');
    if (!forward || !cls.closedHierarchy) return { role, output: 'unknown', preservesInput: false };
    const flow = this.methodFlow(cls, forward);
    const returns = flow.returns.map((v) => (v.elements ? (v.elements[0] ?? {}) : v));
    if (returns.length === 0) return { role, output: 'unknown', preservesInput: false };
    const preservesInput = returns.every((v) => v.fromInput);
    const residual = returns.some((v) => v.stream) && returns.every((v) => v.stream || v.fromInput);
    const passthrough = returns.every((v) => v.passthrough && v.passthrough === returns[0].passthrough)
      ? returns[0].passthrough
      : undefined;
    let output: ModuleSummary['output'];
    if (returns.some((v) => v.opaque && !v.drop)) output = 'unknown';
    else if (returns.every((v) => v.drop)) output = 'regularized';
    else if (returns.every((v) => !v.drop)) output = 'unregularized';
    else output = 'unknown';
    const drop = returns[0].drop;
    const lastDrop =
      output === 'regularized' && drop
        ? {
            node: drop.inner ? drop.inner.node : drop.call,
            external: drop.inner?.external,
            label: drop.inner?.label ?? drop.label,
            rate: drop.rate,
            owner: drop.inner?.owner ?? cls.name,
            kind: dropKind(drop),
          }
        : undefined;
    return {
      role,
      output,
      lastDrop,
      preservesInput,
      residual: residual || undefined,
      passthrough,
      outputDropout: lastDrop ? this.rateParameter(cls, lastDrop.rate) : undefined,
    };
  }

  /** The `__init__` parameter a rate comes from, as a constructor parameter of the class. */
  private rateParameter(cls: ModuleClass, rate: Rate | undefined): Parameter | undefined {
    if (!rate) return undefined;
    const init = methodOf(this.model, cls, '__init__');
    if (!init) return undefined;
    const params = parameterList(init).slice(1);
    const position = params.findIndex((p) => p.name === rate.text);
    if (position < 0) return undefined;
    return { name: rate.text, position: params[position].keywordOnly ? -1 : position };
  }
}
