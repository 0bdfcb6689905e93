// Lambda entry of the sync state machine's EnsureAudience task; built on first invocation (functions/handlers/sync-tasks.ts).
import { createEnsureAudience } from './handlers/sync-tasks.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createEnsureAudience());
