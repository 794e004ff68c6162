/**
 * The editor's Content Security Policy: one text for the dev server, `vite preview` and the built app (a
 * `<meta http-equiv>` in index.html, injected by vite.config.ts) and for the servers that are ours (a header).
 *
 * A graph is untrusted input and its text reaches the page (titles, descriptions, params, subgraph names). React
 * renders it as text; the policy is the second wall: scripts run only from the app itself, so markup that slipped
 * through could still not execute or load a script. `'wasm-unsafe-eval'` lets onnxruntime-web compile its WASM and
 * nothing else (no `eval`, no `new Function`: zod runs jitless, see src/host/no-eval.ts).
 *
 * What may be fetched (`connect-src`) follows the references a graph may name (src/host/access.ts, the browser
 * worker's allow list): the app's own files (models in public/models, examples, the ORT runtime), `data:` URLs, and
 * http(s) URLs. Which http(s) URLs is decided in the app, not here: a graph's URLs are held until the user allows
 * them, and a URL the user types is theirs. `'self'` also covers WebSocket connections back to the page's own host
 * and port (CSP level 3), so the server engine served same-origin (`npm run serve`) needs nothing more.
 *
 * A server engine at another origin must be named when the page is served, since a page cannot widen its own
 * policy afterwards (a second policy only narrows it): the server passes it in `connect`, e.g.
 * `contentSecurityPolicy({ connect: ['http://10.0.0.5:8188', 'ws://10.0.0.5:8188'] })`, and the header it sends
 * (with the same text in the page's meta tag) lets the editor reach it over HTTP and WebSocket.
 */
export interface PolicyOptions {
  /** Further origins the page may connect to (a server engine elsewhere): http(s) and ws(s) origins. */
  connect?: string[];
  /** Hashes of inline scripts (`'sha256-…'`): the dev server's React refresh preamble. The build has none. */
  scriptHashes?: string[];
  /** Inline `<style>` elements: the dev server injects CSS that way (hot reload); the build links its CSS. */
  inlineStyles?: boolean;
  /** For an HTTP header: adds what a meta tag cannot carry (`frame-ancestors`). */
  header?: boolean;
}

/** The policy text, directives separated by `; `. */
export function contentSecurityPolicy(opts: PolicyOptions = {}): string {
  const directives: Array<[string, ...string[]]> = [
    ['default-src', "'self'"],
    ['script-src', "'self'", "'wasm-unsafe-eval'", ...(opts.scriptHashes ?? [])],
    // the engine worker, and onnxruntime-web's WASM threads (workers started from its own module in /ort/)
    ['worker-src', "'self'"],
    ['connect-src', "'self'", 'data:', 'http:', 'https:', ...(opts.connect ?? [])],
    // pictures drawn on canvases, blob: for downloads and data: for the tab's icon
    ['img-src', "'self'", 'data:', 'blob:'],
    ['style-src', "'self'", ...(opts.inlineStyles ? ["'unsafe-inline'"] : [])],
    ['font-src', "'self'"],
    ['object-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ...(opts.header ? [['frame-ancestors', "'none'"] as [string, string]] : []),
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}
