import { Writable } from 'node:stream';
import pino from 'pino';
import { PinoNestLogger } from './logger';

describe('PinoNestLogger', () => {
  const captured = (level: string) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    return { logger: new PinoNestLogger(pino({ level, messageKey: 'message' }, sink)), lines };
  };

  it('writes the levels enabled, with the context Nest passes last, and nothing below', () => {
    const { logger, lines } = captured('warn');
    logger.log({ message: 'request', status: 201 }, 'Http');
    logger.debug('detail', 'Http');
    logger.warn('slow', 'Http');
    logger.error({ message: 'failed', status: 500 }, 'Http');

    expect(lines).toMatchObject([
      { level: 40, message: 'slow', context: 'Http' },
      { level: 50, message: 'failed', status: 500, context: 'Http' },
    ]);
    expect(lines).toHaveLength(2);
  });
});
