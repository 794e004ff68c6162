// Copies onnxruntime-web's WASM runtime into public/ort so the app serves it itself (no CDN, works offline).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'node_modules', 'onnxruntime-web', 'dist');
const to = join(root, 'public', 'ort');
mkdirSync(to, { recursive: true });
// the plain build (the WASM backend) and the asyncify one (the WebGPU backend's, loaded only when WebGPU is used)
const files = readdirSync(from).filter((f) => /^ort-wasm-simd-threaded(\.asyncify)?\.(wasm|mjs)$/.test(f));
for (const f of files) copyFileSync(join(from, f), join(to, f));
console.log(`copied ${files.length} onnxruntime-web files to public/ort`);
