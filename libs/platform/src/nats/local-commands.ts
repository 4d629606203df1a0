import type { NatsConnection } from 'nats';

/** Answers one command the way the subscription would: validated input in, catalog reply out. */
export type LocalCommandHandler = (input: unknown) => Promise<object>;

/**
 * The commands a process serves itself, by the NATS connection they are subscribed on. Services
 * that share a connection are one process and one application (the all-in-one): a command from
 * one to another is answered in place instead of making four trips through the NATS server (the
 * request, its delivery, the reply and its delivery). Keyed by connection, never globally, so
 * that applications of their own (a test stack's separately started services) still talk over
 * NATS as separate processes do.
 */
const served = new WeakMap<NatsConnection, Map<string, LocalCommandHandler>>();

export function serveLocally(nc: NatsConnection, subject: string, handler: LocalCommandHandler): void {
  let handlers = served.get(nc);
  if (!handlers) served.set(nc, (handlers = new Map()));
  handlers.set(subject, handler);
}

export function stopServingLocally(nc: NatsConnection, subject: string): void {
  served.get(nc)?.delete(subject);
}

/** The handler of `subject` in this process on `nc`, if it serves it. */
export function localHandler(nc: NatsConnection, subject: string): LocalCommandHandler | undefined {
  return served.get(nc)?.get(subject);
}
