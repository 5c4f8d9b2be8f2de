"""Shared GAN building blocks, losses, image IO, metrics, tiling and the generic training loop."""
