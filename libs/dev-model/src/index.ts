export { makeDevModel, type DevModelOptions } from './make-dev-model';
export { ensureDevModel } from './ensure-dev-model';
export { defaultDemoDirectory, writeDemoCatalog } from './demo-catalog';
