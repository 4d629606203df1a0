/**
 * How an SMS is cut into segments (3GPP TS 23.038/23.040): text in the GSM 7-bit default
 * alphabet fits 160 characters alone or 153 per part of a concatenated message; anything else
 * goes as UCS-2, 70 alone or 67 per part. Extension characters (€, [, ] …) take two septets.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

type SmsEncoding = 'gsm7' | 'ucs2';

export function encodingOf(text: string): SmsEncoding {
  for (const c of text) if (!GSM_BASIC.includes(c) && !GSM_EXTENDED.includes(c)) return 'ucs2';
  return 'gsm7';
}

/** The parts of `text`, each within one segment; one part when it fits a single SMS. */
export function segment(text: string): { encoding: SmsEncoding; parts: string[] } {
  const encoding = encodingOf(text);
  const units = encoding === 'gsm7' ? [...text] : splitUtf16(text);
  const size = (u: string) =>
    encoding === 'gsm7' && GSM_EXTENDED.includes(u) ? 2 : encoding === 'ucs2' ? u.length : 1;
  const total = units.reduce((n, u) => n + size(u), 0);
  const single = encoding === 'gsm7' ? 160 : 70;
  if (total <= single) return { encoding, parts: [text] };
  const max = encoding === 'gsm7' ? 153 : 67;
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const u of units) {
    // Never split an escape sequence or a surrogate pair across two parts.
    if (used + size(u) > max) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += u;
    used += size(u);
  }
  if (current) parts.push(current);
  return { encoding, parts };
}

/** Code points (a surrogate pair stays one unit of two UTF-16 code units). */
function splitUtf16(text: string): string[] {
  return [...text];
}
