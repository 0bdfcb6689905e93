// Lambda entry of requestExport (state machine Task); built on first invocation (functions/handlers/request-export.ts), nothing runs at import.
import { createRequestExport } from './handlers/request-export.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createRequestExport);
