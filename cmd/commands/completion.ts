import { defineCommand } from '../define-command.js';
import { SCRIPTS, SHELLS } from '../completion/scripts.js';

export default defineCommand({
  command: 'completion <shell>',
  describe: 'Print a shell completion script: commands, flags, stored references and source names',
  examples: [
    [
      'scrydon completion bash > /etc/bash_completion.d/scrydon',
      'bash, for every user (one user: source <(scrydon completion bash) in ~/.bashrc)',
    ],
    ['scrydon completion zsh > "${fpath[1]}/_scrydon"', 'zsh (then start a new shell)'],
    ['scrydon completion fish > ~/.config/fish/completions/scrydon.fish', 'fish'],
  ],
  builder: (y) =>
    y.positional('shell', {
      type: 'string',
      choices: SHELLS,
      demandOption: true,
      describe: 'the shell to complete in',
    }),
  run: async (args) => ({ data: { shell: args.shell, script: SCRIPTS[args.shell] }, text: SCRIPTS[args.shell] }),
});
