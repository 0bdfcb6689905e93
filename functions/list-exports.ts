// Lambda entry of listExports: GET /exports (run history); built on first invocation (functions/handlers/list-exports.ts), nothing runs at import.
import { createListExports } from './handlers/list-exports.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createListExports);
