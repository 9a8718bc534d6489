/**
 * The YAML parser, for modules that load it lazily (`await import('../config/yaml-parse.js')`). Importing the
 * `yaml` package itself dynamically could lose its named exports in the CLI bundle (a bundler may turn a dynamic
 * import of a CommonJS package into a chunk with only a default export); an ES module of our own keeps them.
 */
export { parse } from 'yaml';
