export * from './addon';
export * from './plan';
export * from './processes';
