import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A message waiting to be published to JetStream, written in the same transaction as the
 * state change it announces (transactional outbox): once the database committed, the message
 * will be published, however long NATS is away.
 */
@Entity({ name: 'outbox' })
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** Subject without the deployment prefix. */
  @Column({ type: 'text' })
  subject!: string;

  /** JetStream message id: a re-publish after a crash is stored once. */
  @Column({ name: 'msg_id', type: 'text' })
  msgId!: string;

  @Column({ type: 'jsonb' })
  payload!: object;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
