// Lambda entry of getExport: GET /exports/{exportId}; built on first invocation (functions/handlers/get-export.ts), nothing runs at import.
import { createGetExport } from './handlers/get-export.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createGetExport);
