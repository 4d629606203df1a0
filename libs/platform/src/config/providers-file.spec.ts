import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'providers-spec-')), name);
  writeFileSync(path, text);
  return path;
}

describe('PROVIDERS_FILE', () => {
  it('reads JSON and YAML alike, names defaulting to the type', () => {
    const yaml = file(
      'p.yaml',
      'sms:\n  - type: twilio\n    countries: [GB]\n    accountSid: AC1\n  - name: backup\n    type: vonage\n',
    );
    const config = loadConfig({ PROVIDERS_FILE: yaml, PUBLIC_URL: 'https://otp.example.com/' });
    expect(config.publicUrl).toBe('https://otp.example.com');
    expect(config.providers?.sms).toEqual([
      expect.objectContaining({ name: 'twilio', type: 'twilio', countries: ['GB'], settings: { accountSid: 'AC1' } }),
      expect.objectContaining({
        name: 'backup',
        type: 'vonage',
        circuit: { failures: 5, windowSeconds: 60, openSeconds: 30 },
      }),
    ]);
    const json = file('p.json', JSON.stringify({ email: [{ type: 'ses', region: 'eu-west-1' }] }));
    expect(loadConfig({ PROVIDERS_FILE: json }).providers?.email?.[0]).toMatchObject({
      name: 'ses',
      settings: { region: 'eu-west-1' },
    });
  });

  it.each([
    ['{"sms": [{"type": "carrier-pigeon"}]}', /sms\[0\]\.type "carrier-pigeon" does not serve sms/],
    ['{"call": [{"type": "plivo"}]}', /call\[0\]\.type "plivo" does not serve call/],
    ['{"fax": [{"type": "log"}]}', /unknown channel "fax"/],
    ['{"sms": [{"type": "log", "countries": ["uk"]}]}', /sms\[0\]\.countries\.0 must be ISO 3166-1 alpha-2/],
    ['{"sms": [{"type": "log"}], "call": [{"type": "log"}]}', /call\[0\]\.name "log" is also sms\[0\]/],
    ['{"sms": [{"type": "webhook", "name": "sms"}]}', /"sms" is reserved/],
    ['{"sms": [{"type": "twilio", "baseUrl": "ftp://x"}]}', /sms\[0\]\.baseUrl must be an http/],
    ['{"email": [{"type": "ses", "countries": ["GB"]}]}', /countries is for sms and call/],
    ['{"sms": []}', /sms must be a non-empty list/],
    ['{"sms": [', /is not valid JSON/],
  ])('stops the start naming what is wrong in %s', (text, message) => {
    const path = file('p.json', text);
    expect(() => loadConfig({ PROVIDERS_FILE: path })).toThrow(ConfigError);
    expect(() => loadConfig({ PROVIDERS_FILE: path })).toThrow(message);
    expect(() => loadConfig({ PROVIDERS_FILE: path })).toThrow(/^Invalid configuration: PROVIDERS_FILE /);
  });

  it('takes a `${NAME}` setting from the environment, so credentials can stay in a Secret', () => {
    const path = file(
      'p.yaml',
      'sms:\n  - type: twilio\n    accountSid: AC1\n    authToken: ${TWILIO_AUTH_TOKEN}\n    from: "+44 ${not a reference}"\n',
    );
    expect(loadConfig({ PROVIDERS_FILE: path, TWILIO_AUTH_TOKEN: 's3cret' }).providers?.sms?.[0].settings).toEqual({
      accountSid: 'AC1',
      authToken: 's3cret',
      from: '+44 ${not a reference}',
    });
    // The gateway reads names only and needs no provider secret; the dispatcher refuses (provider-registry.spec).
    expect(loadConfig({ PROVIDERS_FILE: path }).providers?.sms?.[0]).toMatchObject({
      settings: { accountSid: 'AC1', from: '+44 ${not a reference}' },
      unresolved: { authToken: 'TWILIO_AUTH_TOKEN' },
    });
  });

  it('reads the providers file deploy/k8s ships, and the example in its comments', () => {
    const shipped = join(__dirname, '../../../../deploy/k8s/providers.yaml');
    expect(loadConfig({ PROVIDERS_FILE: shipped }).providers?.email?.[0]).toMatchObject({ type: 'log' });
    const example = readFileSync(shipped, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#   '))
      .map((line) => line.slice(4))
      .join('\n');
    const providers = loadConfig({ PROVIDERS_FILE: file('example.yaml', example) }).providers;
    expect(providers?.sms?.map((e) => [e.name, e.type, e.unresolved])).toEqual([
      ['twilio-uk', 'twilio', { authToken: 'TWILIO_AUTH_TOKEN' }],
      ['sns', 'sns', { accessKeyId: 'AWS_SNS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SNS_SECRET_ACCESS_KEY' }],
      ['vonage', 'vonage', { apiSecret: 'VONAGE_API_SECRET' }],
    ]);
    expect(providers?.email?.[0]).toMatchObject({ name: 'ses', type: 'ses' });
  });

  it('names a file that cannot be read', () => {
    expect(() => loadConfig({ PROVIDERS_FILE: '/nonexistent/providers.json' })).toThrow(
      /PROVIDERS_FILE cannot be read \(ENOENT/,
    );
  });
});
