/**
 * hako completion bash|zsh|fish: shell completion generated from the command table, so a
 * new command or option completes without anyone editing a script. `hako completion envs`
 * prints the environment names of the project here (names only, no key needed); the scripts
 * call it to complete --env.
 */
import { HakoError } from '../core/errors.js';
import { findProject, loadSecretsFile } from '../services/project.js';
import type { CommandContext, CommandSpec, OptionSpec } from './command.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

interface Table {
  /** First words, in help order (commands and groups). */
  top: { word: string; summary: string }[];
  /** Group word → its subcommands. */
  groups: Map<string, { word: string; summary: string }[]>;
  /** "key export" → its options. */
  leaves: Map<string, [string, OptionSpec][]>;
  /** "completion" → the fixed values of its argument. */
  choices: Map<string, readonly string[]>;
  /** "get|--env": each command's options (long and short) that take a value. */
  valued: string[];
}

function tableOf(specs: readonly CommandSpec[]): Table {
  const top: Table['top'] = [];
  const groups: Table['groups'] = new Map();
  const leaves: Table['leaves'] = new Map();
  const choices: Table['choices'] = new Map();
  const valued = new Set<string>();
  for (const s of specs) {
    const [first, second] = s.words as [string, string | undefined];
    if (second === undefined) top.push({ word: first, summary: s.summary });
    else {
      if (!groups.has(first)) {
        groups.set(first, []);
        top.push({ word: first, summary: `${first} subcommands` });
      }
      groups.get(first)!.push({ word: second, summary: s.summary });
    }
    leaves.set(s.words.join(' '), Object.entries(s.options));
    if (s.choices) choices.set(s.words.join(' '), s.choices);
    for (const [name, o] of Object.entries(s.options)) {
      if (o.type !== 'string') continue;
      valued.add(`${s.words.join(' ')}|--${name}`);
      if (o.short) valued.add(`${s.words.join(' ')}|-${o.short}`);
    }
  }
  return { top, groups, leaves, choices, valued: [...valued].sort() };
}

function optionWords(opts: [string, OptionSpec][]): string[] {
  const out: string[] = [];
  for (const [name, o] of opts) {
    out.push(`--${name}`);
    if (o.short) out.push(`-${o.short}`);
  }
  return [...out, '--help'];
}

/** Single-quoted for sh-like shells. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function valueCases(t: Table, shell: 'bash' | 'zsh'): string[] {
  // --env completes environment names; path options complete files; choices complete their values.
  const lines: string[] = [];
  const byWord = new Map<string, string>();
  for (const [cmd, opts] of t.leaves) {
    for (const [name, o] of opts) {
      if (o.type !== 'string' || name === 'env') continue;
      const words = [`--${name}`, ...(o.short ? [`-${o.short}`] : [])];
      const action = o.choices ? `choices:${o.choices.join(' ')}` : o.path ? 'files' : 'none';
      for (const w of words) byWord.set(`${cmd}\t${w}`, action);
    }
  }
  for (const [key, action] of [...byWord].sort()) {
    const [cmd, word] = key.split('\t') as [string, string];
    const body =
      action === 'files'
        ? shell === 'bash'
          ? 'COMPREPLY=($(compgen -f -- "$cur"))'
          : '_files'
        : action.startsWith('choices:')
          ? shell === 'bash'
            ? `COMPREPLY=($(compgen -W ${q(action.slice(8))} -- "$cur"))`
            : `compadd -- ${action.slice(8)}`
          : shell === 'bash'
            ? 'COMPREPLY=()'
            : ':';
    lines.push(`    ${q(`${cmd}|${word}`)}) ${body}; return ;;`);
  }
  return lines;
}

/** The `case` pattern of every "command|option" that takes a value (bash and zsh syntax alike). */
function bashValued(t: Table): string {
  return t.valued.map(q).join('|');
}

function bash(t: Table): string {
  const leafCases = [...t.leaves].map(
    ([cmd, opts]) => `    ${q(cmd)}) words=${q([...(t.choices.get(cmd) ?? []), ...optionWords(opts)].join(' '))} ;;`,
  );
  const groupCases = [...t.groups].map(([g, subs]) => `    ${q(g)}) words=${q(subs.map((s) => s.word).join(' '))} ;;`);
  return `# hako completion for bash, generated from hako's command table by \`hako completion bash\`.
# Load it with: source <(hako completion bash)   (or save it in ~/.local/share/bash-completion/completions/hako)
_hako_cmd_of() {
  # The command named by the words so far: "key export", "get", "key" (a group), or "".
  local -a p=("$@")
  local two="\${p[0]} \${p[1]}"
  case "$two" in
${[...t.leaves.keys()]
  .filter((c) => c.includes(' '))
  .map((c) => `    ${q(c)}) echo "$two"; return ;;`)
  .join('\n')}
  esac
  case "\${p[0]}" in
${[...t.leaves.keys()]
  .filter((c) => !c.includes(' '))
  .map((c) => `    ${q(c)}) echo "\${p[0]}"; return ;;`)
  .join('\n')}
${[...t.groups.keys()].map((g) => `    ${q(g)}) [ \${#p[@]} -eq 1 ] && echo ${q(g)}; return ;;`).join('\n')}
  esac
}

_hako_valued() {
  # True when option $2 of command $1 ("" before the command) takes the next word as its value.
  case "$2" in --*=*) return 1 ;; esac
  case "$1|$2" in
    ${bashValued(t)}) return 0 ;;
  esac
  [ -z "$1" ] && { [ "$2" = --env ] || [ "$2" = -e ]; }
}

