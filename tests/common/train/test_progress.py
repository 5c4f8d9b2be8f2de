"""Training progress in a log file or narrow terminal, and the run report from the first step, labelled."""
import re

from common.train.progress import TrainingProgress, progress_line
from superres.cli import main as superres_main
from tests.helpers import make_image_folder


def test_progress_line_has_step_speed_eta_and_losses():
    line = progress_line(150, 2000, 2.0, {"g_a2b": 0.4712, "cycle": 0.1})
    assert line == "step 150/2000 (7.5%)  2 it/s  ETA 0:15:25  g_a2b=0.4712  cycle=0.1"


def test_redirected_training_logs_plain_lines_and_writes_a_labelled_report(tmp_path, capsys):
    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    run = tmp_path / "run"
    args = ["train", "--data", str(data), "-o", str(run), "--scale", "2", "--arch", "lr_shuffle", "--blocks", "1", "--channels", "8",
            "--hr-size", "16", "--batch-size", "2", "--max-steps", "4", "--log-every", "2", "--sample-every", "4", "--device", "cpu"]
    assert superres_main(args) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("step ")]
    assert len(lines) == 2, err
    assert re.fullmatch(r"step 2/4 \(50\.0%\)  [\d.e+]+ it/s  ETA [\d:?]+  loss_pixel=[\d.e-]+", lines[0]), lines[0]
    page = (run / "index.html").read_text()
    assert "bicubic" in page and "HR (ground truth)" in page and "step_0000004.png" in page


def test_report_exists_before_the_first_sample(tmp_path, monkeypatch):
    """A run stopped before its first sample grid still has index.html (it is written at the start)."""
    import signal

    from superres.step import SRStep

    original = SRStep.run

    def run_then_interrupt(self, batch, step, autocast):
        logs = original(self, batch, step, autocast)
        signal.raise_signal(signal.SIGINT)  # Ctrl-C during the first step
        return logs

    monkeypatch.setattr(SRStep, "run", run_then_interrupt)
    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    args = ["train", "--data", str(data), "-o", str(tmp_path / "run"), "--scale", "2", "--arch", "lr_shuffle", "--blocks", "1",
            "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--max-steps", "50", "--sample-every", "10", "--device", "cpu"]
    assert superres_main(args) == 130
    assert not list((tmp_path / "run" / "samples").iterdir())
    assert "No sample yet" in (tmp_path / "run" / "index.html").read_text()


def test_wide_terminal_gets_the_bar(monkeypatch):
    progress = TrainingProgress(10, plain=False)
    with progress:
        progress.report(5, {"loss": 1.0})
        assert progress._bar is not None
        assert "5/10" in str(progress._bar.columns[2].render(progress._bar.tasks[0]))


def test_cyclegan_report_labels_its_six_columns(tmp_path):
    from translate.cli import main as translate_main

    make_image_folder(tmp_path / "summer", 2, (28, 24))
    make_image_folder(tmp_path / "winter", 2, (28, 24), seed=5)
    args = ["train", "--data", str(tmp_path), "--domains", "summer", "winter", "-o", str(tmp_path / "run"), "--ngf", "4", "--ndf", "4",
            "--n-blocks", "6", "--load-size", "28", "--crop-size", "24", "--max-steps", "1", "--workers", "0", "--device", "cpu"]
    assert translate_main(args) == 0
    page = (tmp_path / "run" / "index.html").read_text()
    for label in ("real summer", "summer -&gt; winter", "summer -&gt; winter -&gt; summer", "real winter", "winter -&gt; summer -&gt; winter"):
        assert label in page
