import { type AppConfig, ConfigError, loadConfig, parseProviders } from '@app/platform';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderChain } from './provider-chain';
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

  it('loads, builds and routes the README’s providers-file example as the README says', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Providers and routing\n'));
    const example = /^```json\n([\s\S]*?)^```$/m.exec(section)?.[1];
    expect(example).toContain('"twilio-uk"');
    const path = join(mkdtempSync(join(tmpdir(), 'readme-providers-')), 'providers.json');
    writeFileSync(path, example as string);
    // Its credentials are `${NAME}` references: the file itself holds none.
    const secrets = {
      TWILIO_UK_AUTH_TOKEN: 'u'.repeat(32),
      TWILIO_AUTH_TOKEN: 'm'.repeat(32),
      VONAGE_API_SECRET: 'v'.repeat(16),
      MAIL_SMTP_URL: 'smtps://user:pass@mail.example.com:465',
    };
    expect(loadConfig({ PROVIDERS_FILE: path }).providers?.sms?.map((e) => e.unresolved)).toEqual([
      { authToken: 'TWILIO_UK_AUTH_TOKEN' },
      { authToken: 'TWILIO_AUTH_TOKEN' },
      { apiSecret: 'VONAGE_API_SECRET' },
    ]);
    const config = loadConfig({ PROVIDERS_FILE: path, PUBLIC_URL: 'https://otp.example.com', ...secrets });
    expect(config.providers?.email).toEqual([
      expect.objectContaining({ name: 'smtp', type: 'smtp', settings: { url: secrets.MAIL_SMTP_URL } }),
    ]);
    const sms = new ProviderChain('sms', buildRoutes('sms', config, {}), () => 0);
    const route = (to: string) => sms.serving(to).map((r) => r.provider.name);
    expect(route('+447400123456')).toEqual(['twilio-uk', 'main', 'vonage']);
    expect(route('+353851234567')).toEqual(['twilio-uk', 'main', 'vonage']);
    expect(route('+14155552671')).toEqual(['main', 'vonage']);
    const call = buildRoutes('call', config, {});
    expect(call.map((r) => [r.provider.name, r.provider.callbackName])).toEqual([['twilio-voice', 'twilio-voice']]);
  });
});
