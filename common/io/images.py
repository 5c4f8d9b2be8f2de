"""Reading and writing images without silent loss.

Images are numpy arrays of shape (H, W, C), dtype uint8 or uint16, C = 1 (grey), 2 (grey + alpha),
3 (RGB) or 4 (RGBA). EXIF orientation is applied on read. 16-bit PNG/TIFF stays 16-bit (PIL truncates
16-bit RGB PNG to 8 bits, so those go through OpenCV). Writes go to a temporary name in the target folder
and are renamed into place, so a crash never leaves a half-written file.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from common.core.console import escape, log
from common.core.errors import UserError
from common.core.files import write_bytes_atomic
from common.io.metadata import ImageMetadata, exif_with_software
from common.io.png import (
    LARGE_IMAGE_PIXELS, PNG_GREY_ALPHA, encode_large_png, encode_png16_grey_alpha, metadata_chunks, png_bit_depth, png_header, write_png_buffer,
)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_MAX_PIXELS = 100_000_000  # 100 MP input; anything larger is refused unless the caller raises it

_EXIF_ORIENTATION = 0x0112


def _apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    # EXIF orientations 2..8 as numpy flips and rotations (same result as PIL's exif_transpose).
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.swapaxes(a, 0, 1)[::-1],
    }
    op = ops.get(orientation)
    return np.ascontiguousarray(op(pixels)) if op else pixels


def _read_with_opencv(path: Path) -> np.ndarray:
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    pixels = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise UserError(f"{path}: OpenCV could not decode this 16-bit image")
    if pixels.ndim == 2:
        return pixels[..., None]
    if pixels.shape[2] == 3:
        return pixels[..., ::-1].copy()
    if pixels.shape[2] == 4:
        return pixels[..., [2, 1, 0, 3]].copy()
    return pixels


def pil_to_array(image: Image.Image, path: Path) -> np.ndarray:
    mode = image.mode
    if mode in ("1", "L", "P", "LA", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        if mode == "1":
            image = image.convert("L")
        elif mode in ("P", "PA"):
            has_alpha = mode == "PA" or "transparency" in image.info
            image = image.convert("RGBA" if has_alpha else "RGB")
        elif mode in ("L", "RGB") and "transparency" in image.info:
            image = image.convert("LA" if mode == "L" else "RGBA")  # a tRNS colour key is transparency: keep it as alpha
        elif mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
            image = image.convert("RGB")
        pixels = np.array(image, dtype=np.uint8)
    elif mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        pixels = np.array(image)
        if pixels.dtype != np.uint16:
            if pixels.min() < 0 or pixels.max() > 65535:
                raise UserError(f"{path}: 32-bit integer image with values outside 0..65535 is not supported")
            pixels = pixels.astype(np.uint16)
    else:
        raise UserError(f"{path}: image mode {mode!r} is not supported (use 8/16-bit grey, RGB or RGBA)")
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    return np.ascontiguousarray(pixels)


def read_image(path: str | os.PathLike, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file as an (H, W, C) uint8/uint16 array with EXIF orientation applied.

    Args:
        path: the file.
        max_pixels: refuse images with more pixels than this (decompression-bomb guard); None disables.

    Raises:
        UserError: missing, empty, truncated, non-image, unsupported or oversized file.
    """
    path = Path(path)
    check_regular_file(path)
    if path.stat().st_size == 0:
        raise UserError(f"{path}: empty file (0 bytes)")
    width = height = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            previous_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                image = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = previous_limit
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise UserError(
                    f"{path}: {width}x{height} = {width * height / 1e6:.0f} MP is above the "
                    f"{max_pixels / 1e6:.0f} MP limit (possible decompression bomb); raise it with --max-pixels"
                )
            if image.format == "PNG":
                check_png_can_hold(path, width, height, len(image.getbands()))
            orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                log(f"[yellow]warning:[/] {escape(str(path))}: holds {frames} frames (animation or pages); only the first is used")
            if image.format == "PNG" and png_bit_depth(path) == 16 and image.mode not in ("I;16", "I", "I;16B"):
                pixels = _read_with_opencv(path)
                if png_header(path)[25] == PNG_GREY_ALPHA and pixels.shape[2] == 4:
                    pixels = np.ascontiguousarray(pixels[..., [0, 3]])  # OpenCV expands grey+alpha to RGBA
            elif image.format == "TIFF" and image.mode in ("RGB", "RGBA") and image.tile and "16" in str(image.tile[0][3]):
                pixels = _read_with_opencv(path)
            else:
                image.load()
                # Read again after decoding: Pillow 13 turns TIFF pixels upright itself and drops the tag then,
                # so the tag read from the header would rotate them twice.
                orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
                pixels = pil_to_array(image, path)
    except UserError:
        raise
    except MemoryError:
        need = width * height * 3 * (2 if png_bit_depth(path) == 16 else 1)
        raise UserError(f"{path}: out of memory decoding {width}x{height} = {width * height / 1e6:.0f} MP "
                        f"(about {need / 2**30:.1f} GiB); free memory or leave --max-pixels at its limit") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = "not a recognised image file" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise UserError(f"{path}: cannot read image ({reason})") from None
    return _apply_orientation(pixels, int(orientation))


