// Configuration errors. The CLI maps exitCode 2 = "bad usage or bad configuration"
// (docs/operations.md, "Command line"); the message names the file (or environment variable), the field and what
// was expected, one line per problem.

export const ConfigErrors = {
  /** unreadable or unparsable file, schema violation, bad DCC_GATEWAY_* variable */
  INVALID: 'DCCGW_ERR_CONFIG_INVALID',
} as const

export type ConfigErrorCode = (typeof ConfigErrors)[keyof typeof ConfigErrors]

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code: ConfigErrorCode = ConfigErrors.INVALID
  readonly exitCode = 2
  /** one entry per problem, each `source: detail` */
  readonly problems: readonly string[]

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(problems.join('\n'), options)
    this.problems = problems
  }
}
