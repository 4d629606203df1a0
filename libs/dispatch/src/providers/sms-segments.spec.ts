import { segment } from './sms-segments';

describe('SMS segments', () => {
  it('keeps a GSM text of up to 160 characters whole', () => {
    expect(segment('a'.repeat(160))).toEqual({ encoding: 'gsm7', parts: ['a'.repeat(160)] });
  });

  it('cuts a longer GSM text into parts of 153', () => {
    const { encoding, parts } = segment('b'.repeat(400));
    expect(encoding).toBe('gsm7');
    expect(parts.map((p) => p.length)).toEqual([153, 153, 94]);
    expect(parts.join('')).toBe('b'.repeat(400));
  });

  it('counts extension characters twice and never splits them', () => {
    expect(segment('€'.repeat(80)).parts).toHaveLength(1);
    expect(segment('€'.repeat(81)).parts.map((p) => p.length)).toEqual([76, 5]);
  });

  it('sends other scripts as UCS-2, 70 alone or 67 per part, surrogate pairs kept whole', () => {
    expect(segment('я'.repeat(70))).toEqual({ encoding: 'ucs2', parts: ['я'.repeat(70)] });
    expect(segment('я'.repeat(71)).parts.map((p) => p.length)).toEqual([67, 4]);
    const emoji = segment('😀'.repeat(40)).parts;
    expect(emoji.map((p) => p.length)).toEqual([66, 14]);
    expect(emoji.join('')).toBe('😀'.repeat(40));
  });
});
