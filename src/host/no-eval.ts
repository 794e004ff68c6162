/**
 * zod compiles object parsers with `new Function` when it can; the Content Security Policy (src/host/csp.ts)
 * forbids that, and zod's probe for it, though caught, is reported as a policy violation. Imported first by the
 * browser entry points (the page and the engine worker) so that no schema parses before this is set.
 */
import { config } from 'zod';

config({ jitless: true });
