/**
 * Names that change what a process or its tools do, rather than what data it sees.
 *
 * Anyone who can write the repository can put a value under any name. Most names only
 * reach the app's own code (a wrong DATABASE_URL misleads it, but runs nothing new). The
 * names below are read by the dynamic loader, an interpreter at start-up, the shell, or a
 * tool the program runs, and a value there can run code or redirect trust: NODE_OPTIONS
 * with `--require`, BASH_ENV, LD_PRELOAD, GIT_SSH_COMMAND, HTTPS_PROXY, SSL_CERT_FILE.
 * hako hands such a name to a process (as a variable, an exported shell line, a
 * `<NAME>_FILE` pointer) only when the person running it allows that name by hand.
 *
 * The list is by effect, not exhaustive; docs/LAUNCHER.md prints it. Secret names are
 * upper-case, so only upper-case spellings matter here.
 */
import { HakoError } from './errors.js';

export type ControlKind = 'loader' | 'interpreter' | 'shell' | 'tool-command' | 'tool-config' | 'network-trust';

export const CONTROL_KIND_TEXT: Record<ControlKind, string> = {
  loader: 'read by the dynamic loader or libc',
  interpreter: 'read by an interpreter at start-up',
  shell: 'read by a shell at start-up',
  'tool-command': 'run as a command by a tool',
  'tool-config': 'where a tool reads its configuration',
  'network-trust': 'decides network routes or trusted certificates',
};

const EXACT: Record<string, ControlKind> = {};
const PREFIXES: [string, ControlKind][] = [];

function exact(kind: ControlKind, names: string): void {
  for (const n of names.split(/\s+/).filter(Boolean)) EXACT[n] = kind;
}
function prefix(kind: ControlKind, names: string): void {
  for (const n of names.split(/\s+/).filter(Boolean)) PREFIXES.push([n, kind]);
}

prefix('loader', 'LD_ DYLD_ GLIBC_ MALLOC_');
exact('loader', 'GCONV_PATH LOCPATH NLSPATH HOSTALIASES RES_OPTIONS GETCONF_DIR TZDIR');
exact(
  'interpreter',
  'NODE_OPTIONS NODE_PATH NODE_REPL_EXTERNAL_MODULE NODE_EXTRA_CA_CERTS ELECTRON_RUN_AS_NODE ' +
    'PYTHONSTARTUP PYTHONPATH PYTHONHOME PYTHONINSPECT PYTHONBREAKPOINT PYTHONUSERBASE PYTHONEXECUTABLE ' +
    'PERL5OPT PERL5LIB PERLLIB PERL5DB RUBYOPT RUBYLIB JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS CLASSPATH ' +
    'LUA_INIT LUA_PATH LUA_CPATH PHPRC PHP_INI_SCAN_DIR GEM_HOME GEM_PATH BUNDLE_GEMFILE DENO_DIR BUN_OPTIONS',
);
prefix('interpreter', 'LUA_INIT_ NPM_CONFIG_ YARN_ PNPM_ BUNDLE_');
exact(
  'shell',
  'PATH BASH_ENV ENV PROMPT_COMMAND PS0 PS1 PS2 PS4 SHELLOPTS BASHOPTS IFS CDPATH GLOBIGNORE ZDOTDIR INPUTRC ' +
    'HOME SHELL XDG_CONFIG_HOME XDG_DATA_HOME XDG_RUNTIME_DIR TMPDIR VIMINIT EXINIT MYVIMRC',
);
prefix('shell', 'BASH_FUNC_');
exact(
  'tool-command',
  'GIT_SSH GIT_SSH_COMMAND GIT_PROXY_COMMAND GIT_EXTERNAL_DIFF GIT_ASKPASS SSH_ASKPASS SUDO_ASKPASS GIT_EDITOR ' +
    'GIT_PAGER GIT_SEQUENCE_EDITOR EDITOR VISUAL PAGER MANPAGER LESSOPEN LESSCLOSE BROWSER RSYNC_RSH CVS_RSH ' +
    'CC CXX LD AR MAKEFLAGS MFLAGS GOFLAGS CGO_CFLAGS CGO_LDFLAGS RUSTC RUSTC_WRAPPER RUSTFLAGS CARGO_HOME ' +
    'SOPS_AGE_KEY_CMD HAKO_SECRETS_FD HAKO_SECRETS_DIR',
);
prefix('tool-command', 'GIT_CONFIG CARGO_TARGET_');
exact(
  'tool-config',
  'GIT_DIR GIT_WORK_TREE GIT_EXEC_PATH GIT_TEMPLATE_DIR GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM KUBECONFIG DOCKER_HOST ' +
    'DOCKER_CONFIG AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE AZURE_CONFIG_DIR CLOUDSDK_CONFIG ' +
    'PIP_CONFIG_FILE CURL_HOME WGETRC GNUPGHOME SSH_AUTH_SOCK NETRC TERMINFO',
);
exact(
  'network-trust',
  'HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY FTP_PROXY NODE_USE_ENV_PROXY NODE_TLS_REJECT_UNAUTHORIZED ' +
    'SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE CURL_CA_BUNDLE AWS_CA_BUNDLE GIT_SSL_NO_VERIFY GIT_SSL_CAINFO ' +
    'GIT_SSL_CAPATH PYTHONHTTPSVERIFY GRPC_DEFAULT_SSL_ROOTS_FILE_PATH PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST ' +
    'GOPROXY GONOSUMDB GONOSUMCHECK GOINSECURE GOPRIVATE GONOPROXY GOSUMDB',
);
prefix('network-trust', 'GLOBAL_AGENT_ AWS_ENDPOINT_URL');