def check_regular_file(path: Path) -> None:
    """Refuse, without opening it (a FIFO would block), anything but a regular file: a missing path, a broken link
    or link loop, a folder, a FIFO, a device (a link to ``/dev/zero`` would be read for ever).

    Raises:
        UserError: naming ``path`` and what it is.
    """
    if path.is_file():
        return
    if path.is_symlink() and not path.exists():
        raise UserError(f"{path}: broken symbolic link or link loop")
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        kind = "a folder"
    elif path.is_fifo():
        kind = "a FIFO"
    elif path.is_char_device() or path.is_block_device():
        kind = "a device"
    else:
        kind = "a socket or other special file"
    raise UserError(f"{path}: not a regular file ({kind})")


def check_png_can_hold(path: Path, width: int, height: int, channels: int) -> None:
    """Refuse a PNG whose header claims more pixels than its bytes can hold: deflate packs at most 1032:1, so a
    smaller file is truncated or its header forged (decoding it would first allocate the whole claimed image).

    Raises:
        UserError: naming ``path``, the claimed size and the file size.
    """
    least_raw = width * height * channels  # at 8 bits; 16-bit images need twice as many bytes
    size = path.stat().st_size
    if least_raw > 1032 * size + 4096:
        raise UserError(f"{path}: the header claims {width}x{height} = {width * height / 1e6:.0f} MP, but the file's "
                        f"{size:,} bytes cannot hold that many pixels (truncated, or a forged header)")


def read_rgb8(path: str | os.PathLike, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image as (H, W, 3) uint8 RGB (for training data and metrics): grey is replicated, alpha dropped,
    16-bit is rescaled (not clipped)."""
    return as_rgb8(read_image(path, max_pixels))


def as_rgb8(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) uint8/uint16 as :func:`read_image` returns it -> (H, W, 3) uint8 RGB: grey replicated, alpha
    dropped, 16-bit rescaled (not clipped)."""
    if pixels.dtype == np.uint16:
        pixels = ((pixels.astype(np.float32) / 257.0).round()).astype(np.uint8)
    channels = pixels.shape[2]
    if channels in (1, 2):
        pixels = np.repeat(pixels[..., :1], 3, axis=2)
    return np.ascontiguousarray(pixels[..., :3])


SOFTWARE_TAG = 0x0131  # EXIF/TIFF "Software"; PNG uses a tEXt chunk of the same name


def read_software_marker(path: str | os.PathLike) -> str | None:
    """The ``Software`` tag of an image file (PNG text, EXIF or TIFF), or None; reads only the header."""
    if not Path(path).is_file():
        return None  # never open a FIFO or a device (it would block or never end); reading it reports it
    try:
        with Image.open(path) as image:
            text = image.info.get("Software") if image.format == "PNG" else image.getexif().get(SOFTWARE_TAG)
    except Exception:  # any unreadable file simply has no marker; reading it for real reports the problem
        return None
    return text if isinstance(text, str) else None


def _encode_to(handle, pixels: np.ndarray, suffix: str, quality: int, marker: str | None = None, metadata: ImageMetadata | None = None) -> None:
    """Encode into an open binary file (no second in-memory copy of a large output); ``marker`` goes into the
    Software tag and ``metadata`` (ICC profile, EXIF) where the format has them (PNG, JPEG, WebP, TIFF)."""
    icc = metadata.icc_profile if metadata else None
    suffix = suffix.lower()
    channels = pixels.shape[2]
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
    if suffix not in fmt:
        raise UserError(f"unsupported output extension {suffix!r} (use one of {', '.join(IMAGE_SUFFIXES)})")
    if pixels.dtype == np.uint16:
        if suffix not in (".png", ".tif", ".tiff"):
            raise UserError(f"16-bit output needs .png or .tif, not {suffix}")
        if channels == 2:
            if suffix != ".png":
                raise UserError(f"16-bit grey + alpha output needs .png, not {suffix}")
            handle.write(encode_png16_grey_alpha(pixels, metadata_chunks(marker, icc, metadata.exif if metadata else None)))
            return
        import cv2

        if channels == 3:
            pixels = pixels[..., ::-1]
        elif channels == 4:
            pixels = pixels[..., [2, 1, 0, 3]]
        ok, buffer = cv2.imencode(suffix, np.ascontiguousarray(pixels))
        if not ok:
            raise UserError(f"OpenCV could not encode a 16-bit {suffix} image")
        if suffix != ".png" and metadata and (metadata.icc_profile or metadata.exif):
            log("[yellow]warning:[/] a 16-bit TIFF result keeps no ICC profile or EXIF (OpenCV writes it); .png keeps them")
        write_png_buffer(handle, buffer, metadata_chunks(marker, icc, metadata.exif if metadata else None) if suffix == ".png" else b"")
        return
    if suffix in (".jpg", ".jpeg") and channels in (2, 4):
        raise UserError(f"{suffix} cannot hold an alpha channel; choose .png or .webp output")
    # The fast path swaps channels in the caller's array for a moment, so read-only arrays take PIL's path.
    if suffix == ".png" and channels in (3, 4) and pixels.shape[0] * pixels.shape[1] > LARGE_IMAGE_PIXELS and pixels.flags.writeable:
        encode_large_png(handle, pixels, metadata_chunks(marker, icc, metadata.exif if metadata else None))
        return
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode=mode)
    options: dict = {"quality": quality} if fmt[suffix] in ("JPEG", "WEBP") else {}
    if icc and fmt[suffix] != "BMP":
        options["icc_profile"] = icc
    if fmt[suffix] == "PNG":
        if marker:
            from PIL.PngImagePlugin import PngInfo

            options["pnginfo"] = PngInfo()
            options["pnginfo"].add_text("Software", marker)
        if metadata and metadata.exif:
            options["exif"] = metadata.exif
    elif fmt[suffix] in ("JPEG", "WEBP", "TIFF"):
        exif = exif_with_software(metadata, marker)
        if exif:
            options["exif"] = exif
    image.save(handle, format=fmt[suffix], **options)


