"""The one exception type that the CLIs turn into a single clear line instead of a traceback."""
from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (a file, a flag, a model) rather than a bug in gansuite.

    The message must name the file or option concerned and the reason, because the CLIs print it as
    ``error: <message>`` and nothing else.
    """
