"""Model files: our safetensors weights with their config, other projects' .pth checkpoints read without unpickling
code, and safe unpacking of downloads. Imports only common.core and common.io; the training loop, the tasks and
export/ import it."""
