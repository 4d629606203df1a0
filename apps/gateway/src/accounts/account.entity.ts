import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An API account. The auth token is stored only as its SHA-256 (tokens are 256 random bits). */
@Entity({ name: 'accounts' })
@Index('accounts_parent', ['parentSid'])
export class AccountEntity {
  @PrimaryColumn({ type: 'text' })
  sid!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ name: 'friendly_name', type: 'text', nullable: true })
  friendlyName!: string | null;

  /** Sub-accounts name their parent; a parent's sub-accounts cannot have sub-accounts. */
  @Column({ name: 'parent_sid', type: 'text', nullable: true })
  parentSid!: string | null;

  @Column({ name: 'token_hash', type: 'text', select: false })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** The sender `POST /otp/generate` uses when a request names none (`PUT /otp/sender`). */
  @Column({ name: 'default_sender', type: 'text', nullable: true })
  defaultSender!: string | null;
}
