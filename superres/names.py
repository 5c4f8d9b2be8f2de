"""Architecture names the CLI offers, kept free of torch so that ``--help`` and the ONNX path start fast."""

# superres train --arch: the factories live in superres.models and superres.architectures
TRAIN_ARCHITECTURES = ("compact", "lr_shuffle", "msrresnet", "rrdbnet", "srresnet")
# --arch for a released .pth (see superres.importers)
IMPORT_ARCHITECTURES = ("auto", "rrdbnet", "esrgan_old", "compact", "compact_relu", "compact_leakyrelu", "msrresnet", "swift_srgan", "srgan")
SCALES = (2, 3, 4, 8)  # upscaling factors the CLI trains and evaluates
