/**
 * ts-morph, loaded with `require`: importing the CommonJS package from ESM
 * makes Node scan its source for named exports, about 0.15 s of the frontend's
 * cold start. Types come from `import type ... from 'ts-morph'` as usual.
 */
import { createRequire } from 'node:module';
import type * as TsMorph from 'ts-morph';

const tsMorph = createRequire(import.meta.url)('ts-morph') as typeof TsMorph;

export const Node = tsMorph.Node;
export type Node = TsMorph.Node;
export const SyntaxKind = tsMorph.SyntaxKind;
export type SyntaxKind = TsMorph.SyntaxKind;
export const Project = tsMorph.Project;
export type Project = TsMorph.Project;
export const ScriptKind = tsMorph.ScriptKind;
export type ScriptKind = TsMorph.ScriptKind;
export const VariableDeclarationKind = tsMorph.VariableDeclarationKind;
export const ts = tsMorph.ts;
export const createWrappedNode = tsMorph.createWrappedNode;
