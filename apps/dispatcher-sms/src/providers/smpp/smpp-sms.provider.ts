import { Logger } from '@nestjs/common';
import type { DispatchMessage } from '@app/contracts';
import { type Accepted, type ProviderReceipt, ProviderError } from '@app/dispatch';
import { randomInt } from 'node:crypto';
import * as smpp from 'smpp';
import type { SmsProvider } from '../sms-provider';
import { segment } from '@app/dispatch';
import { parseDeliveryReceipt } from './delivery-receipt';

const ESM_MC_DELIVERY_RECEIPT = 0x04;
const REGISTERED_DELIVERY_FINAL = 0x01;
const DATA_CODING = { gsm7: 0x00, ucs2: 0x08 } as const;
/** submit_sm_resp statuses that no retry can fix: bad lengths, addresses, TON/NPI. */
const PERMANENT_STATUSES = new Set([0x01, 0x0a, 0x0b, 0x33, 0x48, 0x49, 0x50, 0x51]);
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;
const ENQUIRE_LINK_MS = 30_000;

type Pdu = smpp.PDU;

/**
 * SMS over SMPP 3.4 (the `smpp` package): one bound transceiver session per replica,
 * reconnected with back-off when the SMSC drops it. Every submit_sm asks for a delivery
 * receipt; a text too long for one SMS goes as concatenated parts (UDH, 8-bit reference).
 * deliver_sm receipts are handed to the dispatcher, acknowledged once safely queued.
 *
 * SMPP_URL: `smpp://system_id:password@host:2775` (`ssmpp://` for TLS), with optional
 * `?system_type=…`.
 */
