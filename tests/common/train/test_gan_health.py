"""The GAN stage stops on NaN losses and on a discriminator pinned at accuracy 0 or 1."""
import math

import pytest
import torch

from common.nn.adversarial import discriminator_accuracy
from common.train.gan_health import DiscriminatorWatch, GANTrainingFailed, check_finite_losses


def test_non_finite_losses_are_named():
    check_finite_losses(3, {"loss_pixel": 0.1, "loss_d": 1.2})
    with pytest.raises(GANTrainingFailed, match="step 7: loss_d, loss_g_adv is not finite"):
        check_finite_losses(7, {"loss_pixel": 0.1, "loss_d": math.nan, "loss_g_adv": math.inf})


def test_pinned_discriminator_stops_after_patience_steps_in_a_row():
    watch = DiscriminatorWatch(patience=3)
    for step, accuracy in enumerate([1.0, 1.0, 0.7, 1.0, 0.995], start=1):
        watch.update(step, accuracy)  # the 0.7 broke the run of pinned steps
    with pytest.raises(GANTrainingFailed, match="separates real from fake perfectly for 3 steps"):
        watch.update(6, 1.0)
    losing = DiscriminatorWatch(patience=2)
    losing.update(1, 0.0)
    with pytest.raises(GANTrainingFailed, match="the other way round"):
        losing.update(2, 0.005)


def test_a_switch_from_one_end_to_the_other_restarts_the_count_and_zero_patience_never_stops():
    watch = DiscriminatorWatch(patience=2)
    watch.update(1, 1.0)
    watch.update(2, 0.0)
    assert watch.pinned_steps == 1 and watch.pinned_side == -1
    never = DiscriminatorWatch(patience=0)
    for step in range(1, 50):
        never.update(step, 1.0)


def test_state_round_trips():
    watch = DiscriminatorWatch(patience=5)
    watch.update(1, 1.0)
    watch.update(2, 1.0)
    copy = DiscriminatorWatch(patience=5)
    copy.load_state_dict(watch.state_dict())
    assert (copy.pinned_steps, copy.pinned_side) == (2, 1)


def test_accuracy_thresholds_follow_the_loss_kind():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([-3.0, -2.0])
    assert discriminator_accuracy("vanilla", real, fake) == 0.75
    assert discriminator_accuracy("lsgan", torch.tensor([0.9, 0.4]), torch.tensor([0.1, 0.6])) == 0.5
    # relativistic: real above the fakes' mean (-2.5): both; fakes below the reals' mean (0.5): both
    assert discriminator_accuracy("relativistic", real, fake) == 1.0
