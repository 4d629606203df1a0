import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  type CommandInput,
  type ErrorCode,
  type ErrorReply,
  httpStatusOf,
  isErrorReply,
  SEND_FIELDS,
  VERIFY_FIELDS,
} from '@app/contracts';
import { NatsRpcClient, ApiOperation } from '@app/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import { type AuthenticatedRequest, UseAuthScheme } from '../auth/auth.guard';
import { bodyObject } from '../http/body';

/** Our field names back to the second vendor's, so a 400 names the field the caller sent. */
const VENDOR_FIELD: Record<string, string> = {
  to: 'phone_number',
  body: 'text',
  from: 'sender',
  channel: 'channel',
  length: 'code_length',
  allowDigits: 'allow_digits',
  allowUpperCase: 'allow_upper_case',
  allowLowerCase: 'allow_lower_case',
  allowSpecialChars: 'allow_special_chars',
  timeout: 'validity_period',
  maxWrongAttempts: 'max_wrong_attempts',
  recipientIp: 'recipient_ip',
  language: 'voice_language',
  voice: 'voice_gender',
  requestId: 'otp_request_token',
  code: 'code',
};

const CHANNEL: Record<string, string> = { sms: 'sms', voice_sms: 'call' };

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
});
const ValidateOk = z.object({ code: z.literal(0), message: z.string(), ticket_number: z.string() });
/** The vendor's error shape: the catalog code, the vendor's field name, the request as `ticket_number`. */
const vendorErrorBody = (codes: readonly [ErrorCode, ...ErrorCode[]]) =>
  z.object({
    code: z.literal(codes),
    message: z.string(),
    field: z.string().optional(),
    ticket_number: z.string().optional(),
  });

/**
 * The second vendor's shape (seed 003, SPEC 3.6): `POST /otp/generate` and `/otp/validate`,
 * authenticated by `api-login` / `api-key` headers, answering `code: 0` on success. A thin
 * adapter: the same otp-core commands run underneath.
 */
@Controller('otp')
@UseAuthScheme('api-key')
export class VendorOtpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
  ) {}

  @ApiOperation({
    operationId: 'vendorGenerate',
    tag: 'Second vendor',
    summary: 'Generate and send an OTP (seed 003)',
    body: GenerateBody,
    response: GenerateOk,
    errorBody: vendorErrorBody,
    errors: [403, 453, 454, 495, 503],
  })
  @Post('generate')
  @HttpCode(200)
  async generate(@Req() req: AuthenticatedRequest, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const b = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const text = typeof b.text === 'string' && !b.text.includes('{code}') ? `${b.text} {code}` : b.text;
    const channel =
      b.channel === undefined
        ? undefined
        : typeof b.channel === 'string'
          ? (CHANNEL[b.channel] ?? b.channel)
          : b.channel;
    const command = {
      service: typeof b.service === 'string' ? b.service : 'otp',
      to: b.phone_number,
      body: text,
      from: b.sender,
      channel,
      length: b.code_length,
      allowDigits: b.allow_digits,
      allowUpperCase: b.allow_upper_case,
      allowLowerCase: b.allow_lower_case,
      allowSpecialChars: b.allow_special_chars,
      timeout: b.validity_period,
      maxWrongAttempts: b.max_wrong_attempts,
      recipientIp: b.recipient_ip,
      // The voice options mean something to a voice_sms only; an sms ignores them, as the seed does.
      ...(channel === 'call' ? { language: b.voice_language, voice: b.voice_gender } : {}),
      ...actor,
    } as CommandInput<'otp.v1.send'>;
    const reply = await this.rpc.request('otp.v1.send', command);
    if (isErrorReply(reply)) return vendorError(res, reply);
    res
      .status(200)
      .json({ code: 0, message: 'OK', ticket_number: reply.requestID, otp_request_token: reply.requestID });
  }

  @ApiOperation({
    operationId: 'vendorValidate',
    tag: 'Second vendor',
    summary: 'Validate an OTP (seed 003)',
    body: ValidateBody,
    response: ValidateOk,
    errorBody: vendorErrorBody,
    errors: [403, 470, 471, 472, 473, 474, 475, 476, 503],
  })
  @Post('validate')
  @HttpCode(200)
  async validate(@Req() req: AuthenticatedRequest, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const b = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const reply = await this.rpc.request('otp.v1.verify', {
      requestId: b.otp_request_token,
      code: b.code,
      ...actor,
    } as CommandInput<'otp.v1.verify'>);
    if (isErrorReply(reply)) return vendorError(res, reply);
    res.status(200).json({ code: 0, message: 'OK', ticket_number: reply.requestID });
  }
}

function vendorError(res: Response, reply: ErrorReply): void {
  const field = reply.field === undefined ? undefined : (VENDOR_FIELD[reply.field] ?? reply.field);
  let message = reply.message;
  if (field && reply.field && field !== reply.field)
    message = message.replace(new RegExp(`\\b${reply.field}\\b`), field);
  res.status(httpStatusOf(reply.code));
  if (reply.retryAfter !== undefined) res.setHeader('Retry-After', String(reply.retryAfter));
  res.json({
    code: reply.code,
    message,
    ...(field ? { field } : {}),
    ...(reply.requestID ? { ticket_number: reply.requestID } : {}),
  });
}
