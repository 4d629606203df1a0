import type { z } from 'zod';
import type { ErrorReply } from './error-catalog';
import {
  ConsumeLimitsCommand,
  type ConsumeLimitsReply,
  CreateLimitCommand,
  LimitByIdQuery,
  type LimitPageReply,
  type LimitReply,
  SearchLimitsQuery,
  UpdateLimitCommand,
} from './limiter.commands';
import {
  AddSafeListEntryCommand,
  type FraudBlockData,
  FraudBlockQuery,
  type FraudReply,
  type FraudSettingsData,
  FraudSettingsQuery,
  type GeoPermissionData,
  type SafeListEntryData,
  SafeListEntryQuery,
  UpdateFraudSettingsCommand,
  UpdateGeoPermissionCommand,
} from './fraud.commands';
import { CancelOtpCommand, SendOtpCommand, VerifyOtpCommand, type OtpReply } from './otp.commands';
import { DevOutboxQuery, type DevOutboxReply } from './dispatch.messages';
import {
  SdrByIdQuery,
  type SdrPageReply,
  type SdrReply,
  SearchSdrQuery,
  UsageQuery,
  type UsageReply,
} from './sdr.commands';

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

export interface CommandReplies {
  'otp.v1.send': OtpReply;
  'otp.v1.verify': OtpReply;
  'otp.v1.cancel': OtpReply;
  'limiter.v1.consume': ConsumeLimitsReply;
  'limiter.v1.create': LimitReply;
  'limiter.v1.update': LimitReply;
  'limiter.v1.delete': LimitReply;
  'limiter.v1.get': LimitReply;
  'limiter.v1.search': LimitPageReply;
  'sdr.v1.search': SdrPageReply;
  'sdr.v1.get': SdrReply;
  'sdr.v1.usage': UsageReply;
  'fraud.v1.settings.get': FraudReply<FraudSettingsData>;
  'fraud.v1.settings.put': FraudReply<FraudSettingsData>;
  'fraud.v1.geo.list': FraudReply<GeoPermissionData[]>;
  'fraud.v1.geo.put': FraudReply<GeoPermissionData>;
  'fraud.v1.safelist.list': FraudReply<SafeListEntryData[]>;
  'fraud.v1.safelist.add': FraudReply<SafeListEntryData>;
  'fraud.v1.safelist.delete': FraudReply<SafeListEntryData>;
  'fraud.v1.blocks.list': FraudReply<FraudBlockData[]>;
  'fraud.v1.blocks.delete': FraudReply<FraudBlockData>;
  'dev.v1.outbox.sms': DevOutboxReply;
  'dev.v1.outbox.call': DevOutboxReply;
  'dev.v1.outbox.email': DevOutboxReply;
}

export type CommandSubject = keyof typeof COMMAND_SCHEMAS;
/** What a publisher sends (before defaults and normalisation). */
export type CommandInput<S extends CommandSubject> = z.input<(typeof COMMAND_SCHEMAS)[S]>;
/** What a handler receives (validated, defaults applied). */
export type CommandPayload<S extends CommandSubject> = z.output<(typeof COMMAND_SCHEMAS)[S]>;
export type CommandReply<S extends CommandSubject> = CommandReplies[S] | ErrorReply;

export function isCommandSubject(subject: string): subject is CommandSubject {
  return Object.prototype.hasOwnProperty.call(COMMAND_SCHEMAS, subject);
}
