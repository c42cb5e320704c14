import { MODULE_CONTAINERS, regularizer } from '../catalog';
import type { FileDefinitions, ModuleClass, Submodule } from '../classes';
import { libraryLayer } from '../library';
import type { Node } from '../parser';
import { externalParameters, type ExternalMember, type ExternalParameter } from '../scope';
import { ancestor, callArguments, numericLiteral, parameterList } from '../syntax';
import { argumentsOf, dictEntries, localValue, type Arguments } from './arguments';
import { methodOf, singleReturn } from './methods';
import { roleFromName } from './names';
import { rateOf } from './rates';
import { UNKNOWN_MODULE, type ModuleDescription, type ModuleSummary } from './types';

/**
 * What a submodule is, judged from the expression `__init__` assigns to it (`ModuleDescription`): a regularizer, a
 * library layer, a container, a class of the file (through its summary, which `ForwardAnalysis` computes from its
 * `forward`), a factory, or the same reached through a local name, `functools.partial`, an attribute chain
 * (`self.model.dropout`) or a `ModuleDict`. One per file, owned by its `ForwardAnalysis`.
 */
export class ModuleDescriptions {
  private readonly descriptions = new Map<number, ModuleDescription>();

  constructor(
    readonly model: FileDefinitions,
    /** The summary of a module class of the file, from its `forward`. */
    private readonly summaryOf: (cls: ModuleClass) => ModuleSummary,
  ) {}

  /** What `self.<name>` is, from the assignments in `__init__` (and in the classes it inherits from). */
  describeAttribute(cls: ModuleClass, name: string): ModuleDescription {
    const key = `${cls.name}.${name}`;
    let d = this.attributes.get(key);
    if (!d) {
      d = this.describeAttributeUncached(cls, name);
      this.attributes.set(key, d);
    }
    return d;
  }

  private readonly attributes = new Map<string, ModuleDescription>();

  private describeAttributeUncached(cls: ModuleClass, name: string): ModuleDescription {
    for (const c of [cls, ...this.model.superclassesOf(cls.name)]) {
      const subs = c.members.submodules.filter((s) => s.name === name);
      if (subs.length === 0) continue;
      const described = subs.map((s) => this.describeModule(s.value, c));
      const first = described[0];
      // Assigned differently on different paths (`nn.Dropout(p) if p else nn.Identity()` written as an if): agree or
      // give up.
      if (described.every((d) => d.output === first.output && !!d.regularizer === !!first.regularizer)) {
        const role = first.role ?? (first.regularizer ? undefined : roleFromName(name));
        // `self.layers = nn.ModuleList([])`, filled by `self.layers.append(…)` later in `__init__`.
        const elements =
          first.elements?.length === 0 ? (this.appendedElements(c, name) ?? first.elements) : first.elements;
        return { ...first, role, elements };
      }
      return this.branchesOf(subs, described);
    }
    // Built by a superclass of another workspace file.
    return this.inheritedMember(cls, name)?.description ?? UNKNOWN_MODULE;
  }

  /**
   * A submodule built on different paths of `__init__` that disagree (`if ffn_type == "regularFFN": … elif ffn_type
   * == "1dcnn": self.pos_ffn = nn.Sequential(…, nn.Dropout(dropout))`): unknown as a whole, with the dropouts its
   * output ends with on the paths whose construction ends with one. Only constructions inside an `if` count, so a
   * later unconditional assignment cannot have replaced them.
   */
  private branchesOf(subs: Submodule[], described: ModuleDescription[]): ModuleDescription {
    const drops = described
      .filter(
        (d, i) =>
          d.output === 'regularized' &&
          d.lastDrop?.node &&
          ancestor(subs[i].statement, ['if_statement'], ['function_definition']) &&
          subs.every((s) => ancestor(s.statement, ['if_statement'], ['function_definition'])),
      )
      .map((d) => d.lastDrop!);
    return drops.length ? { output: 'unknown', branchDrops: drops } : UNKNOWN_MODULE;
  }

