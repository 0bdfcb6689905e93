// Lambda entry of the sync state machine's BuildAudienceFiles task; built on first invocation (functions/handlers/sync-tasks.ts).
import { createBuildAudienceFiles } from './handlers/sync-tasks.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createBuildAudienceFiles());
