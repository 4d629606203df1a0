import { DispatchMessage } from '@app/contracts';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals a future dispatch (a fallback step's rendered message, code included) for storage:
 * AES-256-GCM under a key derived from the server secret with HKDF, the dispatch id as
 * associated data so that a sealed text cannot be moved onto another dispatch. The code is
 * never at rest in clear; the sealed text is deleted once the step went out or was skipped.
 */
export class DispatchSeal {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'smart2fa', 'otp-core dispatch seal v1', 32));
  }

  seal(message: DispatchMessage): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(message.dispatchId));
    const body = Buffer.concat([cipher.update(JSON.stringify(message), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Throws when the text was altered, belongs to another dispatch, or was sealed under another secret. */
  open(dispatchId: string, sealed: string): DispatchMessage {
    const [version, data] = sealed.split('.', 2);
    if (version !== VERSION || !data) throw new Error('unknown seal version');
    const raw = Buffer.from(data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(dispatchId));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const clear = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
    return DispatchMessage.parse(JSON.parse(clear));
  }
}
