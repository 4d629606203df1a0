import type { DispatchMessage } from '@app/contracts';

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text and attribute values; characters XML 1.0 cannot hold at all are dropped. */
export function escapeXml(value: string): string {
  return (
    value
      // Matching control characters is the point: XML 1.0 forbids them in any document.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/[&<>"']/g, (c) => XML_ESCAPES[c])
  );
}

/** Reads every number digit by digit, with a pause (a comma) between digits: "1, 2, 3, 4". */
export function spellDigits(text: string): string {
  return text.replace(/\d{2,}/g, (digits) => digits.split('').join(', '));
}

/** `awspolly.ja-JP` → `ja-JP`; a bare locale stays as it is. */
export function localeOf(language: string | undefined): string {
  if (!language) return 'en-US';
  const dot = language.lastIndexOf('.');
  return dot >= 0 ? language.slice(dot + 1) : language;
}

/**
 * What a call reads out, once for every voice provider: the text with every number spelled digit
 * by digit, the voice (man/woman), the locale and how many times. RCML, TwiML and Vonage's NCCO
 * are renderings of it.
 */
export interface SpeechDocument {
  text: string;
  voice: 'man' | 'woman';
  language: string;
  loop: number;
}

export function speechOf(message: Pick<DispatchMessage, 'text' | 'language' | 'voice' | 'repeat'>): SpeechDocument {
  return {
    text: spellDigits(message.text),
    voice: message.voice ?? 'woman',
    language: localeOf(message.language),
    loop: message.repeat ?? 1,
  };
}

/**
 * The `<Response><Say voice language loop>` document. RCML and Twilio's TwiML share this form
 * (`man`/`woman` voices, a BCP-47 `language`, `loop` times).
 */
function sayDocument(speech: SpeechDocument): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Response><Say voice="${escapeXml(speech.voice)}" language="${escapeXml(speech.language)}" loop="${speech.loop}">${escapeXml(speech.text)}</Say></Response>`
  );
}

/**
 * The RCML document of a voice dispatch: one `<Say>` reading the text with the code digit by
 * digit, `repeat` times (`loop`), in the requested voice (man/woman) and locale.
 */
export function buildRcml(message: Pick<DispatchMessage, 'text' | 'language' | 'voice' | 'repeat'>): string {
  return sayDocument(speechOf(message));
}

/** TwiML for Twilio's Calls API (`Twiml` parameter): the same document as RCML. */
export const buildTwiml = buildRcml;

/**
 * Vonage's NCCO: one `talk` action (text, BCP-47 `language`, `loop`). Vonage picks the voice by
 * language and `style` (0, the language's first voice); it has no man/woman switch.
 */
export function buildNcco(message: Pick<DispatchMessage, 'text' | 'language' | 'voice' | 'repeat'>): object[] {
  const speech = speechOf(message);
  return [{ action: 'talk', text: speech.text, language: speech.language, style: 0, loop: speech.loop }];
}
