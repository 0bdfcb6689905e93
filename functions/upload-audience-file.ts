// Lambda entry of the sync state machine's UploadAudienceFile task; built on first invocation (functions/handlers/upload-audience-file.ts).
import { createUploadAudienceFile } from './handlers/upload-audience-file.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createUploadAudienceFile());
