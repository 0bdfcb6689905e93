// Lambda entry of startExport: POST /exports, schedules and direct invokes; built on first invocation (functions/handlers/start-export.ts), nothing runs at import.
import { createStartExport } from './handlers/start-export.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createStartExport);
