import type { GraphDocument, GraphNode, LockedModel } from '../graph/document';
import { parsePortRef } from '../graph/document';
import { briefText, describeValue, GraphError, NodeError } from '../graph/errors';
import { checkParam, type ParamValue } from '../graph/params';
import { loadGraph, placeholderIssue } from '../graph/validate';
import type { GraphIssue } from '../graph/errors';
import { missingRequired, own } from '../graph/catalog';
import { flattenGraph, subgraphName, type FlatInstance } from '../graph/subgraph';
import { MemoCache } from './cache';
import type { NodeDefinition } from '../node-api/define';
import type { NodeEvent, NodeNote, NodeResult, RunResult } from './events';
import { nodeKey, sha256Hex } from './hash';
import { AbortError, isAbortError, type EngineServices } from '../node-api/services';
import { bypassOutputs, checkOutputs, runContext, withSubgraphTypes } from './node-io';
import { originOf, textSource } from './origin';
import { checkLoader, loadsModels, ModelLockError, modelsOfOutputs, nextLock } from './model-lock';

export type NodeRegistry = ReadonlyMap<string, NodeDefinition>;

export interface RunOptions {
  /** Nodes whose outputs are wanted (with what they need); default: every node. */
  targets?: string[];
  signal?: AbortSignal;
  onEvent?: (event: NodeEvent) => void;
  /** Most nodes running at once (async nodes overlap). */
  concurrency?: number;
}

export interface EngineOptions {
  cacheBytes?: number;
}

interface Plan {
  nodes: Map<string, GraphNode>;
  keys: Map<string, string>;
  params: Map<string, Record<string, ParamValue>>;
}

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * Evaluates a graph document: the nodes the targets need, in dependency
 * order, independent ones concurrently, every output memoized by its
 * Merkle key so a change re-runs only what depends on it.
 */
export class Engine {
  readonly cache: MemoCache;
  private doc: GraphDocument | null = null;
  /** The loaded graph with its subgraphs inlined: what runs. */
  private flat: GraphNode[] = [];
  private instances = new Map<string, FlatInstance>();
  /** Flat ids of the nodes that opened as placeholders, with why they cannot run. */
  private placeholders = new Map<string, GraphIssue>();
  /** The registry plus the loaded graph's subgraph types (pass-through nodes after flattening). */
  private defs: NodeRegistry;
  private lastKeys = new Map<string, string>();
  private runCounter = 0;
  private controllers = new Set<AbortController>();
  /** What nodes noted while computing a result (memo key -> notes), said again when the result is cached. */
  private notes = new Map<string, Array<{ message: string; field?: string }>>();
  /** Per node: the key computed for its params at a revision and its inputs' keys, reused while both hold. */
  private keyMemo = new Map<
    string,
    { revision: number; inputsSig: string; key: string; params: Record<string, ParamValue> }
  >();
  private revisions = new Map<string, number>();
  private keyContext = '';
  /** Whether loaders check what they open against the graph's model lock ('ignore': --unlock). */
  private lockPolicy: 'enforce' | 'ignore' = 'enforce';

  constructor(
    readonly registry: NodeRegistry,
    readonly services: EngineServices,
    opts: EngineOptions = {},
  ) {
    this.cache = new MemoCache(opts.cacheBytes);
    this.defs = registry;
  }

  /** What else decides results (the model backend); a change re-keys every node, so the next run computes afresh. */
  setKeyContext(context: string): void {
    if (context === this.keyContext) return;
    this.keyContext = context;
    this.keyMemo.clear();
  }

  /**
   * The model lock to save with the graph, from what its loaders opened in the latest runs (placeholders
   * and loaders not run yet open nothing): see nextLock.
   */
  modelLock(): LockedModel[] {
    const models = this.services.models;
    if (!this.doc || !models) return this.doc?.models ?? [];
    const opened: LockedModel[] = [];
    // a loader that opened nothing (failed, not run, bypassed) or a placeholder (maybe a loader of a newer
    // product) keeps the entries the lock had for it
    let failed = this.placeholders.size > 0 || this.flat.some((n) => n.bypass && this.isLoader(n));
    for (const n of this.loaderIds()) {
      const outs = this.outputsOf(n);
      const node = this.flat.find((f) => f.id === n)!;
      // outputs held against the lock as it is now (cached ones made under another lock fail it)
      if (outs && !this.lockProblem(n, node, outs)) opened.push(...modelsOfOutputs(models, outs));
      else failed = true;
    }
    return nextLock(this.doc, opened, failed);
  }

