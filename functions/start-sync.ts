// Lambda entry of startSync: POST /syncs, schedules and direct invokes; built on first invocation (functions/handlers/start-sync.ts).
import { createStartSync } from './handlers/start-sync.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createStartSync);
