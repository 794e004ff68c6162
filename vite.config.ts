import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import react from '@vitejs/plugin-react';
import { defineConfig, defaultClientConditions, type Plugin } from 'vite';
import { contentSecurityPolicy } from './src/host/csp.js';

// Cross-origin isolation lets onnxruntime-web use WASM threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// onnxruntime-web's builds that load their WASM from env.wasm.wasmPaths (public/ort, copied by scripts/copy-ort.mjs)
// instead of bundling a second copy of it into assets/.
const conditions = ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions];

/**
 * Model files are served as they are: `vite preview` gzips every response whose type it does not know on the fly,
 * and .onnx has none, so a 7 MB decoder took 360 ms to serve instead of 34 (float weights shrink by only 40%).
 */
const noModelCompression: Plugin = {
  name: 'no-model-compression',
  configurePreviewServer(server) {
    server.middlewares.use((req, _res, next) => {
      if (/\.(onnx|wasm)(\?|$)/.test(req.url ?? '')) delete req.headers['accept-encoding'];
      next();
    });
  },
};

/**
 * The Content Security Policy (src/host/csp.ts) in every page, as a meta tag ahead of every script, and as a header
 * on every response of the dev server and `vite preview` (the header also governs the workers, and carries
 * frame-ancestors, which a meta tag cannot). The dev server's inline React refresh preamble is allowed by its hash.
 */
function contentSecurity(): Plugin {
  let dev = false;
  let hashes: string[] | undefined;
  const policy = (header: boolean) =>
    contentSecurityPolicy({ scriptHashes: dev ? hashes : [], inlineStyles: dev, header });
  const withHeader = (_req: IncomingMessage, res: ServerResponse, next: () => void) => {
    res.setHeader('Content-Security-Policy', policy(true));
    next();
  };
  return {
    name: 'content-security-policy',
    configResolved(config) {
      dev = config.command === 'serve' && !config.isProduction;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        // the preamble's hash is known once the page was transformed once: transform it before the first answer
        const ready = hashes ? Promise.resolve() : server.transformIndexHtml('/', readFileSync('index.html', 'utf8'));
        ready.then(() => withHeader(req, res, next), next);
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use(withHeader);
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const inline = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].filter((m) => !/\ssrc=/.test(m[0]));
        hashes = inline.map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
        if (hashes.length && !dev) throw new Error('the built page has inline scripts: the policy forbids them');
        const meta = { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy(false) } };
        return { html, tags: [{ ...meta, injectTo: 'head-prepend' as const }] };
      },
    },
  };
}

// `vite build --mode profile` (the editor bench): React's profiling renderer, so the canvas's Profilers count
// renders (src/ui/render-count.tsx), into its own folder
export default defineConfig(({ mode }) => ({
  plugins: [react(), noModelCompression, contentSecurity()],
  resolve: {
    conditions,
    alias: mode === 'profile' ? [{ find: /^react-dom\/client$/, replacement: 'react-dom/profiling' }] : [],
  },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  optimizeDeps: { exclude: ['onnxruntime-web', 'onnxruntime-web/wasm', 'onnxruntime-web/webgpu'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, outDir: mode === 'profile' ? 'dist-profile' : 'dist' },
}));
