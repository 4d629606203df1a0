import { type AppConfig, ConfigError, parseProviders } from '@app/platform';
import { buildRoutes } from './provider-registry';

describe('building the providers of a providers file', () => {
  const config = (providers: unknown) =>
    ({
      providers: parseProviders(providers),
      publicUrl: 'https://otp.example.com',
      dispatch: { providerTimeoutMs: 1000 },
    }) as unknown as AppConfig;

  it('checks each type’s settings at start, naming the entry and the field', () => {
    expect(() =>
      buildRoutes('sms', config({ sms: [{ name: 'eu', type: 'twilio', authToken: 'x'.repeat(32) }] }), {}),
    ).toThrow(new ConfigError('PROVIDERS_FILE', 'sms provider "eu" (twilio): accountSid is required'));
    expect(() =>
      buildRoutes('call', config({ call: [{ type: 'vonage', applicationId: 'a', privateKey: 'not a key' }] }), {}),
    ).toThrow(/call provider "vonage" \(vonage\): privateKey must be a PEM private key/);
    expect(() => buildRoutes('email', config({ email: [{ type: 'ses' }] }), {})).toThrow(
      new ConfigError('PROVIDERS_FILE', 'email provider "ses" (ses): region is required'),
    );
    expect(() =>
      buildRoutes(
        'sms',
        config({ sms: [{ type: 'sns', region: 'eu-west-1', accessKeyId: 'AKIA0123456789ABCDEF' }] }),
        {},
      ),
    ).toThrow(
      new ConfigError('PROVIDERS_FILE', 'sms provider "sns" (sns): secretAccessKey is required with accessKeyId'),
    );
    expect(() =>
      buildRoutes('sms', config({ sms: [{ type: 'plivo', authId: 'MA1', authToken: '${PLIVO_AUTH_TOKEN}' }] }), {}),
    ).toThrow(
      new ConfigError(
        'PROVIDERS_FILE',
        'sms provider "plivo" (plivo): authToken names ${PLIVO_AUTH_TOKEN}, which is not set in the environment',
      ),
    );
    expect(() => buildRoutes('sms', config({ sms: [{ type: 'infobip', apiKey: 'k' }] }), {})).toThrow(
      new ConfigError('PROVIDERS_FILE', 'sms provider "infobip" (infobip): baseUrl is required'),
    );
  });

  it('builds the vendors in order with their countries, named after their entries', () => {
    const routes = buildRoutes(
      'sms',
      config({
        sms: [
          {
            name: 'uk',
            type: 'twilio',
            countries: ['GB'],
            accountSid: `AC${'0'.repeat(32)}`,
            authToken: 'x'.repeat(32),
          },
          { type: 'vonage', apiKey: 'k', apiSecret: 's' },
        ],
      }),
      {},
    );
    expect(routes.map((r) => [r.provider.name, r.provider.callbackName, r.countries])).toEqual([
      ['uk', 'uk', ['GB']],
      ['vonage', 'vonage', undefined],
    ]);
  });
});
