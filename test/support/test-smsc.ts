import type { AddressInfo } from 'node:net';
import * as smpp from 'smpp';

export interface Submitted {
  pdu: smpp.PDU;
  messageId: string;
  /** The text of the part (without its UDH). */
  text: string;
  udh: Buffer | null;
}

/**
 * An SMSC on loopback (the `smpp` package's server side): accepts one system id and password,
 * records submit_sm, answers with a message id (or a scripted error status per destination),
 * sends delivery receipts on request, and can drop every connection.
 */
export class TestSmsc {
  readonly submits: Submitted[] = [];
  /** Per destination address (as submitted): submit_sm_resp statuses to answer with first. */
  readonly script = new Map<string, number[]>();
  binds = 0;
  private counter = 0;
  private readonly server: smpp.Server;

  constructor(
    readonly systemId: string,
    readonly password: string,
  ) {
    this.server = smpp.createServer({}, (session) => {
      session.on('error', () => undefined);
      session.on('bind_transceiver', (pdu: smpp.PDU) => {
        if (pdu.system_id !== this.systemId || pdu.password !== this.password) {
          session.send(pdu.response({ command_status: 0x0d }));
          return;
        }
        this.binds++;
        session.send(pdu.response({ system_id: 'TESTSMSC' }));
      });
      session.on('submit_sm', (pdu: smpp.PDU) => {
        const status = this.script.get(String(pdu.destination_addr))?.shift();
        if (status) {
          session.send(pdu.response({ command_status: status }));
          return;
        }
        const messageId = `smsc-${++this.counter}`;
        const short = pdu.short_message as { message: string; udh?: Buffer[] };
        this.submits.push({ pdu, messageId, text: String(short.message), udh: short.udh?.[0] ?? null });
        session.send(pdu.response({ message_id: messageId }));
      });
      session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
      session.on('unbind', (pdu: smpp.PDU) => {
        session.send(pdu.response());
        session.close();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.address() as AddressInfo;
    return `smpp://${this.systemId}:${this.password}@127.0.0.1:${port}`;
  }

  to(destination: string): Submitted[] {
    return this.submits.filter((s) => s.pdu.destination_addr === destination);
  }

  get sessions(): smpp.Session[] {
    return this.server.sessions;
  }

  /** Sends a delivery receipt (Appendix B text and TLVs) for a message id on a bound session. */
  receipt(messageId: string, stat: 'DELIVRD' | 'UNDELIV' | 'EXPIRED' | 'REJECTD', err = '000'): Promise<smpp.PDU> {
    const session = this.sessions[this.sessions.length - 1];
    if (!session) throw new Error('no session bound to the SMSC');
    return new Promise((resolve) => {
      session.deliver_sm(
        {
          source_addr: '14155550000',
          destination_addr: 'ACME',
          esm_class: 0x04,
          short_message: `id:${messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2611231200 done date:2611231201 stat:${stat} err:${err} text:`,
          receipted_message_id: messageId,
        },
        resolve,
      );
    });
  }

  /** The SMSC drops every connection, as on a restart. */
  dropAll(): void {
    for (const s of [...this.sessions]) s.destroy();
  }

  stop(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
