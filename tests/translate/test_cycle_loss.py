import torch
import torch.nn.functional as F

from translate.cycle_loss import cycle_loss, lowpass


def _photo_like(seed: int = 0) -> torch.Tensor:
    """Smooth shapes plus fine texture, in [-1, 1]."""
    generator = torch.Generator().manual_seed(seed)
    coarse = F.interpolate(torch.rand(2, 3, 8, 8, generator=generator), size=64, mode="bilinear", align_corners=False)
    fine = 0.3 * torch.rand(2, 3, 64, 64, generator=generator)
    return (coarse + fine) * 1.5 - 1


def test_plain_cycle_loss_is_the_reference_l1():
    rec, original = _photo_like(0), _photo_like(1)
    assert torch.equal(cycle_loss(rec, original), F.l1_loss(rec, original))


def test_lowpass_keeps_flat_images_and_the_mean():
    flat = torch.full((1, 3, 32, 32), 0.25)
    assert torch.allclose(lowpass(flat, 2.0), flat, atol=1e-6)
    assert torch.allclose(lowpass(flat[..., :8, :8], 20.0), flat[..., :8, :8], atol=1e-6)  # kernel larger than the image
    image = _photo_like()
    assert torch.allclose(lowpass(image, 2.0).mean(dim=(2, 3)), image.mean(dim=(2, 3)), atol=0.02)


def test_lowpass_cycle_forgives_lost_detail_but_not_tone_changes():
    image = _photo_like()
    detail_lost = lowpass(image, 1.2)  # what a blurring A->B would leave for B->A to restore
    tone_changed = image * 0.8  # the same L1 budget spent on a contrast change
    assert cycle_loss(detail_lost, image, 2.0) < 0.35 * cycle_loss(detail_lost, image)
    assert cycle_loss(tone_changed, image, 2.0) > 0.8 * cycle_loss(tone_changed, image)
