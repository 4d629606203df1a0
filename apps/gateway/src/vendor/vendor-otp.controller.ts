import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Put, Query, Req } from '@nestjs/common';
import {
  DomainError,
  ErrorCode,
  type ErrorReply,
  httpStatusOf,
  isErrorReply,
  phoneNumber,
  SEND_FIELDS,
  VERIFY_FIELDS,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, NatsRpcClient, ApiOperation } from '@app/platform';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import { type AuthenticatedRequest, UseAuthScheme } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { idempotencyKeyHeader, sendOtpCommand } from '../otp/otp-send';
import { CHANNEL, VENDOR_FIELD, vendorSendCommand } from './vendor-send';
import { errorBodyOf } from '../http/reply.schemas';
import { AnswerException } from '../http/reply';

/** A field of ours under the vendor's name: the same rules, since otp-core validates it as ours. */
const theirs = <K extends keyof typeof SEND_FIELDS>(ours: K) => [VENDOR_FIELD[ours], SEND_FIELDS[ours]] as const;

/** The seed 003 body of `/otp/generate`, documented from our send fields it is mapped onto. */
const GenerateBody = z.object({
  ...Object.fromEntries(
    (
      [
        'to',
        'from',
        'length',
        'allowDigits',
        'allowUpperCase',
        'allowLowerCase',
        'allowSpecialChars',
        'timeout',
        'maxWrongAttempts',
        'recipientIp',
        'language',
        'voice',
      ] as const
    ).map(theirs),
  ),
  text: z.string().meta({ description: 'The message; ` {code}` is appended when it has no `{code}`.' }),
  channel: z.enum(Object.keys(CHANNEL) as [string, ...string[]]).default('sms'),
  service: SEND_FIELDS.service.optional().meta({ description: 'Defaults to `otp`.' }),
  accountSid: SEND_FIELDS.accountSid,
});
const ValidateBody = z.object({
  otp_request_token: VERIFY_FIELDS.requestId.unwrap().meta({ description: 'The token generate answered.' }),
  code: VERIFY_FIELDS.code,
  accountSid: VERIFY_FIELDS.accountSid,
});
const GenerateOk = z.object({
  code: z.literal(0),
  message: z.string(),
  ticket_number: z.string(),
  otp_request_token: z.string(),
  warnings: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .meta({ description: 'Optional values that could not be used: left out (their default applied), not refused.' }),
});
const SenderBody = z.object({
  sender: z
    .string()
    .nullable()
    .meta({ description: 'An E.164 number or a 3-11 character alphanumeric sender ID; `null` clears it.' }),
  accountSid: SEND_FIELDS.accountSid,
});
const SenderQuery = z.object({ accountSid: SEND_FIELDS.accountSid });
const SenderOk = z.object({ code: z.literal(0), message: z.string(), sender: z.string().nullable() });
const IdempotencyHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(255).optional().meta({
    description: 'The same key from the same account within 24 h answers the first response and never sends again.',
  }),
});
const ValidateOk = z.object({ code: z.literal(0), message: z.string(), ticket_number: z.string() });
/**
 * The vendor's error shape (the catalog code, the vendor's field name, the request as
 * `ticket_number`) for what otp-core refused; what the gateway refuses before (credentials,
 * a body that is not an object) comes in the catalog's shape, as on every route.
 */
const vendorErrorBody = (codes: readonly [ErrorCode, ...ErrorCode[]]) =>
  z.union([
    z.object({
      code: z.literal(codes),
      message: z.string(),
      field: z.string().optional(),
      ticket_number: z.string().optional(),
      reason: z.string().optional().meta({ description: 'A fraud guard refusal (456): which rule refused.' }),
      idempotency_key: z
        .string()
        .optional()
        .meta({ description: 'An unknown outcome (457): the key to send the same request again with, safely.' }),
    }),
    errorBodyOf(codes),
  ]);

/**
 * The second vendor's shape (seed 003, SPEC 3.6): `POST /otp/generate` and `/otp/validate`,
 * authenticated by `api-login` / `api-key` headers, answering `code: 0` on success. A thin
 * adapter: the same otp-core commands run underneath. `GET`/`PUT /otp/sender`: the account's
 * default sender, used when a generate names none (or one that cannot be used).
 */
