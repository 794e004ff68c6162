// Boots the TypeScript engine worker in a worker_thread: registers tsx's loader, then loads it.
import { register } from 'tsx/esm/api';

register();
await import('./node-worker.ts');
