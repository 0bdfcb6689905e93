// Lambda entry of listAudienceFiles: GET /audience-files; built on first invocation (functions/handlers/list-audience-files.ts), nothing runs at import.
import { createListAudienceFiles } from './handlers/list-audience-files.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createListAudienceFiles);
