import os

import cv2
import numpy as np
import pytest
from PIL import Image

from common.core.errors import UserError
from common.core.files import write_bytes_atomic
from common.io.images import list_images, read_image, read_rgb8, write_image


def test_roundtrip_rgb_grey_rgba(tmp_path):
    rng = np.random.default_rng(0)
    for channels in (1, 2, 3, 4):
        pixels = rng.integers(0, 256, (9, 7, channels), dtype=np.uint8)
        path = tmp_path / f"c{channels}.png"
        write_image(path, pixels)
        np.testing.assert_array_equal(read_image(path), pixels)


def test_16bit_grey_and_rgb_stay_16bit(tmp_path):
    rng = np.random.default_rng(1)
    for channels in (1, 3, 4):
        pixels = rng.integers(0, 65536, (6, 5, channels), dtype=np.uint16)
        path = tmp_path / f"deep{channels}.png"
        write_image(path, pixels)
        back = read_image(path)
        assert back.dtype == np.uint16
        np.testing.assert_array_equal(back, pixels)


def test_16bit_rgb_png_written_elsewhere_is_not_truncated(tmp_path):
    pixels = np.full((4, 4, 3), 1000, dtype=np.uint16)  # 1000 would become 3 (or 232) if read as 8-bit
    cv2.imwrite(str(tmp_path / "a.png"), pixels)
    assert read_image(tmp_path / "a.png").max() == 1000
    assert read_rgb8(tmp_path / "a.png").max() == round(1000 / 257)


def test_exif_orientation_applied(tmp_path):
    pixels = np.zeros((2, 4, 3), dtype=np.uint8)
    pixels[0, 0] = 255
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image.save(tmp_path / "o.jpg", exif=exif, quality=100)
    read = read_image(tmp_path / "o.jpg")
    expected = np.asarray(Image.open(tmp_path / "o.jpg").transpose(Image.Transpose.ROTATE_270))
    assert read.shape == (4, 2, 3)
    np.testing.assert_array_equal(read, expected)


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty file"), (b"not an image at all", "not a recognised image"), (None, "truncated")],
)
def test_bad_files_give_one_clear_error(tmp_path, content, reason):
    path = tmp_path / "bad.png"
    if content is None:
        write_image(path, np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
        path.write_bytes(path.read_bytes()[:300])
    else:
        path.write_bytes(content)
    with pytest.raises(UserError) as info:
        read_image(path)
    assert str(path) in str(info.value)
    assert reason.split()[0] in str(info.value) or "cannot read" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_image(tmp_path / "nope.png")


def test_decompression_bomb_refused_with_override(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (4000, 3000)).save(path)
    with pytest.raises(UserError, match="decompression bomb"):
        read_image(path, max_pixels=1_000_000)
    assert read_image(path, max_pixels=None).shape == (3000, 4000, 1)


def test_alpha_in_jpeg_refused_without_leaving_a_file(tmp_path):
    with pytest.raises(UserError, match="alpha"):
        write_image(tmp_path / "x.jpg", np.zeros((4, 4, 4), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_list_images_files_folders_globs(tmp_path):
    for name in ("b.png", "a.jpg", "c.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_images([tmp_path])] == ["a.jpg", "b.png"]
    assert [p.name for p in list_images([str(tmp_path / "*.png")])] == ["b.png"]
    assert list_images([tmp_path / "missing.png"]) == [tmp_path / "missing.png"]


def test_large_png_path_writes_the_same_pixels_and_leaves_the_input_alone(tmp_path, monkeypatch):
    import common.io.images as imageio

    monkeypatch.setattr(imageio, "LARGE_IMAGE_PIXELS", 100)  # take the OpenCV path on a small image
    for channels in (3, 4):
        pixels = np.random.default_rng(channels).integers(0, 256, (40, 30, channels), dtype=np.uint8)
        original = pixels.copy()
        write_image(tmp_path / f"big{channels}.png", pixels)
        np.testing.assert_array_equal(pixels, original)
        np.testing.assert_array_equal(read_image(tmp_path / f"big{channels}.png"), original)
        pixels.setflags(write=False)  # e.g. np.asarray(PIL image): nothing may be swapped in place
        write_image(tmp_path / f"read_only{channels}.png", pixels)
        np.testing.assert_array_equal(read_image(tmp_path / f"read_only{channels}.png"), original)
