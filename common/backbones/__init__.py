"""Pretrained feature networks read from files the user has (VGG16/VGG19 for perceptual losses and LPIPS).
Imports only common.core; common.nn and common.metrics import it."""
