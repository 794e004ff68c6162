import react from '@vitejs/plugin-react';
import { defineConfig, defaultClientConditions } from 'vite';

// Cross-origin isolation lets onnxruntime-web use WASM threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// onnxruntime-web's builds that load their WASM from env.wasm.wasmPaths (public/ort, copied by scripts/copy-ort.mjs)
// instead of bundling a second copy of it into assets/.
const conditions = ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions];

export default defineConfig({
  plugins: [react()],
  resolve: { conditions },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
});
