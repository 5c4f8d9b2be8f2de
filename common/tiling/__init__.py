"""Tiled inference for fully convolutional networks: tile geometry and a torch-free numpy apply (for onnxruntime),
and the torch apply. Imports only common.core and common.io; the tasks and export/ import it."""