_hako() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local -a path=()
  local i=1 skip=0 w cmd=""
  while [ $i -lt $COMP_CWORD ]; do
    w="\${COMP_WORDS[i]}"
    if [ $skip = 1 ]; then
      skip=0
    elif [ "$w" = "--" ]; then
      COMPREPLY=(); return   # the program of hako run: the shell's own completion
    else
      case "$w" in
        -*) _hako_valued "$cmd" "$w" && skip=1 ;;
        *) path+=("$w"); cmd="$(_hako_cmd_of "\${path[@]}")" ;;
      esac
    fi
    i=$((i + 1))
  done
  if [ "$prev" = "--env" ] || [ "$prev" = "-e" ]; then
    COMPREPLY=($(compgen -W "$(hako completion envs 2>/dev/null)" -- "$cur"))
    return
  fi
  case "$cmd|$prev" in
${valueCases(t, 'bash').join('\n')}
  esac
  local words=""
  if [ \${#path[@]} -eq 0 ]; then
    words=${q([...t.top.map((x) => x.word), '--env', '--help', '--version'].join(' '))}
  else
    case "$cmd" in
${groupCases.join('\n')}
${leafCases.join('\n')}
    esac
    if [ "$cmd" = "run" ] && [ \${#path[@]} -gt 1 ]; then COMPREPLY=(); return; fi
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _hako hako
`;
}

function zsh(t: Table): string {
  // _describe splits "word:description" at the first colon not escaped by a backslash.
  const describe = (items: { word: string; summary: string }[]) =>
    items.map((i) => q(`${i.word.replace(/:/g, '\\:')}:${i.summary}`)).join(' ');
  return `#compdef hako
# hako completion for zsh, generated from hako's command table by \`hako completion zsh\`.
# Load it with: source <(hako completion zsh)   (after compinit), or save it as _hako in your $fpath.
_hako_cmd_of() {
  # The command named by the words so far: "key export", "get", "key" (a group), or "".
  local two="$1 $2"
  case $two in
${[...t.leaves.keys()]
  .filter((c) => c.includes(' '))
  .map((c) => `    (${q(c)}) print -r -- $two; return ;;`)
  .join('\n')}
  esac
  case $1 in
${[...t.leaves.keys()]
  .filter((c) => !c.includes(' '))
  .map((c) => `    (${q(c)}) print -r -- $1; return ;;`)
  .join('\n')}
${[...t.groups.keys()].map((g) => `    (${q(g)}) (( $# == 1 )) && print -r -- ${q(g)}; return ;;`).join('\n')}
  esac
}

_hako_valued() {
  # True when option $2 of command $1 ("" before the command) takes the next word as its value.
  [[ $2 == --*=* ]] && return 1
  case "$1|$2" in
    (${bashValued(t)}) return 0 ;;
  esac
  [[ -z $1 && ( $2 == --env || $2 == -e ) ]]
}

_hako() {
  local -a path_words
  local i=2 skip=0 w cmd=""
  while (( i < CURRENT )); do
    w=\${words[i]}
    if (( skip )); then
      skip=0
    elif [[ $w == -- ]]; then
      _normal; return
    else
      case $w in
        (-*) _hako_valued "$cmd" "$w" && skip=1 ;;
        (*) path_words+=("$w"); cmd=$(_hako_cmd_of "\${path_words[@]}") ;;
      esac
    fi
    (( i++ ))
  done
  local prev=\${words[CURRENT-1]}
  if [[ $prev == --env || $prev == -e ]]; then
    compadd -- \${(f)"$(hako completion envs 2>/dev/null)"}
    return
  fi
  case "$cmd|$prev" in
${valueCases(t, 'zsh').join('\n')}
  esac
  if (( \${#path_words} == 0 )); then
    local -a cmds=(${describe(t.top)})
    _describe 'command' cmds
    compadd -- --env --help --version
    return
  fi
  case $cmd in
${[...t.groups].map(([g, subs]) => `    (${q(g)}) local -a subs=(${describe(subs)}); _describe 'subcommand' subs ;;`).join('\n')}
${[...t.leaves].map(([cmd, opts]) => `    (${q(cmd)}) compadd -- ${[...(t.choices.get(cmd) ?? []), ...optionWords(opts)].join(' ')} ;;`).join('\n')}
  esac
}
if (( $+functions[compdef] )); then compdef _hako hako; fi
`;
}

function fish(t: Table): string {
  const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const lines = [
    `# hako completion for fish, generated from hako's command table by \`hako completion fish\`.`,
    '# Load it with: hako completion fish | source   (or save it as ~/.config/fish/completions/hako.fish)',
    'function __hako_cmd_of',
    '    set -l p $argv',
    '    if test (count $p) -ge 2',
    '        and contains -- "$p[1] $p[2]" ' +
      [...t.leaves.keys()]
        .filter((c) => c.includes(' '))
        .map(fq)
        .join(' '),
    '        echo "$p[1] $p[2]"',
    '    else if test (count $p) -ge 1',
    '        and contains -- $p[1] ' +
      [...t.leaves.keys()]
        .filter((c) => !c.includes(' '))
        .map(fq)
        .join(' '),
    '        echo $p[1]',
    '    else if test (count $p) -eq 1',
    `        and contains -- $p[1] ${[...t.groups.keys()].map(fq).join(' ')}`,
    '        echo $p[1]',
    '    else if test (count $p) -gt 0',
    "        echo '?'",
    '    end',
    'end',
    'function __hako_valued',
    "    string match -q -- '--*=*' $argv[2]; and return 1",
    `    contains -- "$argv[1]|$argv[2]" ${t.valued.map(fq).join(' ')}; and return 0`,
    '    test -z "$argv[1]"; and contains -- $argv[2] --env -e',
    'end',
    'function __hako_cmd',
    '    set -l toks (commandline -opc)',
    '    set -e toks[1]',
    '    set -l p',
    "    set -l cmd ''",
    '    set -l skip 0',
    '    for w in $toks',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $w',
    "            case '-*'",
    '                __hako_valued "$cmd" $w; and set skip 1',
    "            case '*'",
    '                set p $p $w',
    '                set cmd (__hako_cmd_of $p)',
    '        end',
    '    end',
    '    echo $cmd',
    'end',
    'function __hako_is',
    '    set -l c (__hako_cmd)',
    '    test "$c" = "$argv[1]"',
    'end',
    'complete -c hako -f',
    "complete -c hako -n '__hako_is \"\"' -l env -s e -x -a '(hako completion envs 2>/dev/null)' -d 'environment'",
    "complete -c hako -n '__hako_is \"\"' -l help -d 'show help'",
    "complete -c hako -n '__hako_is \"\"' -l version -s v -d 'show the version'",
  ];
  for (const { word, summary } of t.top) lines.push(`complete -c hako -n '__hako_is ""' -a ${fq(word)} -d ${fq(summary)}`);
  for (const [g, subs] of t.groups) {
    for (const { word, summary } of subs) lines.push(`complete -c hako -n ${fq(`__hako_is ${g}`)} -a ${fq(word)} -d ${fq(summary)}`);
  }
  for (const [cmd, opts] of t.leaves) {
    const cond = fq(`__hako_is '${cmd}'`.replace(/'/g, '"'));
    const fixed = t.choices.get(cmd);
    if (fixed) lines.push(`complete -c hako -n ${cond} -a ${fq(fixed.join(' '))}`);
    for (const [name, o] of opts) {
      let line = `complete -c hako -n ${cond} -l ${name}${o.short ? ` -s ${o.short}` : ''}`;
      if (o.type === 'string') {
        if (name === 'env') line += " -x -a '(hako completion envs 2>/dev/null)'";
        else if (o.choices) line += ` -x -a ${fq(o.choices.join(' '))}`;
        else if (o.path) line += ' -r -F';
        else line += ' -x';
      }
      lines.push(`${line} -d ${fq(o.help)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: (typeof SHELLS)[number], specs: readonly CommandSpec[]): string {
  const t = tableOf(specs);
  return shell === 'bash' ? bash(t) : shell === 'zsh' ? zsh(t) : fish(t);
}

export const completionCommands: CommandSpec[] = [
  {
    words: ['completion'],
    summary: 'print shell completion for bash, zsh or fish (generated from the command table)',
    usage: 'hako completion bash|zsh|fish',
    description:
      'Prints a completion script for the shell: commands, subcommands, options, their fixed values,\n' +
      "and the project's environment names after --env (from `hako completion envs`, which reads\n" +
      'names only and needs no key).',
    options: {},
    positionals: [1, 1],
    choices: SHELLS,
    examples: [
      'source <(hako completion bash)                        # in ~/.bashrc',
      'hako completion zsh > "${fpath[1]}/_hako"             # zsh, then restart it',
      'hako completion fish > ~/.config/fish/completions/hako.fish',
    ],
    async run(ctx: CommandContext, args) {
      const what = args.positionals[0]!;
      if (what === 'envs') {
        try {
          for (const name of loadSecretsFile(findProject(ctx)).environments.keys()) ctx.io.stdout(`${name}\n`);
        } catch {
          // Completion never complains: outside a project there is nothing to offer.
        }
        return;
      }
      if (!(SHELLS as readonly string[]).includes(what)) {
        throw new HakoError('E_USAGE', `no completion for '${what.slice(0, 20)}'`, `one of: ${SHELLS.join(', ')}`);
      }
      ctx.io.stdout(completionScript(what as (typeof SHELLS)[number], ctx.commands ?? []));
    },
  },
];
