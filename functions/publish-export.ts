// Lambda entry of publish-export (state machine Task); built on first invocation (functions/handlers/publish-export.ts), nothing runs at import.
import { createPublishExport } from './handlers/publish-export.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createPublishExport);
