import { usageError } from '../args.cjs';

const USAGE = `Usage: holdout completion bash

Prints a bash completion script for holdout's commands, subcommands and options. Enable it with
  source <(holdout completion bash)        # this shell
  holdout completion bash > ~/.local/share/bash-completion/completions/holdout   # for good
zsh: run \`autoload -U bashcompinit && bashcompinit\` first, then source it the same way.
`;

/** The verbs each command takes (kept beside the commands' own usage texts). */
const VERBS: Record<string, string[]> = {
  competitions: ['list', 'files', 'download', 'submit', 'submissions', 'leaderboard', 'select', 'create', 'close', 'rescore', 'shakeup'],
  kernels: ['push', 'status', 'logs', 'output', 'cancel'],
  bundles: ['build', 'list', 'validate'],
};
const COMMANDS = ['login', 'logout', 'whoami', 'competitions', 'kernels', 'score', 'predict', 'bundles', 'completion'];
const OPTIONS = ['--json', '--quiet', '--help', '--competition', '--file', '--path', '--message', '--wait', '--cv', '--private', '--download', '--unselect', '--attach', '--dataset', '--follow', '--url', '--email', '--password-stdin', '--token', '--course', '--bundle', '--slug', '--solution', '--reason', '--all', '--model', '--images', '--out', '--threads'];

export async function run(args: string[]): Promise<void> {
  if (args[0] !== 'bash') {
    if (args[0] === '--help' || args[0] === '-h') process.stdout.write(USAGE);
    else usageError(USAGE, args[0] === undefined ? 'which shell? (bash)' : `no completion for ${JSON.stringify(args[0])} (bash only)`);
    return;
  }
  const cases = Object.entries(VERBS)
    .map(([cmd, verbs]) => `        ${cmd}) COMPREPLY=($(compgen -W "${verbs.join(' ')}" -- "$cur")) ;;`)
    .join('\n');
  process.stdout.write(`# bash completion for holdout (holdout completion bash)
_holdout() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${COMMANDS.join(' ')}" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${OPTIONS.join(' ')}" -- "$cur"))
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${cases}
        completion) COMPREPLY=($(compgen -W "bash" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _holdout holdout
`);
}
