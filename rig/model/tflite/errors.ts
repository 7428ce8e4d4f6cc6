// What reading or importing a TFLite file throws: a problem with the file, said in full. The
// config layer, which knows the file's path, turns it into a UserError.
export class TfliteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TfliteError';
  }
}
