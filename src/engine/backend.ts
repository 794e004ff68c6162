// The run option `backend`, for the UI (which reaches models only through the engine).
export { BACKENDS, type Backend } from '../models/runtime/backend';
