// ruvector-attention-py/web
export * from './core/types.js';
