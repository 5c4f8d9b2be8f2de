"""Scores: the SR evaluation protocol (PSNR/SSIM on Y, border crop) and FID/KID with their Inception feature
extractor. Imports only common.core and common.io; the training loop and the tasks may import it."""
