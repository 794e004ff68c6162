import '@xyflow/react/dist/style.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getEngine } from './engine-client';

// The engine worker's API for the browser console and automation (the benchmark and tests read timings and
// tensors through it): `await unclipStudio.engine.runtimeInfo()`.
(window as unknown as { unclipStudio: unknown }).unclipStudio = { engine: getEngine() };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
