// Lambda entry of copyExport (state machine Task); built on first invocation (functions/handlers/copy-export.ts), nothing runs at import.
import { createCopyExport } from './handlers/copy-export.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createCopyExport);
