// How a tool run can fail, shared by every adapter. A failed trial records its kind, the message and
// keeps the raw output; the run goes on with the next trial.
export type FailureKind =
  | 'server-unreachable'
  | 'server-died'
  | 'server-busy'
  | 'bad-arguments'
  | 'too-few-samples'
  | 'too-many-samples'
  | 'tool-missing'
  | 'tool-unsupported'
  | 'tool-error'
  | 'no-result'
  /** From the harness: the tool's files did not come back whole from its host. */
  | 'fetch-failed';

export interface ToolFailure {
  kind: FailureKind;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; failure: ToolFailure };

export function fail<T>(kind: FailureKind, message: string): ParseResult<T> {
  return { ok: false, failure: { kind, message } };
}
