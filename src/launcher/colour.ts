/**
 * Keeping colours when output is redacted: the child then writes into a pipe, and most
 * programs turn colours off for pipes. When hako's own stdout is a terminal, the child is
 * told to keep them (FORCE_COLOR for Node tools, CLICOLOR_FORCE for others), unless the
 * user already said otherwise (FORCE_COLOR, NO_COLOR or CLICOLOR_FORCE set).
 */

export function colourVars(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env['FORCE_COLOR'] !== undefined || env['NO_COLOR'] !== undefined || env['CLICOLOR_FORCE'] !== undefined) return {};
  const truecolor = /^(truecolor|24bit)$/i.test(env['COLORTERM'] ?? '');
  const level = truecolor ? '3' : /256/.test(env['TERM'] ?? '') ? '2' : '1';
  return { FORCE_COLOR: level, CLICOLOR_FORCE: '1' };
}
