import { kernelSuite } from './suite';
kernelSuite('wasm');
