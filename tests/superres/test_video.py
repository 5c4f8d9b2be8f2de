"""``superres upscale clip.mp4`` and ``Upscaler.upscale_video``: the CLI and Python paths of a video."""
import numpy as np
import pytest

from common.video.process import VideoOptions
from superres.cli import main
from superres.upscaler import Upscaler
from tests.common.video.clips import audio_packets, decoded_rgb, frame_times, make_clip


def test_upscale_a_clip_beside_it_and_a_bad_one_does_not_stop_the_batch(tmp_path, model_file, capsys):
    clip = make_clip(tmp_path / "clip.mp4", frames=6)
    (tmp_path / "broken.mkv").write_bytes(b"\x1a\x45\xdf\xa3 not really")
    code = main(["upscale", str(tmp_path / "broken.mkv"), str(clip), "--model", str(model_file), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "broken.mkv: not a video FFmpeg can read" in err and "Traceback" not in err
    assert "video encoder: libx264" in err and "clip_x2.mp4 (6 frames of 64x48)" in err
    out = tmp_path / "clip_x2.mp4"
    assert frame_times(out) == frame_times(clip) and audio_packets(out) == audio_packets(clip)
    assert not (tmp_path / "broken_x2.mkv").exists()
    assert main(["upscale", str(clip), "--model", str(model_file), "--device", "cpu"]) == 0  # done already: skipped
    assert "already done" in capsys.readouterr().err


def test_options_of_the_video_grammar(tmp_path, model_file, capsys):
    clip = make_clip(tmp_path / "clip.mkv", frames=10, audio=False)
    code = main(["upscale", str(clip), "-o", str(tmp_path / "preview.mkv"), "--model", str(model_file), "--device", "cpu",
                 "--frames", "2:5", "--crf", "30", "--outscale", "1.5"])
    assert code == 0
    frames = decoded_rgb(tmp_path / "preview.mkv")
    assert len(frames) == 3 and frames[0].shape == (36, 48, 3)
    with pytest.raises(SystemExit):
        main(["upscale", str(clip), "--frames", "5:2"])
    assert "--frames: '5:2': expected A:B with 0 <= A < B" in capsys.readouterr().err


def test_upscale_video_from_python_reports_progress(tmp_path, model_file):
    clip = make_clip(tmp_path / "clip.mp4", frames=5, audio=False)
    calls = []
    up = Upscaler.from_pretrained(model_file, device="cpu")
    result = up.upscale_video(clip, tmp_path / "big.mp4", VideoOptions(crf=0, pix_fmt="yuv444p"), progress=lambda d, t: calls.append(d))
    assert result.frames == 5 and calls == [1, 2, 3, 4, 5]
    expected = up(decoded_rgb(clip)[3]).astype(int)
    assert np.abs(decoded_rgb(tmp_path / "big.mp4")[3].astype(int) - expected).max() <= 3  # lossless YUV, RGB rounding
