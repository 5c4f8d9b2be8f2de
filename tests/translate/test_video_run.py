"""``translate run ... clip.mkv``: a translated video frame equals ``translate run`` on the same frame as an image."""
import numpy as np
import torch

from common.core.config import config_to_dict
from common.io.images import read_image, write_image
from common.weights.model_files import save_weights
from tests.common.video.clips import audio_packets, decoded_rgb, frame_times, make_clip
from translate.cli import main
from translate.models import MODEL_KIND, ResnetGenerator, ResnetGeneratorConfig


def test_a_translated_frame_equals_the_frame_translated_as_an_image(tmp_path, capsys):
    torch.manual_seed(0)
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1))
    model = tmp_path / "g.safetensors"
    save_weights(generator, model, MODEL_KIND, config_to_dict(generator.config), extra={"direction": "day2night"})
    clip = make_clip(tmp_path / "clip.mkv", frames=8, size=(36, 28))
    # ffv1 in RGB is lossless, so the video's frame can be compared with the image result exactly.
    assert main(["run", "--model", str(model), str(clip), "-o", str(tmp_path / "night.mkv"), "--codec", "ffv1",
                 "--pix-fmt", "bgr0", "--device", "cpu"]) == 0
    write_image(tmp_path / "frame5.png", decoded_rgb(clip)[5])
    assert main(["run", "--model", str(model), str(tmp_path / "frame5.png"), "--device", "cpu"]) == 0
    as_image = read_image(tmp_path / "frame5_day2night.png")
    as_video = decoded_rgb(tmp_path / "night.mkv")
    assert len(as_video) == 8 and np.array_equal(as_video[5], as_image)
    assert frame_times(tmp_path / "night.mkv") == frame_times(clip)
    assert audio_packets(tmp_path / "night.mkv") == audio_packets(clip)
    assert "video encoder: ffv1 (as asked), bgr0" in capsys.readouterr().err
