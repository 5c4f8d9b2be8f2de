"""The CycleGAN speed benchmark runs end to end (at 32 px, so that it stays quick) and counts FLOPs sensibly."""
import sys

from benchmarks import cyclegan_speed


def test_speed_benchmark_table(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["cyclegan_speed.py", "--sizes", "32", "--iters", "1", "--identity", "0", "0.5"])
    cyclegan_speed.main()
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines() if line.startswith("| 32 |")]
    assert len(rows) == 2
    flops = [float(row[2]) for row in rows]
    # Identity on adds one G forward + backward per direction: 6 G passes against 4, D unchanged.
    assert 1.3 < flops[1] / flops[0] < 1.5
    assert all(float(value) > 0 for row in rows for value in row[3:5])


def test_flops_scale_with_pixels():
    small, large = cyclegan_speed.flops_per_iteration(32, 0.0), cyclegan_speed.flops_per_iteration(64, 0.0)
    assert 3.8 < large / small < 4.2  # fully convolutional: work grows with the pixel count
