import 'reflect-metadata';
import { runMain } from '@app/platform';
import { dispatcherVoiceService } from './dispatcher-voice.definition';

runMain(dispatcherVoiceService);