  /**
   * What an attribute chain rooted at `self` names, through submodules built from classes of this file and
   * `nn.ModuleDict`s: `self.model.dropout` when `self.model = MiniMindModel(config)`, `self.transformer.drop` when
   * `self.transformer = nn.ModuleDict(dict(drop=nn.Dropout(p), …))`, `self.encoder.layers[i].attn` when the layers
   * are a `ModuleList` of one class. Undefined when a link is none of these.
   */
  describeChain(cls: ModuleClass, chain: Node, selfName: string): ModuleDescription | undefined {
    const links: { name: string; indexed: boolean }[] = [];
    let node: Node | null = chain;
    let indexed = false;
    while (node) {
      if (node.type === 'subscript') {
        indexed = true;
        node = node.childForFieldName('value');
      } else if (node.type === 'attribute') {
        links.unshift({ name: node.childForFieldName('attribute')?.text ?? '', indexed });
        indexed = false;
        node = node.childForFieldName('object');
      } else break;
    }
    if (node?.type !== 'identifier' || node.text !== selfName || indexed || links.length === 0) return undefined;
    let scope = { cls } as ChainScope;
    for (const [i, link] of links.entries()) {
      const last = i === links.length - 1;
      // A class of another workspace file: what its index entry keeps of its submodules, one level deep.
      if (scope.members) {
        const member: ExternalMember | undefined = link.indexed ? undefined : scope.members[link.name];
        if (!member || last) return member?.description;
        if (!member.members) return undefined;
        scope = { members: asMembers(member.members) };
        continue;
      }
      if (last && !link.indexed && scope.cls) return i === 0 ? undefined : this.describeAttribute(scope.cls, link.name);
      const found = this.linkValues(scope, link.name);
      if (!found) {
        // Built by a superclass of another workspace file (`class MiniMindVLM(MiniMindForCausalLM)`).
        const inherited: ExternalMember | undefined =
          scope.cls && !link.indexed ? this.inheritedMember(scope.cls, link.name) : undefined;
        if (!inherited?.members) return undefined;
        scope = { members: asMembers(inherited.members) };
        continue;
      }
      const values = link.indexed ? found.values.map((v) => this.elementOf(v)) : found.values;
      if (values.some((v) => !v)) return undefined;
      if (last) return values.length === 1 ? this.describeModule(values[0]!, found.owner) : undefined;
      const next = this.scopeOf(values as Node[], found.owner);
      if (!next) return undefined;
      scope = next;
    }
    return undefined;
  }

  /** The expressions a link of a chain is built by, and the class whose `__init__` builds them. */
  private linkValues(scope: ChainScope, name: string): { values: Node[]; owner: ModuleClass } | undefined {
    if (scope.entries) {
      const value = scope.entries.get(name);
      return value && { values: [value], owner: scope.owner };
    }
    if (!scope.cls) return undefined;
    for (const c of [scope.cls, ...this.model.superclassesOf(scope.cls.name)]) {
      const subs = c.members.submodules.filter((s) => s.name === name);
      if (subs.length) return { values: subs.map((s) => s.value), owner: c };
    }
    return undefined;
  }

  /** Where the next link of a chain is looked up: the one class of the file all `values` build, or a `ModuleDict`. */
  private scopeOf(values: Node[], owner: ModuleClass): ChainScope | undefined {
    const classes = values.map((v) => this.constructedClass(v));
    if (classes[0] && classes.every((k) => k === classes[0])) return { cls: classes[0] };
    // `self.model = MiniMindModel(config)`, the class imported from another workspace file.
    const callee = values.length === 1 && values[0].type === 'call' ? values[0].childForFieldName('function') : null;
    const qualified = callee ? this.model.imports.resolve(callee) : null;
    const external = qualified !== null ? this.model.workspace?.definition(qualified) : null;
    if (external?.kind === 'class' && external.members) return { members: external.members };
    const entries = values.length === 1 ? moduleDictEntries(values[0], this.model) : undefined;
    return entries && { entries, owner };
  }

