/** hako's version: shown by `hako --version` and reported by the agent to its clients. */
export const VERSION = '0.1.0';
