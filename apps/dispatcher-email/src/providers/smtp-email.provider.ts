import type { DispatchMessage } from '@app/contracts';
import { type Accepted, type ChannelProvider, ProviderError } from '@app/dispatch';
import nodemailer, { type Transporter } from 'nodemailer';

interface SmtpFailure extends Error {
  responseCode?: number;
  code?: string;
}

/**
 * Email over SMTP (nodemailer), one connection per message so a dropped server costs nothing
 * but a retry. SMTP_URL is `smtp://[user:pass@]host:port` or `smtps://…` (implicit TLS);
 * nodemailer's query options apply (e.g. `?requireTLS=true`).
 */
export class SmtpEmailProvider implements ChannelProvider {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(url: string, timeoutMs: number) {
    this.transport = nodemailer.createTransport(url);
    // Connection, greeting and socket idle limits within the dispatcher's own time limit.
    Object.assign(this.transport.options, {
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    try {
      const info = await this.transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
        messageId: messageIdOf(message),
      });
      return { providerMessageId: String(info.messageId ?? message.dispatchId), units: 1 };
    } catch (error) {
      const e = error as SmtpFailure;
      // 5xx: the server refused for good (unknown mailbox, policy); 4xx and no answer may pass later.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
      const code = e.responseCode ? `smtp_${e.responseCode}` : 'smtp_unavailable';
      throw new ProviderError(
        code,
        `SMTP ${e.responseCode ?? e.code ?? 'error'}: ${e.message}`.slice(0, 500),
        permanent,
      );
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * A Message-ID derived from the dispatch id, so a re-send after a dispatcher crashed mid-call is
 * recognisably the same mail (`<dispatchId@sender's domain>`, `smart2fa.local` without one).
 */
function messageIdOf(message: Pick<DispatchMessage, 'dispatchId' | 'from'>): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(message.from ?? '')?.[1] ?? 'smart2fa.local';
  return `<${message.dispatchId}@${domain}>`;
}
