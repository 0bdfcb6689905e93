// Lambda entry of getSync: GET /syncs/{runId}; built on first invocation (functions/handlers/get-sync.ts).
import { createGetSync } from './handlers/get-sync.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createGetSync);
