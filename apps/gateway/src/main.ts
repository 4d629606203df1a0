import 'reflect-metadata';
import { runMain } from '@app/platform';
import { gatewayService } from './gateway.definition';

runMain(gatewayService);
