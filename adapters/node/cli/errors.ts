/** A usage problem the CLI reports as one line, like an API error. */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}
