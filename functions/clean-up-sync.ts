// Lambda entry of the sync state machine's CleanUpSync task; built on first invocation (functions/handlers/clean-up-sync.ts).
import { createCleanUpSync } from './handlers/clean-up-sync.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createCleanUpSync());
