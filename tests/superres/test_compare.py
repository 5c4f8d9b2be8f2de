"""superres compare: the crop each model draws is the crop of a full run, the grid's layout, scores with a
reference, and one-line errors for a bad crop or reference."""
import numpy as np
import pytest
from PIL import Image

from common.io.images import read_rgb8, write_image
from superres.cli import main
from superres.compare import LABEL_HEIGHT, SCORE_LINE, compare, draw_grid, most_detailed_box, upscale_crop, Panel
from superres.engine import load_upscaler


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(0)
    pixels = np.full((48, 56, 3), 120, np.uint8)
    pixels[20:40, 30:50] = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)  # the one detailed region
    write_image(tmp_path / "lr.png", pixels)
    return tmp_path / "lr.png", pixels


def test_the_crop_is_the_crop_of_a_full_run(photo):
    _, pixels = photo
    upscaler = load_upscaler("clean", precision="fp32", device="cpu")
    full = upscaler.upscale_array(pixels)
    crop = upscale_crop(upscaler.upscale_array, pixels, (30, 20, 16, 12), 4)
    assert crop.shape == (48, 64, 3)
    assert np.abs(crop.astype(int) - full[80:128, 120:184].astype(int)).max() <= 1


def test_the_automatic_crop_finds_the_detail(photo):
    x, y, w, h = most_detailed_box(photo[1], 16)
    assert (w, h) == (16, 16) and 30 - 16 < x <= 50 and 20 - 16 < y <= 40


def test_grid_layout_with_a_reference(photo):
    _, pixels = photo
    reference = np.asarray(Image.fromarray(pixels).resize((224, 192), Image.BICUBIC))
    identity = {"nearest": lambda p: np.repeat(np.repeat(p, 4, axis=0), 4, axis=1)}
    grid, panels = compare(pixels, identity, 4, (8, 8, 10, 10), reference)
    assert [p.label for p in panels] == ["bicubic", "nearest", "ground truth"]
    assert grid.shape == (LABEL_HEIGHT + SCORE_LINE + 40, 3 * 40 + 2 * 4, 3)  # 40-px panels: scores on two lines
    assert set(panels[0].scores) == {"psnr", "ssim"} and panels[2].scores == {}
    assert (grid[:LABEL_HEIGHT] < 128).any()  # labels were drawn


def test_cli_writes_the_grid_and_refuses_bad_crops_and_references(photo, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no_torch_cache"))  # no VGG16: LPIPS is skipped and said so
    path, pixels = photo
    write_image(tmp_path / "hr.png", np.asarray(Image.fromarray(pixels).resize((224, 192), Image.BICUBIC)))
    out = tmp_path / "grid.png"
    args = ["compare", str(path), "--models", "clean", "--device", "cpu", "-o", str(out)]
    assert main(args + ["--reference", str(tmp_path / "hr.png"), "--crop-size", "16"]) == 0
    err = capsys.readouterr().err
    assert read_rgb8(out).shape == (LABEL_HEIGHT + SCORE_LINE + 64, 3 * 64 + 2 * 4, 3)
    assert "clean: psnr" in err and "LPIPS not shown" in err
    assert main(args) == 2 and "already exists; pass --overwrite" in capsys.readouterr().err
    assert main(args + ["--overwrite", "--crop", "50,40,16,16"]) == 2
    assert "must lie inside the 56x48 input" in capsys.readouterr().err
    write_image(tmp_path / "small.png", pixels)
    assert main(args + ["--overwrite", "--reference", str(tmp_path / "small.png")]) == 2
    assert "x4 of the 56x48 input is 224x192" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(args + ["--overwrite", "--crop", "1,2,3"])
    assert "expected X,Y,W,H" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "absent.png"), "-o", str(tmp_path / "g.png")]) == 2
    assert "absent.png" in capsys.readouterr().err


def test_scores_of_a_narrow_panel_wrap_instead_of_losing_their_psnr():
    """At 192-px panels (a 48-px crop at x4) the one-line scores were cut from the left to "...B SSIM 0.298 LPIPS
    0.405": the PSNR figure was lost. They wrap onto a second line, the band the same for every panel."""
    from PIL import ImageDraw, ImageFont

    from superres.compare import _score_items, _wrap

    scores = {"psnr": 23.14, "ssim": 0.298, "lpips": 0.405}
    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), ImageFont.load_default(size=14)
    lines = _wrap(draw, font, _score_items(scores), 192 - 8)
    assert lines[0].startswith("23.14 dB") and " ".join(lines).split() == "23.14 dB SSIM 0.298 LPIPS 0.405".split()
    assert all(draw.textlength(line, font=font) <= 184 for line in lines) and len(lines) == 2
    wide = draw_grid([Panel("a", np.zeros((10, 400, 3), np.uint8), scores)])
    narrow = draw_grid([Panel("a", np.zeros((10, 192, 3), np.uint8), scores), Panel("b", np.zeros((10, 192, 3), np.uint8), {})])
    assert wide.shape[0] == LABEL_HEIGHT + 10 and narrow.shape[0] == LABEL_HEIGHT + SCORE_LINE + 10
