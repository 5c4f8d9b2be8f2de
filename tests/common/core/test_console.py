"""The error line: plain text on one line, whatever the message holds."""
from common.core.console import error_line


def test_terminal_codes_and_line_breaks_never_reach_the_error_line(capsys):
    error_line("model.pth: Weights only load failed. \x1b[1mdo those steps only if you trust the source\x1b[0m\nsecond line")
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.count("\n") == 1
    assert err.startswith("error: model.pth: Weights only load failed. do those steps only if you trust the source second line")
