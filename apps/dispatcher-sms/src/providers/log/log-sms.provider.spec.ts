import { maskDestination } from '@app/contracts';
import { PinoNestLogger } from '@app/platform';
import { Writable } from 'node:stream';
import pino from 'pino';
import { LogSmsProvider } from './log-sms.provider';

describe('LogSmsProvider', () => {
  const code = '493817';
  const to = '+14155550123';
  const from = '+14155550199';

  /**
   * The provider writing through the service's logger adapter into a pino that captures its
   * output. Deliberately without the service logger's redaction, so a field that leaked the
   * code would show here instead of being censored quietly.
   */
  const captured = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const provider = new LogSmsProvider(new PinoNestLogger(pino({ messageKey: 'message' }, sink)));
    return { provider, lines };
  };

  it('writes one line with the destination and the text masked, never the code or the full numbers', async () => {
    const { provider, lines } = captured();
    const { providerMessageId } = await provider.send({
      dispatchId: 'OTP0123456789abcdef0123456789abcdef-1',
      from,
      to,
      text: `Your code is ${code}`,
      maskedText: 'Your code is ******',
    });

    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    // What makes the line useful, so the absences below are not those of an empty line.
    expect(line).toMatchObject({
      message: 'sms sent (log provider)',
      dispatchId: 'OTP0123456789abcdef0123456789abcdef-1',
      to: maskDestination(to),
      maskedText: 'Your code is ******',
      providerMessageId,
    });
    expect(providerMessageId).toMatch(/^log-[0-9a-f-]{36}$/);
    expect(lines[0]).not.toContain(code);
    // Neither number in full, in any form (with or without the plus, or its national digits).
    for (const number of [to, from]) expect(lines[0]).not.toContain(number.slice(2));
  });

  it('gives every send its own message id', async () => {
    const { provider } = captured();
    const message = { dispatchId: 'd-1', from, to, text: `Your code is ${code}`, maskedText: 'Your code is ******' };
    const first = await provider.send(message);
    const second = await provider.send(message);
    expect(first.providerMessageId).not.toBe(second.providerMessageId);
  });
});
