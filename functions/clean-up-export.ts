// Lambda entry of clean-up-export (state machine Task); built on first invocation (functions/handlers/clean-up-export.ts), nothing runs at import.
import { createCleanUpExport } from './handlers/clean-up-export.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createCleanUpExport);