  private isLoader(n: GraphNode): boolean {
    const def = this.defs.get(n.type);
    return !!def && !subgraphName(n.type) && loadsModels(def);
  }

  /** The model ids the loaders name (params.model), to tell which loader a locked model belongs to. */
  loaderModels(): string[] {
    return this.flat
      .filter((n) => this.isLoader(n))
      .map((n) => n.params?.model)
      .filter((m): m is string => typeof m === 'string');
  }

  /** A node's params (flat id), its type's defaults filled in. */
  paramsOf(nodeId: string): Record<string, ParamValue> {
    const node = this.flat.find((n) => n.id === nodeId);
    if (!node) throw new GraphError([{ nodeId, message: 'no such node in the graph' }]);
    const def = this.defs.get(node.type);
    const out: Record<string, ParamValue> = {};
    for (const [name, schema] of Object.entries(def?.params ?? {})) out[name] = schema.default;
    return { ...out, ...node.params };
  }

  /** The flat ids of the loaded graph's loader nodes (a Model output; placeholders left out). */
  loaderIds(): string[] {
    return this.flat
      .filter((n) => !this.placeholders.has(n.id) && !n.bypass)
      .filter((n) => this.isLoader(n))
      .map((n) => n.id);
  }

  /** Whether loaders hold to the graph's model lock (the default) or run with the models here. */
  setLockPolicy(policy: 'enforce' | 'ignore'): void {
    this.lockPolicy = policy; // not in the keys: loaders' outputs, cached or not, are checked when a run uses them
  }

  get lockPolicyNow(): 'enforce' | 'ignore' {
    return this.lockPolicy;
  }

  /** Loads a graph (text or value). On error throws GraphError and keeps the current graph. */
  load(input: string | unknown): GraphDocument {
    return this.loadWithPlaceholders(input).doc;
  }

  /** Loads a graph, also returning the issues of the nodes that opened as placeholders. */
  loadWithPlaceholders(input: string | unknown): { doc: GraphDocument; placeholders: GraphIssue[] } {
    const loaded = loadGraph(input, this.registry);
    const doc = loaded.doc;
    this.doc = doc;
    this.defs = withSubgraphTypes(this.registry, doc);
    this.reflatten();
    this.keyMemo.clear();
    // results belong to a graph, not to an id: a node of the graph just loaded shows the outputs made by exactly
    // its params and inputs (a cached result of the same work), never those of the previous graph's node of that id
    this.lastKeys = this.plan().keys;
    return loaded;
  }

  private reflatten(): void {
    const { nodes, instances } = flattenGraph(this.doc!);
    this.flat = nodes;
    this.instances = instances;
    this.placeholders.clear();
    for (const n of nodes) {
      if (subgraphName(n.type) && this.defs.has(n.type)) continue; // an instance's pass-through (checked at load)
      const issue = placeholderIssue(n, this.defs);
      if (issue) this.placeholders.set(n.id, issue);
    }
  }

  /** Why a node (flat id) cannot run because it opened as a placeholder, or undefined. */
  placeholderOf(nodeId: string): GraphIssue | undefined {
    return this.placeholders.get(nodeId);
  }

  get graph(): GraphDocument | null {
    return this.doc;
  }

  /** Sets one param, validated against the node's schema. */
  setParam(nodeId: string, name: string, value: ParamValue): void {
    const node = this.requireNode(nodeId);
    const held = this.placeholders.get(nodeId);
    const def = this.defs.get(node.type);
    if (held || !def)
      throw new GraphError([
        {
          nodeId,
          field: `params.${name}`,
          message: `is a placeholder (${held?.message ?? 'unknown type'}): kept as in the file`,
        },
      ]);
    const schema = own(def.params, name);
    if (!schema)
      throw new GraphError([
        {
          nodeId,
          field: `params.${name}`,
          message: `unknown param of ${def.type} (it has ${Object.keys(def.params).join(', ') || 'none'})`,
        },
      ]);
    const error = checkParam(schema, value);
    if (error)
      throw new GraphError([{ nodeId, field: `params.${name}`, message: `${error} (got ${describeValue(value)})` }]);
    node.params = { ...node.params, [name]: value };
    if (subgraphName(node.type)) {
      // an exposed param: it sets a node inside every level of the instance
      this.reflatten();
      for (const n of this.flat)
        if (n.id === nodeId || n.id.startsWith(`${nodeId}/`))
          this.revisions.set(n.id, (this.revisions.get(n.id) ?? 0) + 1);
      return;
    }
    const flat = this.flat.find((n) => n.id === nodeId);
    if (flat) flat.params = node.params;
    this.revisions.set(nodeId, (this.revisions.get(nodeId) ?? 0) + 1);
  }

