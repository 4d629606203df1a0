/** Examples recorded from a real run (none recorded yet). */
export interface OperationExamples {
  request?: unknown;
  response?: unknown;
  errors?: Record<number, unknown>;
}

export function examplesOf(_operationId: string): OperationExamples | undefined {
  return undefined;
}
