import { kernelSuite } from './suite';
kernelSuite('cpu');
