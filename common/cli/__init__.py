"""What the command lines share: one option grammar, bounded option types and running a sub-command with user errors
as one line. The top of common/: may import every other sub-package; only the tasks' CLI modules import it."""
