// ruvector-attention-py/web
export * from './core/types.js';

/** Pyodide's core, the default indexURL: where the page's import map sends `pyodide/`, else
 * `../../pyodide/` from web/ (node_modules/pyodide/ next to this package, served as is). */
export declare const DEFAULT_INDEX_URL: string;
/** This package's wheels/ folder (lock, numpy and our wheel), the default packagesURL. */
export declare const DEFAULT_PACKAGES_URL: string;