export class SmppSmsProvider implements SmsProvider {
  readonly name = 'smpp';
  private readonly logger = new Logger(SmppSmsProvider.name);
  /** The session bound (or being bound) now; events of older sessions are ignored. */
  private session?: smpp.Session;
  private bound?: Promise<smpp.Session>;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private receiptHandler?: (receipt: ProviderReceipt) => Promise<void>;
  private readonly url: URL;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(url);
  }

  onReceipt(handler: (receipt: ProviderReceipt) => Promise<void>): void {
    this.receiptHandler = handler;
    // Bind at start: receipts for earlier sends may be waiting at the SMSC.
    this.connection().catch((error: Error) => this.logger.warn(`SMPP bind failed: ${error.message}`));
  }

  async send(message: Pick<DispatchMessage, 'dispatchId' | 'from' | 'to' | 'text'>): Promise<Accepted> {
    const session = await this.connection();
    const { encoding, parts } = segment(message.text);
    const reference = randomInt(0, 256);
    const ids: string[] = [];
    for (const [i, part] of parts.entries()) {
      const udh = parts.length > 1 ? Buffer.from([0x05, 0x00, 0x03, reference, parts.length, i + 1]) : undefined;
      const resp = await this.submit(session, {
        ...addressOf('source', message.from),
        ...addressOf('destination', message.to),
        registered_delivery: REGISTERED_DELIVERY_FINAL,
        data_coding: DATA_CODING[encoding],
        short_message: udh ? { udh, message: part } : part,
      });
      if (resp.command_status !== 0) {
        const code = `smpp_0x${resp.command_status.toString(16).padStart(2, '0')}`;
        throw new ProviderError(
          code,
          `SMSC refused submit_sm with status 0x${resp.command_status.toString(16)}`,
          PERMANENT_STATUSES.has(resp.command_status),
        );
      }
      ids.push(String(resp.message_id));
    }
    return { providerMessageId: ids[ids.length - 1], otherMessageIds: ids.slice(0, -1), units: parts.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => session.destroy(() => resolve()), 1000);
      session.unbind({}, () => {
        clearTimeout(timer);
        session.close(() => resolve());
      });
    });
  }

  private submit(session: smpp.Session, options: Record<string, unknown>): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ProviderError('timeout', 'SMSC did not answer submit_sm', false)),
        this.timeoutMs,
      );
      const written = session.submit_sm(options, (pdu) => {
        clearTimeout(timer);
        resolve(pdu);
      });
      if (!written) {
        clearTimeout(timer);
        this.drop(session);
        reject(new ProviderError('smpp_disconnected', 'SMPP connection lost', false));
      }
    });
  }

  /** The bound session, connecting and binding first when there is none. */
  private connection(): Promise<smpp.Session> {
    if (this.closed) return Promise.reject(new ProviderError('smpp_closed', 'SMPP provider closed', false));
    this.bound ??= this.bind().catch((error: unknown) => {
      this.bound = undefined;
      throw error instanceof ProviderError
        ? error
        : new ProviderError('smpp_unavailable', `SMPP: ${(error as Error).message}`, false);
    });
    return this.bound;
  }

  private bind(): Promise<smpp.Session> {
    return new Promise((resolve, reject) => {
      const session = smpp.connect({
        url: `${this.url.protocol}//${this.url.host}`,
        auto_enquire_link_period: ENQUIRE_LINK_MS,
      });
      this.session = session;
      const timer = setTimeout(() => {
        session.destroy();
        reject(new Error('bind timed out'));
      }, this.timeoutMs);
      session.on('error', (error: Error) => {
        clearTimeout(timer);
        this.logger.warn(`SMPP connection error: ${error.message}`);
        reject(error);
      });
      session.on('close', () => this.lost(session));
      session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
      session.on('unbind', (pdu: Pdu) => {
        session.send(pdu.response());
        session.close();
      });
      session.on('deliver_sm', (pdu: Pdu) => void this.deliverSm(session, pdu));
      session.on('connect', () => {
        session.bind_transceiver(
          {
            system_id: decodeURIComponent(this.url.username),
            password: decodeURIComponent(this.url.password),
            system_type: this.url.searchParams.get('system_type') ?? '',
          },
          (pdu) => {
            clearTimeout(timer);
            if (pdu.command_status !== 0) {
              session.destroy();
              return reject(
                new ProviderError(
                  `smpp_bind_0x${pdu.command_status.toString(16)}`,
                  `SMSC refused bind (0x${pdu.command_status.toString(16)})`,
                  false,
                ),
              );
            }
            this.reconnectDelay = RECONNECT_MIN_MS;
            this.logger.log({ message: 'SMPP bound', host: this.url.host });
            resolve(session);
          },
        );
      });
    });
  }

  /** The SMSC dropped us: forget the session and bind again after a back-off. */
  private lost(session: smpp.Session): void {
    if (this.session !== session) return;
    this.drop(session);
    if (this.closed) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
    this.logger.warn({ message: 'SMPP connection lost, reconnecting', inMs: delay });
    setTimeout(() => {
      if (!this.closed && !this.bound)
        this.connection().catch((error: Error) => this.logger.warn(`SMPP reconnect failed: ${error.message}`));
    }, delay).unref();
  }

  private drop(session: smpp.Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.bound = undefined;
  }

  private async deliverSm(session: smpp.Session, pdu: Pdu): Promise<void> {
    if (!((pdu.esm_class as number) & ESM_MC_DELIVERY_RECEIPT)) {
      // A message from a handset: not ours to handle, but acknowledged.
      session.send(pdu.response());
      return;
    }
    const short = pdu.short_message as { message?: string | Buffer } | undefined;
    const text = short?.message ? String(short.message) : '';
    const receipt = parseDeliveryReceipt(text, {
      receiptedMessageId: pdu.receipted_message_id as string | undefined,
      messageState: pdu.message_state as number | undefined,
    });
    try {
      if (receipt && this.receiptHandler) await this.receiptHandler(receipt);
      session.send(pdu.response());
    } catch (error) {
      // Not queued: a temporary error makes the SMSC deliver the receipt again later.
      this.logger.warn(`could not queue an SMPP receipt: ${(error as Error).message}`);
      session.send(pdu.response({ command_status: smpp.ESME_RX_T_APPN }));
    }
  }
}

/** TON/NPI of an address: international number (1/1, without the +) or alphanumeric (5/0). */
function addressOf(kind: 'source' | 'destination', address: string): Record<string, unknown> {
  const international = /^\+?\d+$/.test(address);
  // The PDU's field names: source_addr_ton but dest_addr_ton.
  const short = kind === 'source' ? 'source' : 'dest';
  return {
    [`${short}_addr_ton`]: international ? 1 : 5,
    [`${short}_addr_npi`]: international ? 1 : 0,
    [`${kind}_addr`]: international ? address.replace(/^\+/, '') : address,
  };
}