  /** The module class of this file every assignment of `self.<name>` builds, for chains that go through it. */
  classOfAttribute(cls: ModuleClass, name: string): ModuleClass | undefined {
    const found = this.linkValues({ cls }, name);
    const next = found && this.scopeOf(found.values, found.owner);
    return next?.cls;
  }

  /** `self.<name>` as a superclass of another workspace file builds it, from the index's entry for that class. */
  private inheritedMember(cls: ModuleClass, name: string): ExternalMember | undefined {
    for (const c of [cls, ...this.model.superclassesOf(cls.name)]) {
      for (const base of c.bases) {
        const imports = this.model.imports;
        const qualified = base.includes('.') ? imports.resolveChain(base) : imports.resolveName(base);
        const external = qualified ? this.model.workspace?.definition(qualified) : null;
        const member = external?.kind === 'class' ? external.members?.[name] : undefined;
        if (member) return member;
      }
    }
    return undefined;
  }

  private constructedClass(value: Node): ModuleClass | undefined {
    const callee = value.type === 'call' ? value.childForFieldName('function') : null;
    if (callee?.type !== 'identifier' || this.model.imports.resolve(callee) !== null) return undefined;
    const local = this.model.classes.get(callee.text);
    return local?.isModule ? local : undefined;
  }

  /** `nn.ModuleList([Block(…) for _ in range(n)])`: the expression every element is built by. */
  private elementOf(value: Node | undefined): Node | null {
    if (!value) return null;
    if (
      value.type !== 'call' ||
      !MODULE_CONTAINERS.has(this.model.imports.resolve(value.childForFieldName('function')) ?? '')
    )
      return null;
    const list = callArguments(value)[0];
    if (list?.type === 'list_comprehension') return list.childForFieldName('body');
    const items = list?.type === 'list' ? list.namedChildren.filter((n): n is Node => !!n) : [];
    return items.length === 1 ? items[0] : null;
  }

  /** `self.layers.append(nn.ModuleList([attn, ff]))` in `__init__`: what the appended element is. */
  private appendedElements(cls: ModuleClass, name: string): ModuleDescription[] | undefined {
    for (const ref of cls.members.selfReferences.get(name) ?? []) {
      const member = ref.parent;
      if (member?.type !== 'attribute' || member.childForFieldName('attribute')?.text !== 'append') continue;
      const call = member.parent;
      if (call?.type !== 'call') continue;
      const arg = callArguments(call)[0];
      if (arg) return [this.describeModule(arg, cls)];
    }
    return undefined;
  }

  describeModule(value: Node, owner: ModuleClass | null, depth = 0): ModuleDescription {
    const cached = this.descriptions.get(value.id);
    if (cached) return cached;
    const d = depth > 6 ? UNKNOWN_MODULE : this.describeUncached(value, owner, depth);
    this.descriptions.set(value.id, d);
    return d;
  }

  private describeUncached(value: Node, owner: ModuleClass | null, depth: number): ModuleDescription {
    const model = this.model;
    switch (value.type) {
      case 'parenthesized_expression':
        return value.namedChild(0) ? this.describeModule(value.namedChild(0)!, owner, depth + 1) : UNKNOWN_MODULE;
      case 'conditional_expression': {
        const branches = value.namedChildren.filter((n): n is Node => !!n);
        const [a, b] = [branches[0], branches[branches.length - 1]].map((n) =>
          this.describeModule(n, owner, depth + 1),
        );
        return agreeing(a, b);
      }
      case 'identifier': {
        const init = owner ? methodOf(model, owner, '__init__') : undefined;
        if (init && parameterList(init).some((p) => p.name === value.text))
          return { output: 'unknown', initParameter: value.text };
        return UNKNOWN_MODULE;
      }
      case 'list':
      case 'tuple':
        return {
          output: 'unknown',
          elements: value.namedChildren
            .filter((n): n is Node => !!n)
            .map((n) => this.describeModule(n, owner, depth + 1)),
        };
      case 'list_comprehension':
      case 'generator_expression': {
        // `nn.ModuleList([Block(…) for _ in range(depth)])`: every element is the same construction.
        const body = value.childForFieldName('body');
        return { output: 'unknown', elements: body ? [this.describeModule(body, owner, depth + 1)] : [] };
      }
      case 'call':
        break;
      default:
        return UNKNOWN_MODULE;
    }
    return this.describeCall(value, value.childForFieldName('function'), argumentsOf(value), owner, depth, 0);
  }