  private inspectedKey: string | null = null;

  /**
   * Pins the outputs of the node the user inspects (the previous one is let go), so an eviction
   * never blanks what is on screen. Null pins nothing. True when there were outputs to pin.
   */
  pinInspected(nodeId: string | null): boolean {
    if (this.inspectedKey) this.cache.unpin(this.inspectedKey);
    this.inspectedKey = null;
    const key = nodeId ? this.lastKeys.get(nodeId) : undefined;
    if (!key || !this.cache.has(key)) return false;
    this.cache.pin(key);
    this.inspectedKey = key;
    return true;
  }

  /** The outputs of a node from the latest run, if cached. */
  outputsOf(nodeId: string): Record<string, unknown> | undefined {
    const key = this.lastKeys.get(nodeId);
    return key ? this.cache.peek(key) : undefined;
  }

  keyOf(nodeId: string): string | undefined {
    return this.lastKeys.get(nodeId);
  }

  /** The whole graph's Merkle key: every node's id and key, hashed (a sweep names its jobs by it). */
  graphKey(): string {
    const { keys } = this.plan();
    return sha256Hex(
      [...keys]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([id, k]) => `${id}=${k}`)
        .join('\n'),
    );
  }

  /** Aborts every run in flight. */
  cancelAll(): void {
    for (const c of this.controllers) c.abort(new AbortError());
  }

  private requireNode(nodeId: string): GraphNode {
    const node = this.doc?.nodes.find((n) => n.id === nodeId);
    if (!node) {
      const inside = nodeId.includes('/') && this.flat.some((n) => n.id === nodeId);
      const message = !this.doc
        ? 'no graph is loaded'
        : inside
          ? `is inside subgraph instance "${nodeId.split('/')[0]}": set a param it exposes, or edit the subgraph`
          : 'no such node in the graph';
      throw new GraphError([{ nodeId, message }]);
    }
    return node;
  }

  /** The node types: the registry's, plus the loaded graph's subgraph types. */
  get types(): NodeRegistry {
    return this.defs;
  }

  /** The subgraph instances of the loaded graph (flat ids), with where their exposed params go. */
  get subgraphInstances(): ReadonlyMap<string, FlatInstance> {
    return this.instances;
  }

  /**
   * Whether a loader's cached outputs break the graph's model lock as it is now (the lock is not in the keys:
   * saving a lock or using one model here must not recompute the graph; a cache hit is checked instead).
   */
  private lockProblem(id: string, node: GraphNode, outputs: Record<string, unknown>): ModelLockError | null {
    const def = this.defs.get(node.type);
    if (this.lockPolicy !== 'enforce' || !def || !loadsModels(def) || !this.doc?.models?.length) return null;
    try {
      checkLoader(id, node.params ?? {}, { outputs }, this.doc.models, this.services.models);
      return null;
    } catch (e) {
      if (e instanceof ModelLockError) return e;
      throw e;
    }
  }

  private plan(): Plan {
    if (!this.doc) throw new GraphError([{ message: 'no graph is loaded' }]);
    const nodes = new Map(this.flat.map((n) => [n.id, n]));
    const keys = new Map<string, string>();
    const params = new Map<string, Record<string, ParamValue>>();
    const keyOf = (id: string, stack: Set<string>): string => {
      const known = keys.get(id);
      if (known) return known;
      if (stack.has(id)) throw new GraphError([{ nodeId: id, message: 'cycle' }]);
      stack.add(id);
      const node = nodes.get(id)!;
      const inputKeys: Record<string, string> = {};
      let inputsSig = '';
      for (const [port, ref] of Object.entries(node.inputs ?? {})) {
        const r = parsePortRef(ref)!;
        inputKeys[port] = `${keyOf(r.nodeId, stack)}:${r.port}`;
        inputsSig += `${port}=${inputKeys[port]};`;
      }
      stack.delete(id);
      const revision = this.revisions.get(id) ?? 0;
      const memo = this.keyMemo.get(id);
      if (memo && memo.revision === revision && memo.inputsSig === inputsSig) {
        keys.set(id, memo.key);
        params.set(id, memo.params);
        return memo.key;
      }
      const def = this.placeholders.has(id) ? undefined : this.defs.get(node.type);
      const full: Record<string, ParamValue> = def ? {} : { ...node.params };
      for (const [name, schema] of Object.entries(def?.params ?? {}))
        full[name] = node.params?.[name] ?? schema.default;
      const key = nodeKey({
        type: node.type,
        version: def ? def.version : -(node.version ?? 1), // a placeholder's key never equals a real node's
        params: full,
        bypass: !!node.bypass,
        inputs: inputKeys,
        ...(this.keyContext ? { context: this.keyContext } : {}),
      });
      this.keyMemo.set(id, { revision, inputsSig, key, params: full });
      keys.set(id, key);
      params.set(id, full);
      return key;
    };
    for (const id of nodes.keys()) keyOf(id, new Set());
    return { nodes, keys, params };
  }

  private keepNotes(key: string, said: Array<{ message: string; field?: string }>): void {
    this.notes.delete(key);
    this.notes.set(key, said);
    // a few strings per result; the oldest go first
    if (this.notes.size > 10_000) this.notes.delete(this.notes.keys().next().value!);
  }

  /** A result's notes, each with the node where the input it is about was typed (a Prompt). */
  private notesFor(key: string, nodes: ReadonlyMap<string, GraphNode>, node: GraphNode): { notes?: NodeNote[] } {
    const said = this.notes.get(key);
    if (!said?.length) return {};
    return {
      notes: said.map((n) => {
        const up = textSource(nodes, node, n.field);
        return up ? { ...n, origin: { nodeId: up.id, field: 'params.text' } } : n;
      }),
    };
  }

  /** Runs the graph. Never throws for node failures: they are in the result and the events. */
  async run(opts: RunOptions = {}): Promise<RunResult> {
    const runId = ++this.runCounter;
    const t0 = performance.now();
    const plan = this.plan();
    this.lastKeys = plan.keys;
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(new AbortError());
    opts.signal?.addEventListener('abort', onOuterAbort);
    if (opts.signal?.aborted) controller.abort(new AbortError());
    this.controllers.add(controller);
    const signal = controller.signal;
    const emit = (e: Omit<NodeEvent, 'runId'>) => {
      try {
        opts.onEvent?.({ runId, ...e });
      } catch {
        /* a listener's error must not break the run */
      }
    };

    const targets = opts.targets ?? [...plan.nodes.keys()];
    for (const t of targets)
      if (!plan.nodes.has(t)) throw new GraphError([{ nodeId: t, message: 'no such node in the graph' }]);

    // The nodes to visit: walk up from the targets, stopping at cached nodes.
    const needed = new Set<string>();
    const pinned: string[] = [];
    const visit = (id: string) => {
      if (needed.has(id)) return;
      needed.add(id);
      const key = plan.keys.get(id)!;
      if (this.cache.has(key)) {
        this.cache.pin(key);
        pinned.push(key);
        return;
      }
      for (const ref of Object.values(plan.nodes.get(id)!.inputs ?? {})) visit(parsePortRef(ref)!.nodeId);
    };
    targets.forEach(visit);

    const results: Record<string, NodeResult> = {};
    const tasks = new Map<string, Promise<boolean>>();
    let running = 0;
    const waiting: Array<() => void> = [];
    const limit = Math.max(1, opts.concurrency ?? 4);
    const acquire = async () => {
      if (running >= limit) await new Promise<void>((r) => waiting.push(r));
      running++;
    };
    const release = () => {
      running--;
      waiting.shift()?.();
    };
    let lastYield = performance.now();

    // nodes with equal keys (the same inner nodes of two instances of one subgraph) compute once
    const byKey = new Map<string, Promise<boolean>>();
    const runNode = (id: string): Promise<boolean> => {
      const existing = tasks.get(id);
      if (existing) return existing;
      const twin = byKey.get(plan.keys.get(id)!);
      const task = (async (): Promise<boolean> => {
        const node = plan.nodes.get(id)!;
        const key = plan.keys.get(id)!;
        const cachedValue = twin && (await twin) && this.cache.has(key) ? this.cache.peek(key) : this.cache.get(key);
        if (cachedValue) {
          // a loader's cached outputs are held to the lock as it is now (it may have changed since they were made)
          const stale = this.lockProblem(id, node, cachedValue);
          if (stale) {
            results[id] = {
              status: 'error',
              ms: 0,
              cached: true,
              message: stale.detail,
              field: stale.field,
              model: stale.need,
            };
            emit({ nodeId: id, status: 'error', message: stale.detail, field: stale.field, model: stale.need });
            return false;
          }
          const noted = this.notesFor(key, plan.nodes, node);
          results[id] = { status: 'cached', ms: 0, cached: true, ...noted };
          emit({ nodeId: id, status: 'cached', ...noted });
          return true;
        }
        emit({ nodeId: id, status: 'queued' });
        const deps = Object.entries(node.inputs ?? {}).map(([port, ref]) => ({ port, ref: parsePortRef(ref)! }));
        const oks = await Promise.all(deps.map((d) => runNode(d.ref.nodeId)));
        const failedDep = deps.find((_, i) => !oks[i]);
        if (failedDep) {
          const upstream = results[failedDep.ref.nodeId]!;
          const status = upstream.status === 'cancelled' ? 'cancelled' : 'error';
          const message =
            status === 'cancelled' ? 'cancelled' : `not run: upstream node "${failedDep.ref.nodeId}" failed`;
          results[id] = { status, ms: 0, cached: false, message };
          emit({ nodeId: id, status, message });
          return false;
        }
        await acquire();
        try {
          if (performance.now() - lastYield > 16) {
            await yieldToEventLoop();
            lastYield = performance.now();
          }
          if (signal.aborted) {
            results[id] = { status: 'cancelled', ms: 0, cached: false, message: 'cancelled' };
            emit({ nodeId: id, status: 'cancelled', message: 'cancelled' });
            return false;
          }
          const inputs: Record<string, unknown> = {};
          for (const d of deps) inputs[d.port] = this.cache.peek(plan.keys.get(d.ref.nodeId)!)?.[d.ref.port];
          emit({ nodeId: id, status: 'running', progress: 0 });
          const started = performance.now();
          try {
            const held = this.placeholders.get(id);
            if (held) throw new NodeError(id, `cannot run: ${held.message} (it opened as a placeholder)`, held.field);
            const def = this.defs.get(node.type)!;
            const said: Array<{ message: string; field?: string }> = [];
            const ctx = runContext(id, node.type, signal, this.services, emit, (message, field) =>
              said.push({ message, field }),
            );
            const missing = node.bypass ? undefined : missingRequired(def, node.inputs ?? {});
            if (missing) throw new NodeError(id, missing.message, missing.field);
            const params = plan.params.get(id)!;
            const lock = this.lockPolicy === 'enforce' && loadsModels(def) ? this.doc!.models : undefined;
            let outputs: Record<string, unknown>;
            try {
              outputs = node.bypass ? bypassOutputs(def, inputs, id) : await def.run(inputs, params, ctx);
            } catch (error) {
              // names the model the graph needs
              checkLoader(id, params, { error }, lock, this.services.models, this.loaderModels());
              throw error;
            }
            checkOutputs(def, id, outputs);
            checkLoader(id, params, { outputs }, lock, this.services.models);
            const ms = performance.now() - started;
            this.cache.set(key, outputs, true);
            pinned.push(key);
            if (said.length) this.keepNotes(key, said);
            const noted = this.notesFor(key, plan.nodes, node);
            results[id] = { status: 'done', ms, cached: false, ...noted };
            emit({ nodeId: id, status: 'done', ms, progress: 1, ...noted });
            return true;
          } catch (e) {
            const ms = performance.now() - started;
            if (isAbortError(e) || (signal.aborted && !(e instanceof NodeError))) {
              results[id] = { status: 'cancelled', ms, cached: false, message: 'cancelled' };
              emit({ nodeId: id, status: 'cancelled', ms, message: 'cancelled' });
            } else {
              const message = briefText(e instanceof NodeError ? e.detail : ((e as Error)?.message ?? String(e)));
              const field = e instanceof NodeError ? e.field : undefined;
              const origin = originOf(plan.nodes, node, field, message);
              const extra = {
                ...(origin ? { origin } : {}),
                ...(e instanceof ModelLockError ? { model: e.need } : {}),
              };
              results[id] = { status: 'error', ms, cached: false, message, field, ...extra };
              emit({ nodeId: id, status: 'error', ms, message, field, ...extra });
            }
            return false;
          }
        } finally {
          release();
        }
      })();
      tasks.set(id, task);
      if (!twin) byKey.set(plan.keys.get(id)!, task);
      return task;
    };

    try {
      await Promise.all([...needed].map(runNode));
    } finally {
      for (const k of pinned) this.cache.unpin(k);
      this.controllers.delete(controller);
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
    const values = Object.values(results);
    const count = (s: string) => values.filter((r) => r.status === s).length;
    return {
      runId,
      ok: values.every((r) => r.status === 'done' || r.status === 'cached'),
      cancelled: count('cancelled') > 0,
      ms: performance.now() - t0,
      ran: count('done'),
      fromCache: count('cached'),
      failed: count('error'),
      nodes: results,
    };
  }
}
