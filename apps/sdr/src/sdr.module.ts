import { Module } from '@nestjs/common';
import { serviceDataSourceProvider } from '@app/platform';
import { priceTableProvider } from './prices/price-table.provider';
import { SdrProjector } from './records/sdr-projector';
import { SdrQueries } from './records/sdr-queries';
import { SdrReadsRepository } from './records/sdr-reads.repository';
import { PostgresSdrRecordsRepository, SdrRecordsRepository } from './records/sdr-records.repository';
import { SdrStore } from './records/sdr-store';
import { SdrController } from './sdr.controller';
import { SDR_DATA_SOURCE, SDR_DATABASE } from './sdr.database';

/** Session detail records and usage (table space `sdr`), projected from `otp.v1.events.>`, behind `sdr.v1.*`. */
@Module({
  controllers: [SdrController],
  providers: [
    serviceDataSourceProvider(SDR_DATA_SOURCE, SDR_DATABASE),
    priceTableProvider,
    { provide: SdrRecordsRepository, useClass: PostgresSdrRecordsRepository },
    SdrStore,
    SdrProjector,
    SdrReadsRepository,
    SdrQueries,
  ],
})
export class SdrModule {}