  /**
   * A call that builds a module. `callee` names what it builds: the call's own function, or what a local name of
   * `__init__` holds (`ff_cls = MoE if use_moe else FeedForward`, `ff_layer = partial(FeedForward, dropout=p)`);
   * `args` is what it receives. `hops` bounds the local names followed.
   */
  private describeCall(
    value: Node,
    callee: Node | null,
    args: Arguments,
    owner: ModuleClass | null,
    depth: number,
    hops: number,
  ): ModuleDescription {
    const model = this.model;
    const qualified = model.imports.resolve(callee);
    const spec = regularizer(qualified);
    if (spec?.form === 'module') {
      const arg = args(spec.rate);
      const rate =
        typeof arg === 'object'
          ? rateOf(model, owner, arg.node)
          : spec.qualifiedName === 'torch.nn.Dropout'
            ? { text: '0.5', value: 0.5 }
            : undefined;
      const label = callee?.text ?? spec.qualifiedName;
      return {
        regularizer: { spec, rate, node: value },
        output: 'regularized',
        lastDrop: { node: value, label, rate, owner: owner?.name ?? '', kind: spec.kind },
      };
    }
    // A container's elements are its own call's arguments.
    if (qualified && MODULE_CONTAINERS.has(qualified) && callee?.id === value.childForFieldName('function')?.id) {
      const args = callArguments(value);
      if (qualified === 'torch.nn.Sequential') {
        const elements = args
          .filter((a) => a.type !== 'keyword_argument')
          .map((a) => this.describeModule(a, owner, depth + 1));
        if (elements.length === 0 || args.some((a) => a.type === 'list_splat')) return UNKNOWN_MODULE;
        return sequenceOf(elements);
      }
      const list = args[0];
      if (list && list.type !== 'keyword_argument') {
        const inner = this.describeModule(list, owner, depth + 1);
        if (inner.elements) return { output: 'unknown', elements: inner.elements };
      }
      return UNKNOWN_MODULE;
    }
    const layer = libraryLayer(qualified);
    if (layer) {
      if (layer.regularizedInside) return { role: layer.role, output: 'regularized' };
      if (layer.role === 'identity' || layer.role === 'activation')
        return { role: layer.role, output: 'unregularized', preservesInput: true };
      if (!layer.outputDropout) return { role: layer.role, output: 'unregularized' };
      const arg = args(layer.outputDropout);
      if (arg === 'unknown') return { role: layer.role, output: 'unknown' };
      if (arg === 'absent')
        return layer.outputDropout.default > 0
          ? { role: layer.role, output: 'regularized' }
          : { role: layer.role, output: 'unregularized' };
      const rate = rateOf(model, owner, arg.node);
      return rate.value === 0
        ? { role: layer.role, output: 'unregularized' }
        : {
            role: layer.role,
            output: 'regularized',
            lastDrop: {
              node: arg.node,
              label: `${callee?.text}(${layer.outputDropout.name}=…)`,
              rate,
              owner: owner?.name ?? '',
              kind: 'dropout',
            },
          };
    }
    if (callee?.type === 'identifier' && qualified === null) {
      const local = model.classes.get(callee.text);
      if (local?.isModule) {
        const init = methodOf(model, local, '__init__');
        return this.describeConstruction(
          this.summaryOf(local),
          init ? externalParameters(parameterList(init).slice(1)) : [],
          args,
          owner,
          depth,
        );
      }
      const fn = model.functions.get(callee.text);
      if (fn) {
        const made = this.factoryDescription(fn.name, fn.node, depth);
        if (made) return this.describeFactoryCall(made, externalParameters(parameterList(fn.node)), args, owner);
      }
      // A local name of `__init__` that holds what is built.
      const held = hops < 3 && !fn ? localValue(callee.text, value) : undefined;
      if (held) return this.describeHeld(value, held, args, owner, depth, hops + 1);
    }
    // A class or factory of another workspace file (`from .layers import Attention`), summarized by the workspace
    // index.
    const external = qualified !== null ? model.workspace?.definition(qualified) : null;
    if (external?.kind === 'class' && external.isModule && external.summary)
      return this.describeConstruction(external.summary, external.initParameters, args, owner, depth);
    if (external?.kind === 'function')
      return this.describeFactoryCall(external.description, external.parameters, args, owner);
    return UNKNOWN_MODULE;
  }

