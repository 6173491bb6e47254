package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// completionCmd prints the line that makes a shell complete mallbots'
// commands and flags. The completing itself is kongplete's (main calls
// it first): the shell runs the binary with COMP_LINE set, and it prints
// the candidates instead of running a command.
type completionCmd struct {
	Shell string `arg:"" help:"The shell: ${enum}." enum:"bash,zsh,fish"`
}

func (c *completionCmd) Run() error {
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("completion: where is this binary: %w", err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return fmt.Errorf("completion: where is this binary: %w", err)
	}
	fmt.Print(completionScript(c.Shell, bin))
	return nil
}

// completionScript is the shell's hook for the binary at bin, which the
// shell calls with COMP_LINE set on every <Tab>.
func completionScript(shell, bin string) string {
	q := "'" + strings.ReplaceAll(bin, "'", `'\''`) + "'"
	switch shell {
	case "zsh":
		return "autoload -U +X bashcompinit && bashcompinit\ncomplete -o default -C " + q + " mallbots\n"
	case "fish":
		return "function __complete_mallbots\n" +
			"    set -lx COMP_LINE (commandline -cp)\n" +
			"    test -z (commandline -ct); and set COMP_LINE \"$COMP_LINE \"\n" +
			"    " + q + "\n" +
			"end\n" +
			"complete -f -c mallbots -a '(__complete_mallbots)'\n"
	default:
		return "complete -o default -C " + q + " mallbots\n"
	}
}
