// Lambda entry of the sync state machine's CheckAudienceFiles task; built on first invocation (functions/handlers/sync-tasks.ts).
import { createCheckAudienceFiles } from './handlers/sync-tasks.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createCheckAudienceFiles());
