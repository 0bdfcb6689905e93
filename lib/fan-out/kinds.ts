// The job kinds a fan-out can run: how each builds its child execution's input and what it counts. A new kind
// (the audience sync) is one entry here, one state machine ARN setting and one IAM resource.
import { buildExecutionInput } from '../export/execution.ts';
import type { Manifest } from '../export/manifest.ts';
import { parseExportRequest } from '../export/request.ts';

/** What a kind builds its child's input from besides the request. */
export interface ChildContext {
  /** The child execution's name (an export's id, a sync's run id). */
  name: string;
  scheduledAt: Date;
  /** Settings the handler passes for the kinds (from its configuration), e.g. a sync's storage. */
  settings: Readonly<Record<string, unknown>>;
}

export interface JobKind {
  /** Validates the job's request and builds the child's input; throws BadRequest naming the field. */
  childInput(request: unknown, child: ChildContext): unknown;
  /** Counts for the run summary, read from the child's output; never identifiers. */
  counts(output: unknown): Record<string, number>;
}

const exportJob: JobKind = {
  childInput: (request, child) => buildExecutionInput(parseExportRequest(request), child.name, child.scheduledAt),
  counts: (output) => {
    const manifest = (output ?? {}) as Partial<Manifest>;
    return {
      rows: manifest.totalRows ?? 0,
      bytes: manifest.totalBytes ?? 0,
      files: Array.isArray(manifest.files) ? manifest.files.length : 0,
    };
  },
};

/** kind ⇒ how to run it. The fan-out refuses kinds missing here or without a state machine ARN. */
export const JOB_KINDS: Record<string, JobKind> = {
  export: exportJob,
};
