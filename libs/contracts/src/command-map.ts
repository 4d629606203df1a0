import { z } from 'zod';
import { ErrorReply } from './error-catalog';
import {
  ConsumeLimitsCommand,
  ConsumeLimitsReply,
  CreateLimitCommand,
  LimitByIdQuery,
  LimitPageReply,
  LimitReply,
  SearchLimitsQuery,
  UpdateLimitCommand,
} from './limiter.commands';
import {
  AddSafeListEntryCommand,
  FraudBlockData,
  FraudBlockQuery,
  FraudSettingsData,
  FraudSettingsQuery,
  GeoPermissionData,
  SafeListEntryData,
  SafeListEntryQuery,
  UpdateFraudSettingsCommand,
  UpdateGeoPermissionCommand,
} from './fraud.commands';
import { CancelOtpCommand, OtpReply, SendOtpCommand, VerifyOtpCommand } from './otp.commands';
import { DevOutboxQuery, DevOutboxReply } from './dispatch.messages';
import { okWith } from './paging';
import { SdrByIdQuery, SdrPageReply, SdrReply, SearchSdrQuery, UsageQuery, UsageReply } from './sdr.commands';

/**
 * Every request-reply subject with the schema its payload is validated against on receipt
 * and the reply it answers with (or an {@link ErrorReply}). Publish and subscribe helpers are
 * typed over this map, so a wrong payload does not compile.
 */
export const COMMAND_SCHEMAS = {
  'otp.v1.send': SendOtpCommand,
  'otp.v1.verify': VerifyOtpCommand,
  'otp.v1.cancel': CancelOtpCommand,
  'limiter.v1.consume': ConsumeLimitsCommand,
  'limiter.v1.create': CreateLimitCommand,
  'limiter.v1.update': UpdateLimitCommand,
  'limiter.v1.delete': LimitByIdQuery,
  'limiter.v1.get': LimitByIdQuery,
  'limiter.v1.search': SearchLimitsQuery,
  'sdr.v1.search': SearchSdrQuery,
  'sdr.v1.get': SdrByIdQuery,
  'sdr.v1.usage': UsageQuery,
  'fraud.v1.settings.get': FraudSettingsQuery,
  'fraud.v1.settings.put': UpdateFraudSettingsCommand,
  'fraud.v1.geo.list': FraudSettingsQuery,
  'fraud.v1.geo.put': UpdateGeoPermissionCommand,
  'fraud.v1.safelist.list': FraudSettingsQuery,
  'fraud.v1.safelist.add': AddSafeListEntryCommand,
  'fraud.v1.safelist.delete': SafeListEntryQuery,
  'fraud.v1.blocks.list': FraudSettingsQuery,
  'fraud.v1.blocks.delete': FraudBlockQuery,
  'dev.v1.outbox.sms': DevOutboxQuery,
  'dev.v1.outbox.call': DevOutboxQuery,
  'dev.v1.outbox.email': DevOutboxQuery,
} as const;

/**
 * The success reply of each subject, as a schema: the reply types below are derived from it,
 * and the typed client (packages/client) and docs/asyncapi.yaml's checks are generated from or
 * checked against it. A subject added to {@link COMMAND_SCHEMAS} without its reply does not compile.
 */
export const COMMAND_REPLY_SCHEMAS = {
  'otp.v1.send': OtpReply,
  'otp.v1.verify': OtpReply,
  'otp.v1.cancel': OtpReply,
  'limiter.v1.consume': ConsumeLimitsReply,
  'limiter.v1.create': LimitReply,
  'limiter.v1.update': LimitReply,
  'limiter.v1.delete': LimitReply,
  'limiter.v1.get': LimitReply,
  'limiter.v1.search': LimitPageReply,
  'sdr.v1.search': SdrPageReply,
  'sdr.v1.get': SdrReply,
  'sdr.v1.usage': UsageReply,
  'fraud.v1.settings.get': okWith(FraudSettingsData),
  'fraud.v1.settings.put': okWith(FraudSettingsData),
  'fraud.v1.geo.list': okWith(z.array(GeoPermissionData)),
  'fraud.v1.geo.put': okWith(GeoPermissionData),
  'fraud.v1.safelist.list': okWith(z.array(SafeListEntryData)),
  'fraud.v1.safelist.add': okWith(SafeListEntryData),
  'fraud.v1.safelist.delete': okWith(SafeListEntryData),
  'fraud.v1.blocks.list': okWith(z.array(FraudBlockData)),
  'fraud.v1.blocks.delete': okWith(FraudBlockData),
  'dev.v1.outbox.sms': DevOutboxReply,
  'dev.v1.outbox.call': DevOutboxReply,
  'dev.v1.outbox.email': DevOutboxReply,
} as const satisfies Record<keyof typeof COMMAND_SCHEMAS, z.ZodType>;

/**
 * Commands whose effect a caller must not be told did not happen: without an answer after
 * they left, their outcome is unknown (457), not "nothing done" (503). The others only read,
 * or (limiter.v1.consume) are part of a command that itself does nothing without their answer.
 */
export const OUTCOME_MATTERS: readonly (keyof typeof COMMAND_SCHEMAS)[] = [
  'otp.v1.send',
  'otp.v1.verify',
  'otp.v1.cancel',
  'limiter.v1.create',
  'limiter.v1.update',
  'limiter.v1.delete',
  'fraud.v1.settings.put',
  'fraud.v1.geo.put',
  'fraud.v1.safelist.add',
  'fraud.v1.safelist.delete',
  'fraud.v1.blocks.delete',
];

/** Every failure reply, whatever the subject. */
export const COMMAND_ERROR_SCHEMA = ErrorReply;

export type CommandReplies = { [S in CommandSubject]: z.output<(typeof COMMAND_REPLY_SCHEMAS)[S]> };

export type CommandSubject = keyof typeof COMMAND_SCHEMAS;
/** What a publisher sends (before defaults and normalisation). */
export type CommandInput<S extends CommandSubject> = z.input<(typeof COMMAND_SCHEMAS)[S]>;
/** What a handler receives (validated, defaults applied). */
export type CommandPayload<S extends CommandSubject> = z.output<(typeof COMMAND_SCHEMAS)[S]>;
export type CommandReply<S extends CommandSubject> = CommandReplies[S] | ErrorReply;

export function isCommandSubject(subject: string): subject is CommandSubject {
  return Object.prototype.hasOwnProperty.call(COMMAND_SCHEMAS, subject);
}
