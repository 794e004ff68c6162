import type { ModelNeed } from './model-lock';

/** What the engine reports about each node during a run. */
export type NodeStatus = 'queued' | 'running' | 'done' | 'cached' | 'error' | 'cancelled';

/** A small RGB preview, bytes [H, W, 3], for live sampler previews and the inspector. */
export interface ImagePreview {
  width: number;
  height: number;
  /** RGBA bytes, width * height * 4, ready for ImageData. */
  rgba: Uint8ClampedArray;
}

/** What a node said about how it read an input, and where that input was typed (a Prompt's text). */
export interface NodeNote {
  message: string;
  field?: string;
  origin?: { nodeId: string; field: string };
}

export interface NodeEvent {
  runId: number;
  nodeId: string;
  status: NodeStatus;
  /** 0..1 while running. */
  progress?: number;
  step?: number;
  steps?: number;
  /** While running: what is under way, when a percentage says too little ("downloading 12 / 151 MB"). */
  label?: string;
  /** Milliseconds the node took (done). */
  ms?: number;
  message?: string;
  /** The port or param an error is about ("params.steps", "inputs.text", "outputs.out"). */
  field?: string;
  /** Where the bad value was typed, when it came from another node (an unknown word: the Prompt's text). */
  origin?: { nodeId: string; field: string };
  /** A loader's model that is missing or differs from the graph's model lock: what the graph needs. */
  model?: ModelNeed;
  /** Done or cached: how the node read its inputs (the caption a word-level model read). */
  notes?: NodeNote[];
  preview?: ImagePreview;
}

export interface NodeResult {
  status: NodeStatus;
  ms: number;
  cached: boolean;
  message?: string;
  field?: string;
  origin?: { nodeId: string; field: string };
  model?: ModelNeed;
  notes?: NodeNote[];
}

export interface RunResult {
  runId: number;
  ok: boolean;
  cancelled: boolean;
  ms: number;
  /** Nodes that ran their code this time. */
  ran: number;
  fromCache: number;
  failed: number;
  nodes: Record<string, NodeResult>;
  /** Things the user should know about the run as a whole (WebGPU asked for but not available). */
  notices?: string[];
}
