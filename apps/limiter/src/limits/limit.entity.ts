import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Bucket } from '@app/contracts';

/** A named limit of ordered buckets (SPEC section 6), owned by one account. */
@Entity({ name: 'limits' })
export class LimitEntity {
  @PrimaryColumn({ type: 'text' })
  sid!: string;

  /** The account the limit belongs to, whose sends name it. */
  @Column({ name: 'account_sid', type: 'text' })
  accountSid!: string;

  @Column({ name: 'account_email', type: 'text', nullable: true })
  accountEmail!: string | null;

  /** The account that created it (the parent, when created on a sub-account's behalf). */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_by_email', type: 'text', nullable: true })
  createdByEmail!: string | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** In the order given: the order in which they are checked does not matter, all must pass. */
  @Column({ type: 'jsonb' })
  buckets!: Bucket[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