def write_image(path: str | os.PathLike, pixels: np.ndarray, quality: int = 95, marker: str | None = None, overwrite: bool = True,
                metadata: ImageMetadata | None = None) -> None:
    """Write an (H, W, C) uint8/uint16 array atomically; the format follows the file extension. ``marker``
    is stored as the file's Software tag (see :func:`read_software_marker`), ``metadata`` (the source's ICC
    profile and EXIF, see :func:`common.io.metadata.read_metadata`) where the format holds them.

    Raises:
        UserError: the extension cannot hold this image (alpha in JPEG, 16-bit in JPEG, unknown extension).
    """
    path = Path(path)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    pixels = np.ascontiguousarray(pixels)
    try:
        write_bytes_atomic(path, lambda handle: _encode_to(handle, pixels, path.suffix, quality, marker, metadata), overwrite)
    except UserError as exc:
        message = str(exc)
        raise UserError(message if message.startswith(str(path)) else f"{path}: {message}") from None


def _folder_entries(folder: Path, recursive: bool) -> list[Path]:
    """The entries of ``folder`` (and, when ``recursive``, of its subfolders, links to folders not followed)."""
    if not recursive:
        return list(folder.iterdir())
    found = []
    for top, _dirs, files in os.walk(folder, followlinks=False):
        found += [Path(top) / name for name in files]
    return found


def list_images(paths: list[str | os.PathLike], recursive: bool = False) -> list[Path]:
    """Expand files, folders (sorted; with ``recursive``, their subfolders too) and glob patterns into image paths.

    A name that is an existing file is taken literally even if it holds glob characters (``photo [1].png``).
    A path that matches nothing is returned as is, so the caller reports it as missing.
    """
    import glob

    found: list[Path] = []
    for entry in paths:
        entry_path = Path(entry)
        if entry_path.is_dir():
            # Not only regular files: a link loop, a FIFO or a device named like an image is kept, so that reading
            # it reports it on its own line instead of leaving it out without a word. Folders are not images.
            found.extend(sorted(p for p in _folder_entries(entry_path, recursive) if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir()))
        elif entry_path.is_file():
            found.append(entry_path)
        elif any(ch in str(entry) for ch in "*?["):
            found.extend(sorted(Path(p) for p in glob.glob(str(entry)) if Path(p).suffix.lower() in IMAGE_SUFFIXES))
        else:
            found.append(entry_path)
    return found


def image_to_array(image: Image.Image | np.ndarray) -> tuple[np.ndarray, str]:
    """(H, W, C) uint8/uint16 array and a tag to convert the result back ('pil', 'hw', 'hwc', 'float-hw', ...)."""
    if isinstance(image, Image.Image):
        return pil_to_array(image, Path("<PIL image>")), "pil"
    if not isinstance(image, np.ndarray):
        raise TypeError(f"expected a PIL image or numpy array, got {type(image).__name__}")
    kind = "hw" if image.ndim == 2 else "hwc"
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise UserError(f"array of shape {image.shape}: expected (H, W) or (H, W, C) with C in 1..4")
    if image.dtype in (np.float32, np.float64):
        return (np.clip(image, 0, 1) * 65535).round().astype(np.uint16), "float-" + kind
    if image.dtype not in (np.uint8, np.uint16):
        raise UserError(f"array dtype {image.dtype}: expected uint8, uint16 or float in [0, 1]")
    return image, kind


def array_to_image(pixels: np.ndarray, kind: str) -> Image.Image | np.ndarray:
    if kind == "pil":
        channels = pixels.shape[2]
        if pixels.dtype == np.uint16:
            if channels == 1:
                return Image.fromarray(pixels[..., 0], mode="I;16")
            pixels = (pixels / 257.0).round().astype(np.uint8)  # PIL has no 16-bit RGB mode
        return Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode={1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels])
    if kind.startswith("float-"):
        pixels, kind = pixels.astype(np.float32) / 65535.0, kind.removeprefix("float-")
    return pixels[..., 0] if kind == "hw" else pixels
