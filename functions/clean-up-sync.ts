// Lambda entry of the sync state machine's CleanUpSync task; built on first invocation (functions/handlers/sync-tasks.ts).
import { createCleanUpSync } from './handlers/sync-tasks.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createCleanUpSync());
