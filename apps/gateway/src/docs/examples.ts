import recorded from './examples.json';

/**
 * Examples recorded from a real run: one request and answer per operation and one answer per
 * error status, as `npm run docs:examples` (test/docs/examples.record.ts) captured them from
 * the running stack into examples.json. examples.spec.ts checks that each still validates
 * against the document's schema; re-record after changing what a route takes or answers.
 */
export interface OperationExamples {
  request?: unknown;
  response?: unknown;
  errors?: Record<number, unknown>;
}

const EXAMPLES: Readonly<Record<string, OperationExamples>> = recorded;

export function examplesOf(operationId: string): OperationExamples | undefined {
  return EXAMPLES[operationId];
}

/** Every operation with a recorded example. */
export function recordedOperations(): string[] {
  return Object.keys(EXAMPLES);
}
