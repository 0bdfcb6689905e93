// Errors of the audience-sync core. Messages carry file numbers, line numbers and counts, never an identifier.
import { AppError, BadRequest } from '../errors.ts';

/** The configured idColumn is not in a CSV file's header. */
export class IdColumnMissing extends BadRequest {
  override name = 'IdColumnMissing';
}

/** An export file is not CSV in GrowingIO's dialect. */
export class MalformedCsv extends AppError {
  override name = 'MalformedCsv';
  override statusCode = 422;
  override expose = true;
}

/** Ids that must be sorted and unique (a snapshot, the current ids) are not: the snapshot is corrupt. */
export class UnsortedIds extends AppError {
  override name = 'UnsortedIds';
  override statusCode = 422;
  override expose = true;
}
