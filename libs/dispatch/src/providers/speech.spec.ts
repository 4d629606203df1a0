import { buildNcco, buildRcml, buildTwiml, escapeXml, localeOf, spellDigits } from './speech';

describe('RCML', () => {
  it('reads the code digit by digit, repeat times, in the voice and locale asked for', () => {
    expect(buildRcml({ text: 'Your code is 493817.', language: 'awspolly.ja-JP', voice: 'man', repeat: 3 })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="man" language="ja-JP" loop="3">Your code is 4, 9, 3, 8, 1, 7.</Say></Response>',
    );
  });

  it('defaults to a woman reading en-US once', () => {
    expect(buildRcml({ text: 'Code 12' })).toContain('<Say voice="woman" language="en-US" loop="1">Code 1, 2</Say>');
  });

  it('escapes markup in the text and attributes', () => {
    expect(escapeXml(`<Play>a & "b" 'c'</Play>`)).toBe('&lt;Play&gt;a &amp; &quot;b&quot; &apos;c&apos;&lt;/Play&gt;');
    expect(buildRcml({ text: 'x</Say><Play>http://evil</Play> 42', language: 'en"-US' })).toContain(
      'language="en&quot;-US"',
    );
    expect(buildRcml({ text: 'x</Say><Play>' })).not.toContain('<Play>');
  });

  it('keeps bare locales and single digits', () => {
    expect(localeOf('fr-FR')).toBe('fr-FR');
    expect(spellDigits('press 1')).toBe('press 1');
  });
});

describe('the speech document in TwiML and NCCO', () => {
  const message = { text: 'Code 4821', language: 'awspolly.en-GB', voice: 'man' as const, repeat: 2 };

  it('renders TwiML exactly as RCML', () => {
    expect(buildTwiml(message)).toBe(buildRcml(message));
  });

  it('renders one talk action with the digits spelled', () => {
    expect(buildNcco(message)).toEqual([
      { action: 'talk', text: 'Code 4, 8, 2, 1', language: 'en-GB', style: 0, loop: 2 },
    ]);
  });
});
