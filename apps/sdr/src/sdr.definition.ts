import { defineService } from '@app/platform';
import { SdrModule } from './sdr.module';

export const sdrService = defineService({ service: 'sdr', imports: [SdrModule] });
