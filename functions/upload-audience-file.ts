// Lambda entry of the sync state machine's UploadAudienceFile task; built on first invocation (functions/handlers/sync-tasks.ts).
import { createUploadAudienceFile } from './handlers/sync-tasks.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createUploadAudienceFile());
