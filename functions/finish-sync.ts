// Lambda entry of the sync state machine's FinishSync task; built on first invocation (functions/handlers/finish-sync.ts).
import { createFinishSync } from './handlers/finish-sync.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createFinishSync());