@Controller('otp')
@UseAuthScheme('api-key')
export class VendorOtpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiOperation({
    operationId: 'vendorGenerate',
    tag: 'Second vendor',
    summary: 'Generate and send an OTP (seed 003)',
    description:
      'Lenient as seed 003 promises: values cast, unusable optional values ignored and listed in `warnings`; `sender` optional (the account default, else DEFAULT_SENDER).',
    body: GenerateBody,
    headers: IdempotencyHeaders,
    response: GenerateOk,
    errorBody: vendorErrorBody,
    errors: [403, 453, 454, 456, 457, 495, 503],
  })
  @Post('generate')
  @HttpCode(200)
  async generate(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<object> {
    const b = bodyObject(raw);
    const key = idempotencyKeyHeader(idempotencyKey);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const defaultSender = (await this.accounts.defaultSenderOf(actor.accountSid)) ?? this.config.defaultSender;
    const { command, warnings } = vendorSendCommand(b, actor, defaultSender);
    if (command.from === undefined) {
      throw new DomainError(
        ErrorCode.BadRequest,
        'sender is required: this account has no default sender (PUT /otp/sender)',
        {
          field: 'sender',
        },
      );
    }
    const reply = await sendOtpCommand(this.rpc, { ...command, idempotencyKey: key });
    if (isErrorReply(reply)) throw vendorError(reply);
    return {
      code: 0,
      message: 'OK',
      ticket_number: reply.requestID,
      otp_request_token: reply.requestID,
      ...(warnings.length ? { warnings } : {}),
    };
  }

  @ApiOperation({
    operationId: 'vendorValidate',
    tag: 'Second vendor',
    summary: 'Validate an OTP (seed 003)',
    body: ValidateBody,
    response: ValidateOk,
    errorBody: vendorErrorBody,
    errors: [403, 457, 470, 471, 472, 473, 474, 475, 476, 503],
  })
  @Post('validate')
  @HttpCode(200)
  async validate(@Req() req: AuthenticatedRequest, @Body() raw: unknown): Promise<object> {
    const b = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const reply = await this.rpc.forward('otp.v1.verify', { requestId: b.otp_request_token, code: b.code, ...actor });
    if (isErrorReply(reply)) throw vendorError(reply);
    return { code: 0, message: 'OK', ticket_number: reply.requestID };
  }

  /** The account's default sender (`null`: none; then DEFAULT_SENDER, if the operator set one). */
  @ApiOperation({
    operationId: 'vendorGetSender',
    tag: 'Second vendor',
    summary: "The account's default sender for generate",
    query: SenderQuery,
    response: SenderOk,
    errors: [403, 503],
  })
  @Get('sender')
  async sender(@Req() req: AuthenticatedRequest, @Query('accountSid') accountSid?: string): Promise<object> {
    const actor = await this.accounts.actingAccount(req.account, accountSid);
    return { code: 0, message: 'OK', sender: (await this.accounts.defaultSenderOf(actor.accountSid)) ?? null };
  }

  /** Sets (or with `null`, clears) the account's default sender: an E.164 number or a 3-11 character sender ID. */
  @ApiOperation({
    operationId: 'vendorSetSender',
    tag: 'Second vendor',
    summary: "Sets (or clears) the account's default sender for generate",
    body: SenderBody,
    response: SenderOk,
    errors: [403, 503],
  })
  @Put('sender')
  async setSender(@Req() req: AuthenticatedRequest, @Body() raw: unknown): Promise<object> {
    const b = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const sender = b.sender;
    const valid =
      sender === null ||
      (typeof sender === 'string' && (/^[A-Za-z0-9]{3,11}$/.test(sender) || phoneNumber.safeParse(sender).success));
    if (!valid) {
      throw new DomainError(
        ErrorCode.BadRequest,
        'sender must be an E.164 number, a 3-11 character alphanumeric sender ID, or null',
        {
          field: 'sender',
        },
      );
    }
    await this.accounts.setDefaultSender(actor.accountSid, sender as string | null);
    return { code: 0, message: 'OK', sender };
  }
}

/** An error reply in the second vendor's shape (`ticket_number` instead of `requestID`, its field names). */
function vendorError(reply: ErrorReply): AnswerException {
  const field = reply.field === undefined ? undefined : (VENDOR_FIELD[reply.field] ?? reply.field);
  let message = reply.message;
  if (field && reply.field && field !== reply.field)
    message = message.replace(new RegExp(`\\b${reply.field}\\b`), field);
  return new AnswerException({
    status: httpStatusOf(reply.code),
    headers: reply.retryAfter === undefined ? {} : { 'Retry-After': String(reply.retryAfter) },
    body: {
      code: reply.code,
      message,
      ...(field ? { field } : {}),
      ...(reply.requestID ? { ticket_number: reply.requestID } : {}),
      // A fraud guard refusal (456): which rule refused.
      ...(reply.reason ? { reason: reply.reason } : {}),
      // An unknown outcome (457): the key to send the same request again with, safely.
      ...(reply.idempotencyKey ? { idempotency_key: reply.idempotencyKey } : {}),
    },
  });
}
