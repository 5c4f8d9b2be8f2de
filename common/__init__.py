"""Shared parts of the suite, grouped by concept; imports nothing from superres/, translate/ or export/.

Sub-packages, lowest first; a sub-package imports only those of a lower rank (tests/test_import_rules.py):

0. ``core``: user errors, configs to and from JSON, whole-or-nothing files, console, device
1. ``io``: image files, PNG details, array resizing, batch runs over files
2. ``tiling``, ``degrade``, ``nn``, ``metrics``, ``weights``: tiled inference; LR image making; blocks,
   discriminators, losses, EMA; SR protocol and FID/KID; model files and foreign checkpoints
3. ``train``: the generic loop, checkpoints, RNG, DDP, progress, run report
4. ``cli``: the option grammar and command runner
"""
