// Lambda entry of the sync state machine's FinishSync task; built on first invocation (functions/handlers/sync-tasks.ts).
import { createFinishSync } from './handlers/sync-tasks.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createFinishSync());
