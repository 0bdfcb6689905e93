// Lambda entry of the sync state machine's BuildAudienceFiles task; built on first invocation (functions/handlers/build-audience-files.ts).
import { createBuildAudienceFiles } from './handlers/build-audience-files.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createBuildAudienceFiles());
