"""Video files: probing and decoding with PyAV, encoding in resumable segments, and joining them with the
source's audio, subtitle and data streams copied untouched. Imports common.core and common.io only, and never
torch, so the ONNX path can run videos; a task supplies the per-frame function."""