/** What `name` controls when it is in a process's environment, or null for an ordinary name. */
export function processControlKind(name: string): ControlKind | null {
  const hit = EXACT[name];
  if (hit) return hit;
  for (const [p, kind] of PREFIXES) if (name.startsWith(p)) return kind;
  return null;
}

/** Every listed name and prefix (a prefix ends with `_` or is marked `*`), for docs and `--help`. */
export function processControlList(): { pattern: string; kind: ControlKind }[] {
  const rows = Object.entries(EXACT).map(([pattern, kind]) => ({ pattern, kind }));
  for (const [p, kind] of PREFIXES) rows.push({ pattern: `${p}*`, kind });
  return rows.sort((a, b) => (a.kind === b.kind ? (a.pattern < b.pattern ? -1 : 1) : a.kind < b.kind ? -1 : 1));
}

/**
 * The variable names a hand-off would put in a process's environment, mapped to the secret
 * each comes from: the name itself, or `<NAME>_FILE` for deliveries that pass a path.
 */
export function deliveredVariables(names: Iterable<string>, form: 'value' | 'file'): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of names) out.set(form === 'file' ? `${n}_FILE` : n, n);
  return out;
}

/**
 * Refuses a hand-off that would set a process-control variable the person running hako did
 * not allow by name. `allowed` holds secret names (what the user typed after `--allow`).
 * `how` names the hand-off in the message ("hako run --via env", "export --format shell").
 */
export function assertNoProcessControl(delivered: ReadonlyMap<string, string>, allowed: ReadonlySet<string>, how: string): void {
  const refused: { variable: string; secret: string; kind: ControlKind }[] = [];
  for (const [variable, secret] of delivered) {
    if (allowed.has(secret) || allowed.has(variable)) continue;
    const kind = processControlKind(variable);
    if (kind) refused.push({ variable, secret, kind });
  }
  if (refused.length === 0) return;
  const items = refused.map(
    (r) => `${r.variable}${r.variable === r.secret ? '' : ` for secret ${r.secret}`} (${CONTROL_KIND_TEXT[r.kind]})`,
  );
  throw new HakoError(
    'E_PROCESS_CONTROL',
    `${how} would set ${items.join(', ')}: names that change what a process does, not only the data it sees`,
    `a value from the repository never decides this alone: allow each on purpose (${refused
      .map((r) => `--allow ${r.secret}`)
      .join(' ')}), or deliver with --via fd3`,
  );
}

/** The list as a Markdown table, one row per kind, for docs/LAUNCHER.md. */
export function processControlDocs(): string {
  const byKind = new Map<ControlKind, string[]>();
  for (const { pattern, kind } of processControlList()) byKind.set(kind, [...(byKind.get(kind) ?? []), `\`${pattern}\``]);
  const rows = [...byKind].map(([kind, names]) => `| ${kind} | ${CONTROL_KIND_TEXT[kind]} | ${names.join(' ')} |`);
  return ['| kind | why | names |', '| --- | --- | --- |', ...rows, ''].join('\n');
}
