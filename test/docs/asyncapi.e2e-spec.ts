import { COMMAND_ERROR_SCHEMA, COMMAND_REPLY_SCHEMAS, ERROR_CODES, STREAMS } from '@app/contracts';
import { z } from 'zod';
import { type AsyncApiContract, contractSubjects, loadAsyncApi } from '../support/asyncapi';

/**
 * docs/asyncapi.yaml is checked twice: by the real AsyncAPI parser (it must parse with no
 * error and no warning), and against the contracts it describes — every subject of the
 * command map and the streams has a channel, and each message documents exactly the fields of
 * its zod schema. test/docs/asyncapi-traffic.e2e-spec.ts then validates what really crosses NATS.
 */
describe('docs/asyncapi.yaml', () => {
  let doc: AsyncApiContract;
  beforeAll(async () => {
    doc = await loadAsyncApi();
  });

  it('is valid for the AsyncAPI parser, without a warning', () => {
    const problems = doc.diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('has a channel for every subject of the command map and of the streams', () => {
    const missing = contractSubjects()
      .map((s) => s.subject)
      .filter((subject) => !doc.channelOf(subject));
    expect(missing).toEqual([]);
    for (const stream of Object.values(STREAMS)) {
      const described = Object.values(doc.json.channels).some((c) => c.description?.includes(`\`${stream.name}\``));
      expect({ stream: stream.name, described }).toEqual({ stream: stream.name, described: true });
    }
  });

  it('documents exactly the fields of each zod schema, at every depth', () => {
    // Grouped by channel: one channel (`otp.v1.events.{type}`) may carry several schemas.
    const byChannel = new Map<object, { subjects: string[]; contract: Set<string> }>();
    for (const { subject, schema } of contractSubjects()) {
      const channel = doc.channelOf(subject);
      if (!channel) continue; // reported by the test above
      const entry = byChannel.get(channel) ?? { subjects: [], contract: new Set<string>() };
      entry.subjects.push(subject);
      fieldPaths(
        z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', metadata: z.registry() }),
        '',
        entry.contract,
      );
      byChannel.set(channel, entry);
    }
    const drift: string[] = [];
    for (const [channel, { subjects, contract }] of byChannel) {
      const documented = new Set<string>();
      for (const m of Object.values((channel as { messages?: Record<string, { payload?: object }> }).messages ?? {}))
        fieldPaths(m.payload ?? {}, '', documented);
      const where = subjects.join(', ');
      for (const field of contract) if (!documented.has(field)) drift.push(`${where}: ${field} is not documented`);
      for (const field of documented) {
        if (!contract.has(field) && !coveredByOpaque(field, contract))
          drift.push(`${where}: ${field} is not in the contract`);
      }
    }
    expect(drift).toEqual([]);
  });

  it("documents exactly the fields of each command's reply schema and of the error reply", () => {
    const toJson = (schema: z.ZodType) =>
      z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', metadata: z.registry() });
    const errorFields = fieldPaths(toJson(COMMAND_ERROR_SCHEMA));
    // Grouped by the messages documented: several subjects share one reply channel.
    const byMessages = new Map<string, { subjects: string[]; contract: Set<string>; documented: Set<string> }>();
    for (const [subject, schema] of Object.entries(COMMAND_REPLY_SCHEMAS)) {
      const messages = doc.replyMessagesOf(subject);
      const key = messages.map((m) => m.name).join(',');
      const entry = byMessages.get(key) ?? { subjects: [], contract: new Set(errorFields), documented: new Set() };
      entry.subjects.push(subject);
      fieldPaths(toJson(schema), '', entry.contract);
      for (const m of messages) fieldPaths(m.payload ?? {}, '', entry.documented);
      byMessages.set(key, entry);
    }
    const drift: string[] = [];
    for (const { subjects, contract, documented } of byMessages.values()) {
      const where = `the reply of ${subjects.join(', ')}`;
      for (const field of contract) if (!documented.has(field)) drift.push(`${where}: ${field} is not documented`);
      for (const field of documented) if (!contract.has(field)) drift.push(`${where}: ${field} is not in the contract`);
    }
    expect(drift).toEqual([]);
    const errorReply = doc.replyMessagesOf('otp.v1.send').find((m) => m.name === 'ErrorReply');
    const codes = (errorReply?.payload as { properties?: { code?: { enum?: number[] } } })?.properties?.code?.enum;
    expect(codes).toEqual(ERROR_CODES);
  });
});

const OPAQUE = '…';

/** Every property path a JSON Schema names (`data.attempt`, `buckets[].max`), through combinators. */
function fieldPaths(schema: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as Record<string, unknown>;
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(s[key])) for (const branch of s[key]) fieldPaths(branch, prefix, out);
  }
  if (s.properties && typeof s.properties === 'object') {
    for (const [name, child] of Object.entries(s.properties)) {
      const at = prefix ? `${prefix}.${name}` : name;
      out.add(at);
      fieldPaths(child, at, out);
    }
  }
  if (s.items) fieldPaths(s.items, `${prefix}[]`, out);
  // A value zod cannot describe (a preprocess): what the document says under it is not drift.
  if (prefix && Object.keys(s).filter((k) => k !== 'description' && !k.startsWith('x-')).length === 0) {
    out.add(`${prefix}.${OPAQUE}`);
  }
  return out;
}

function coveredByOpaque(field: string, contract: Set<string>): boolean {
  const parts = field.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    if (contract.has(`${parts.slice(0, i).join('.')}.${OPAQUE}`)) return true;
  }
  return false;
}
