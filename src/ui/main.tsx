import '../host/no-eval';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getEngine, openingSettled } from './engine-client';
import { useEditor } from './store';

// The engine worker's API and the editor's store for the browser console and automation (the benchmark and tests
// read timings and tensors through it, the fuzz the graph open): `await unclipStudio.engine.runtimeInfo()`;
// `settled()` waits for every graph being opened or pasted to be shown or refused.
// `engine` is whichever the Engine choice names now (this browser's worker, or a server's).
(window as unknown as { unclipStudio: unknown }).unclipStudio = {
  get engine() {
    return getEngine();
  },
  editor: useEditor,
  settled: openingSettled,
};

// the engine worker starts now, before React renders: it loads the WASM engine and the default graph's models
// while the editor opens
getEngine();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
