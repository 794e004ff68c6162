declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  // Loose on purpose: Node's Worker and MessagePort both fit.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export default function nodeEndpoint(nep: any): Endpoint;
}
