/**
 * The completion scripts `scrydon completion SHELL` prints. Each asks the program back, `scrydon __complete
 * WORDS…` (complete.ts), for the candidates of the word being typed, as cobra's and pnpm's scripts do, so a
 * script never goes stale when the commands change.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

export const SCRIPTS: Readonly<Record<Shell, string>> = {
  bash: `# scrydon completion for bash. Install: scrydon completion bash > /etc/bash_completion.d/scrydon
# (or, for one user, in ~/.bashrc: source <(scrydon completion bash))
_scrydon_complete() {
  local -a words=()
  local i w line cur strip files=
  # bash splits words at ':' and '=' (COMP_WORDBREAKS): put NAME:TAG and --flag=value back together
  for ((i = 1; i <= COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if ((\${#words[@]} > 0)) && [[ $w == [:=] || \${words[-1]} == *[:=] ]]; then
      words[-1]+=$w
    else
      words+=("$w")
    fi
  done
  ((\${#words[@]} > 0)) || words=("")
  cur=\${words[-1]}
  COMPREPLY=()
  while IFS= read -r line; do
    if [[ $line == :files ]]; then files=1; continue; fi
    COMPREPLY+=("\${line%%$'\\t'*}")
  done < <("\${COMP_WORDS[0]}" __complete "\${words[@]}" 2>/dev/null)
  if [[ $cur == *[:=]* ]]; then
    # bash replaces only what follows the last break: drop what comes before it
    strip=\${cur%"\${cur##*[:=]}"}
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]=\${COMPREPLY[i]#"$strip"}; done
  fi
  if [[ -n $files ]]; then
    compopt -o filenames 2>/dev/null
    while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -F _scrydon_complete scrydon
`,
  zsh: `#compdef scrydon
# scrydon completion for zsh. Install: scrydon completion zsh > "\${fpath[1]}/_scrydon" (then start a new shell)
# (or, in ~/.zshrc after compinit: source <(scrydon completion zsh))
_scrydon() {
  local -a cands descs
  local line files=0
  for line in "\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
    [[ -z $line ]] && continue
    if [[ $line == :files ]]; then files=1; continue; fi
    cands+=("\${line%%$'\\t'*}")
    if [[ $line == *$'\\t'* ]]; then descs+=("\${line%%$'\\t'*}  -- \${line#*$'\\t'}"); else descs+=("$line"); fi
  done
  (( \${#cands} )) && compadd -l -d descs -a cands
  (( files )) && _files
  return 0
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _scrydon "$@"
else
  compdef _scrydon scrydon
fi
`,
  fish: `# scrydon completion for fish. Install: scrydon completion fish > ~/.config/fish/completions/scrydon.fish
function __scrydon_complete
    set -l tokens (commandline -opc)
    set -l program $tokens[1]
    set -e tokens[1]
    set -l current (commandline -ct)
    set -l files 0
    for line in ($program __complete $tokens $current 2>/dev/null)
        if test "$line" = ':files'
            set files 1
        else
            printf '%s\\n' $line
        end
    end
    if test $files = 1
        __fish_complete_path $current
    end
end
complete -c scrydon -f -a '(__scrydon_complete)'
`,
};
