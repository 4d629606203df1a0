import type { Channel } from '@app/contracts';
import type { ProviderFactories } from '../provider-settings';
import { TwilioSmsProvider } from './twilio/twilio-sms.provider';
import { TwilioVoiceProvider } from './twilio/twilio-voice.provider';
import { VonageSmsProvider } from './vonage/vonage-sms.provider';
import { VonageVoiceProvider } from './vonage/vonage-voice.provider';

/** The vendors' providers by channel and type (SPEC section 13), one folder each. */
export const VENDOR_FACTORIES: Record<Channel, ProviderFactories> = {
  sms: {
    twilio: (ctx) => new TwilioSmsProvider(ctx),
    vonage: (ctx) => new VonageSmsProvider(ctx),
  },
  call: {
    twilio: (ctx) => new TwilioVoiceProvider(ctx),
    vonage: (ctx) => new VonageVoiceProvider(ctx),
  },
  email: {},
};
