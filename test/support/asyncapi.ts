import { Parser, type Diagnostic } from '@asyncapi/parser';
import {
  CHANNELS,
  COMMAND_SCHEMAS,
  DeliveryReceipt,
  DeliveryStatusEventSchema,
  DispatchMessage,
  OTP_EVENT_TYPES,
  OtpLifecycleEventSchema,
  ProviderCallbackRequest,
  Subjects,
} from '@app/contracts';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

/**
 * docs/asyncapi.yaml as the AsyncAPI parser reads it (references resolved), and what the tests
 * need of it: which channel documents a concrete subject, and validators of the payloads that
 * channel (and the reply of its operation) carries.
 */
export const ASYNCAPI_FILE = path.resolve(__dirname, '../../docs/asyncapi.yaml');

interface Message {
  name?: string;
  payload?: object;
}
interface Channel {
  address: string | null;
  description?: string;
  parameters?: Record<string, { enum?: string[] }>;
  messages?: Record<string, Message>;
}
interface Operation {
  action: 'send' | 'receive';
  channel: Channel;
  messages?: Message[];
  reply?: { channel?: Channel; messages?: Message[] };
}
export interface AsyncApiJson {
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
}

export interface AsyncApiContract {
  diagnostics: Diagnostic[];
  json: AsyncApiJson;
  /** The channel whose address (parameters within their enums) is `subject`, if any. */
  channelOf(subject: string): Channel | undefined;
  /** Throws unless `payload` is one of the messages the channel of `subject` carries. */
  checkMessage(subject: string, payload: unknown): void;
  /** Throws unless `reply` is one of the reply messages of the operation served on `subject`. */
  checkReply(subject: string, reply: unknown): void;
  /** The reply messages of the operation served on `subject`. */
  replyMessagesOf(subject: string): Message[];
}

export async function loadAsyncApi(): Promise<AsyncApiContract> {
  const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_FILE, 'utf8'));
  if (!document) {
    throw new Error(`docs/asyncapi.yaml does not parse:\n${diagnostics.map((d) => d.message).join('\n')}`);
  }
  const json = document.json() as unknown as AsyncApiJson;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validators = new Map<object, ValidateFunction>();
  const validatorOf = (schema: object) => {
    let validate = validators.get(schema);
    if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
    return validate;
  };
  const channels = Object.values(json.channels).filter((c) => c.address !== null);
  const channelOf = (subject: string) =>
    channels.find((c) => {
      // A parameter with an enum takes exactly those values (`settings.get` spans two tokens).
      const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const pattern = escape(c.address!).replace(/\{([^}]+)\}/g, (_, name: string) => {
        const allowed = c.parameters?.[name]?.enum;
        return allowed ? `(?:${allowed.map(escape).join('|')})` : '[^.]+';
      });
      return new RegExp(`^${pattern}$`).test(subject);
    });
  const check = (what: string, messages: Message[], payload: unknown) => {
    if (messages.length === 0) throw new Error(`${what}: the document names no message`);
    const failures: string[] = [];
    for (const message of messages) {
      const validate = validatorOf(message.payload ?? {});
      if (validate(payload)) return;
      failures.push(`${message.name ?? '?'}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
    }
    throw new Error(
      `${what} matches none of the documented messages\n${failures.join('\n')}\n${JSON.stringify(payload)}`,
    );
  };
  const replyMessagesOf = (subject: string) => {
    const channel = channelOf(subject);
    const operation = Object.values(json.operations).find((o) => o.channel === channel && o.reply);
    if (!operation) throw new Error(`${subject} has no operation with a reply in docs/asyncapi.yaml`);
    return operation.reply!.messages ?? [];
  };
  return {
    diagnostics,
    replyMessagesOf,
    json,
    channelOf,
    checkMessage(subject, payload) {
      const channel = channelOf(subject);
      if (!channel) throw new Error(`${subject} has no channel in docs/asyncapi.yaml`);
      check(subject, Object.values(channel.messages ?? {}), payload);
    },
    checkReply(subject, reply) {
      check(`the reply on ${subject}`, replyMessagesOf(subject), reply);
    },
  };
}

/** A provider name, for the subjects that carry one (`dispatch.v1.callbacks.<channel>.<name>`). */
export const SAMPLE_PROVIDER = 'twilio';

/**
 * Every concrete subject of the contracts, with the zod schema its messages are validated
 * against: the command map's request-reply subjects and every subject of the STREAMS.
 */
export function contractSubjects(): { subject: string; schema: z.ZodType }[] {
  const subjects: { subject: string; schema: z.ZodType }[] = Object.entries(COMMAND_SCHEMAS).map(
    ([subject, schema]) => ({ subject, schema: schema as z.ZodType }),
  );
  for (const channel of CHANNELS) {
    subjects.push({ subject: Subjects.dispatch(channel), schema: DispatchMessage });
    subjects.push({ subject: Subjects.receipt(channel), schema: DeliveryReceipt });
    subjects.push({
      subject: Subjects.providerCallback(channel, SAMPLE_PROVIDER),
      schema: ProviderCallbackRequest,
    });
  }
  for (const type of OTP_EVENT_TYPES) {
    const schema = type === 'delivery_status' ? DeliveryStatusEventSchema : OtpLifecycleEventSchema;
    subjects.push({ subject: Subjects.otpEvent(type), schema });
    subjects.push({ subject: Subjects.statusCallbackEvent(type), schema });
  }
  return subjects;
}
