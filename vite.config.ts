import react from '@vitejs/plugin-react';
import { defineConfig, defaultClientConditions, type Plugin } from 'vite';

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

export default defineConfig({
  plugins: [react(), noModelCompression],
  resolve: { conditions },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  optimizeDeps: { exclude: ['onnxruntime-web', 'onnxruntime-web/wasm', 'onnxruntime-web/webgpu'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
});