  /** What a call builds through a local name that holds a class: the class, either of two, or a `partial` of it. */
  private describeHeld(
    value: Node,
    held: Node,
    args: Arguments,
    owner: ModuleClass | null,
    depth: number,
    hops: number,
  ): ModuleDescription {
    if (held.type === 'identifier' || held.type === 'attribute')
      return this.describeCall(value, held, args, owner, depth, hops);
    if (held.type === 'conditional_expression') {
      // Chosen at run time: both are described, and they must agree.
      const branches = held.namedChildren.filter((n): n is Node => !!n);
      const [a, b] = [branches[0], branches[branches.length - 1]].map((n) =>
        this.describeHeld(value, n, args, owner, depth, hops),
      );
      return agreeing(a, b);
    }
    if (
      held.type === 'call' &&
      this.model.imports.resolve(held.childForFieldName('function')) === 'functools.partial'
    ) {
      const [target, ...fixed] = callArguments(held);
      // Positional arguments fixed by `partial` would shift the call's own: not followed.
      if (!target || fixed.some((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat'))
        return UNKNOWN_MODULE;
      return this.describeCall(value, target, argumentsOf(value, held), owner, depth, hops);
    }
    return UNKNOWN_MODULE;
  }

  /**
   * What a module factory of this file returns (lucidrains' `def FeedForward(dim, mult, dropout): return
   * nn.Sequential(…, nn.Dropout(dropout))`), with its rate still the function's parameter; undefined when it
   * does not return one expression.
   */
  factoryDescription(name: string, fn: Node, depth = 0): ModuleDescription | undefined {
    const returned = singleReturn(fn);
    if (!returned) return undefined;
    // The depth goes on: a factory that returns a call of itself (or of one that calls it back) must end.
    const inner = this.describeModule(returned, null, depth + 1);
    return {
      ...inner,
      lastDrop: inner.lastDrop && { ...inner.lastDrop, owner: name },
      role: inner.role ?? roleFromName(name),
    };
  }

  /** A call of a module factory: the rate of the dropout it ends with is read from this call when it is passed. */
  private describeFactoryCall(
    made: ModuleDescription,
    params: ExternalParameter[],
    args: Arguments,
    owner: ModuleClass | null,
  ): ModuleDescription {
    let lastDrop = made.lastDrop;
    const index = lastDrop?.rate ? params.findIndex((p) => p.name === lastDrop!.rate!.text) : -1;
    if (lastDrop && index >= 0) {
      const arg = args({ name: params[index].name, position: params[index].keywordOnly ? -1 : index });
      const fallback = params[index].default;
      if (typeof arg === 'object') lastDrop = { ...lastDrop, rate: rateOf(this.model, owner, arg.node) };
      else if (arg === 'absent' && fallback !== undefined)
        lastDrop = { ...lastDrop, rate: { text: String(fallback), value: fallback } };
    }
    return { ...made, lastDrop };
  }

  /** `initParameters`: the constructor's parameters after `self`. */
  private describeConstruction(
    summary: ModuleSummary,
    initParameters: ExternalParameter[],
    args: Arguments,
    owner: ModuleClass | null,
    depth: number,
  ): ModuleDescription {
    if (summary.passthrough) {
      const params = initParameters;
      const index = params.findIndex((p) => p.name === summary.passthrough);
      const arg =
        index < 0 ? 'absent' : args({ name: summary.passthrough, position: params[index].keywordOnly ? -1 : index });
      if (typeof arg === 'object') {
        return this.describeModule(arg.node, owner, depth + 1);
      }
      return UNKNOWN_MODULE;
    }
    let output = summary.output;
    let lastDrop = summary.lastDrop;
    // `Attention(dim, proj_drop=0.0)`: the dropout its output ends with is switched off by the caller.
    if (output === 'regularized' && summary.outputDropout) {
      const arg = args(summary.outputDropout);
      if (typeof arg === 'object' && numericLiteral(arg.node) === 0) {
        output = 'unregularized';
        lastDrop = undefined;
      } else if (typeof arg === 'object' && lastDrop) {
        lastDrop = { ...lastDrop, rate: rateOf(this.model, owner, arg.node) };
      }
    }
    return {
      role: summary.role,
      output,
      lastDrop,
      preservesInput: summary.preservesInput,
      residual: summary.residual,
    };
  }
}

/** Where a chain's next link is looked up: a class of this file, a `ModuleDict`, or another file's class. */
type ChainScope =
  | { cls: ModuleClass; entries?: undefined; members?: undefined }
  | { cls?: undefined; entries: Map<string, Node>; owner: ModuleClass; members?: undefined }
  | { cls?: undefined; entries?: undefined; members: Record<string, ExternalMember> };

function asMembers(descriptions: Record<string, ModuleDescription>): Record<string, ExternalMember> {
  return Object.fromEntries(Object.entries(descriptions).map(([k, description]) => [k, { description }]));
}

/** `nn.ModuleDict(dict(drop=nn.Dropout(p), …))` or `nn.ModuleDict({"drop": nn.Dropout(p)})`: its entries by key. */
function moduleDictEntries(value: Node, model: FileDefinitions): Map<string, Node> | undefined {
  if (value.type !== 'call' || model.imports.resolve(value.childForFieldName('function')) !== 'torch.nn.ModuleDict')
    return undefined;
  const arg = callArguments(value)[0];
  return arg ? dictEntries(arg) : undefined;
}

/** Two modules chosen at run time, as one: what both are, else unknown. */
function agreeing(a: ModuleDescription, b: ModuleDescription): ModuleDescription {
  // `DropPath(r) if r > 0 else nn.Identity()`: a regularizer that may be switched off.
  if (a.regularizer && (b.regularizer || b.role === 'identity')) return a;
  if (b.regularizer && a.role === 'identity') return b;
  return a.output === b.output && a.role === b.role ? a : UNKNOWN_MODULE;
}

function sequenceOf(elements: ModuleDescription[]): ModuleDescription {
  // The last element that is not element-wise decides what the output went through last.
  let i = elements.length - 1;
  while (i >= 0 && elements[i].preservesInput && !elements[i].regularizer) i--;
  if (i < 0) return { output: 'unregularized', preservesInput: true };
  const last = elements[i];
  if (last.regularizer) return { output: 'regularized', lastDrop: last.lastDrop };
  if (last.output === 'unknown') return UNKNOWN_MODULE;
  return {
    output: last.output,
    lastDrop: last.lastDrop,
    role: elements.some((e) => e.role === 'linear') && elements.length > 1 ? undefined : last.role,
  };
}
