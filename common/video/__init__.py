"""Video files: probing and decoding with PyAV, encoding in resumable segments, and joining them with the
source's audio, subtitle and data streams copied untouched. It imports only common.core and common.io, and never
torch (so the ONNX path runs videos); common.cli and the tasks import it and supply the per-frame function."""
