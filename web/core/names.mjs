// Config keys are camelCase in JavaScript and snake_case in Python.

const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function mapKeys(value, rename) {
  if (Array.isArray(value)) return value.map((item) => mapKeys(item, rename));
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), mapKeys(v, rename)]));
}

export const toSnakeCase = (value) => mapKeys(value, snake);
export const toCamelCase = (value) => mapKeys(value, camel);
