import type { ClassRegularizer } from './catalog';
import type { ModuleDescription, ModuleSummary } from './flow/types';
import type { ImportTable } from './imports';
import type { ExternalLocation, Range } from './types';
import { numericLiteral, type ParameterInfo } from './syntax';

/**
 * What the analysis of one file may know of the rest of the workspace: `WorkspaceScope`, which a `FileModel`
 * receives (the workspace index, server/engine/workspace.ts, implements it), and the `ExternalDefinition`s it
 * answers with: classes and module factories of other files, summarized without tree nodes.
 */

/** A constructor or factory parameter of a class or function in another file: what binding arguments needs. */
export interface ExternalParameter {
  name: string;
  keywordOnly: boolean;
  /** Its default, when that is a number literal. */
  default?: number;
}

/**
 * A class or module factory of another workspace file, as the workspace index keeps it: its summary without
 * tree nodes, and the parameters needed to read a call of it.
 */
export type ExternalDefinition =
  | {
      kind: 'class';
      name: string;
      file: string;
      isModule: boolean;
      summary?: ModuleSummary;
      initParameters: ExternalParameter[];
      /**
       * Whether its `__init__` takes `**kwargs` (a keyword it has no parameter for may still arrive); absent when the
       * class writes no `__init__`.
       */
      initKwargs?: boolean;
      /** What its `self.<name>` submodules are, for attribute chains that reach them (`self.model.dropout`). */
      members?: Record<string, ExternalMember>;
      /** When the class is a regularizer of its own (DINOv2's `DropPath`, fairseq's `FairseqDropout`). */
      regularizer?: ClassRegularizer;
      /**
       * A dropout an instance runs until `model.eval()` (in it, in a submodule, or the class itself when it is a
       * regularizer that stops in evaluation): what a training script of another file needs to know of its model.
       */
      dropout?: ExternalDropout;
    }
  | { kind: 'function'; name: string; file: string; description: ModuleDescription; parameters: ExternalParameter[] }
  | {
      /** A top-level function that evaluates, switches or trains the model a parameter receives (`validate(model)`). */
      kind: 'script-function';
      name: string;
      file: string;
      parameters: ExternalParameter[];
      /** By parameter name. */
      models: Record<string, ModelUse>;
    };

/** What a function of another file does with the model a parameter receives (server/engine/script-functions.ts). */
export interface ModelUse {
  /** Where it calls the model under `no_grad` (or as an evaluation) with no mode switch of its own before. */
  evaluates?: Range;
  /** Its first `model.eval()`. */
  switchesToEval?: Range;
  switchesToTrain?: boolean;
  /** The mode its last switch, in source order, sets: what the caller's model is in after the call. */
  leavesIn?: 'eval' | 'train';
  /** It calls the model and runs a backward pass: a training step. */
  trains?: boolean;
}

/** A dropout of another workspace file: what it is called with, the class that holds it, and where it is. */
export interface ExternalDropout {
  label: string;
  owner: string;
  external: ExternalLocation;
}

/**
 * A submodule of a class of another workspace file, without tree nodes: what it is and, when it is built from a
 * module class of that file, what that class's own submodules are (one level: `self.model.dropout`).
 */
export interface ExternalMember {
  description: ModuleDescription;
  members?: Record<string, ModuleDescription>;
}

/** What the analysis of one file may ask of the rest of the workspace (server/engine/workspace.ts). */
export interface WorkspaceScope {
  /** The definition an imported name (`.layers.Attention`, `mypkg.Block`, as `ImportTable` spells it) refers to. */
  definition(importedName: string): ExternalDefinition | null;
  /** A text that changes whenever a definition this file imports changes, for the analyzer's cache keys. */
  signature(imports: ImportTable): string;
}

/** Parameters as the workspace index keeps them: names, keyword-only, number defaults. */
export function externalParameters(params: readonly ParameterInfo[]): ExternalParameter[] {
  return params.map((p) => {
    const value = numericLiteral(p.default);
    return value === undefined
      ? { name: p.name, keywordOnly: p.keywordOnly }
      : { name: p.name, keywordOnly: p.keywordOnly, default: value };
  });
}
