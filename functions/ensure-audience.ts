// Lambda entry of the sync state machine's EnsureAudience task; built on first invocation (functions/handlers/ensure-audience.ts).
import { createEnsureAudience } from './handlers/ensure-audience.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createEnsureAudience());
