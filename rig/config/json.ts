// Reading a JSON file a user wrote: a missing file or a syntax error names the file.
import { readFile } from 'node:fs/promises';
import { UserError, ValidationError } from '../util/errors.js';

export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError(file, [{ path: '', message: `expected JSON, found a syntax error: ${(error as Error).message}` }]);
  }
}
