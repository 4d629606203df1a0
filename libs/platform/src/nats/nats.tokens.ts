/** The process's NATS connection (one per process, shared by every module in it). */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
