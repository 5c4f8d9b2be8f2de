"""CycleGAN's image pool: D trains on a history of 50 generated images per direction, not only the newest."""
from __future__ import annotations

from typing import Any

import torch


class ImagePool:
    """Until full, returns and stores each fake; then with probability 0.5 returns a stored fake and replaces it
    with the new one. Uses the global torch RNG (saved in checkpoints), so resuming replays it exactly.

    Args:
        size: capacity (0 disables the pool).
    """

    def __init__(self, size: int = 50):
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) detached fakes -> (B, C, H, W) fakes for the discriminator."""
        if self.size == 0:
            return images
        chosen = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image.clone())
                chosen.append(image)
            elif torch.rand(1).item() > 0.5:
                index = int(torch.randint(0, self.size, (1,)).item())
                chosen.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                chosen.append(image)
        return torch.cat(chosen, 0)

    def state_dict(self) -> dict[str, Any]:
        return {"size": self.size, "images": [image.cpu() for image in self.images]}

    def load_state_dict(self, state: dict[str, Any], device: torch.device | str = "cpu") -> None:
        self.size = state["size"]
        self.images = [image.to(device) for image in state["images"]]
