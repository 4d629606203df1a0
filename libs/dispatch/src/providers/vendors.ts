import type { Channel } from '@app/contracts';
import type { ProviderFactories } from '../provider-settings';
import { InfobipSmsProvider } from './infobip/infobip-sms.provider';
import { PlivoSmsProvider } from './plivo/plivo-sms.provider';
import { SesEmailProvider } from './ses/ses-email.provider';
import { SnsSmsProvider } from './sns/sns-sms.provider';
import { TelnyxSmsProvider } from './telnyx/telnyx-sms.provider';
import { TwilioSmsProvider } from './twilio/twilio-sms.provider';
import { TwilioVoiceProvider } from './twilio/twilio-voice.provider';
import { VonageSmsProvider } from './vonage/vonage-sms.provider';
import { VonageVoiceProvider } from './vonage/vonage-voice.provider';

/** The vendors' providers by channel and type (SPEC section 13), one folder each. */
export const VENDOR_FACTORIES: Record<Channel, ProviderFactories> = {
  sms: {
    twilio: (ctx) => new TwilioSmsProvider(ctx),
    vonage: (ctx) => new VonageSmsProvider(ctx),
    plivo: (ctx) => new PlivoSmsProvider(ctx),
    telnyx: (ctx) => new TelnyxSmsProvider(ctx),
    infobip: (ctx) => new InfobipSmsProvider(ctx),
    sns: (ctx) => new SnsSmsProvider(ctx),
  },
  call: {
    twilio: (ctx) => new TwilioVoiceProvider(ctx),
    vonage: (ctx) => new VonageVoiceProvider(ctx),
  },
  email: {
    ses: (ctx) => new SesEmailProvider(ctx),
  },
};
