// Lambda entry of listSyncs: GET /syncs (run history); built on first invocation (functions/handlers/list-syncs.ts), nothing runs at import.
import { createListSyncs } from './handlers/list-syncs.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createListSyncs);
