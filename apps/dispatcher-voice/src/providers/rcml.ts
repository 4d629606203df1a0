import { type DispatchMessage, SEND_DEFAULTS } from '@app/contracts';

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
 * The RCML document of a voice dispatch: one `<Say>` reading the text with the code digit by
 * digit, `repeat` times (`loop`), in the requested voice (man/woman) and locale.
 */
export function buildRcml(message: Pick<DispatchMessage, 'text' | 'language' | 'voice' | 'repeat'>): string {
  const voice = message.voice ?? SEND_DEFAULTS.voice;
  const language = localeOf(message.language);
  const loop = message.repeat ?? SEND_DEFAULTS.repeat;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Response><Say voice="${escapeXml(voice)}" language="${escapeXml(language)}" loop="${loop}">${escapeXml(spellDigits(message.text))}</Say></Response>`
  );
}
