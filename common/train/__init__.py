"""Training: the one generic loop that every task drives with its step object, full-state checkpoints, RNG capture,
DDP under torchrun, progress lines and the HTML run report. Imports common.core, common.io and the rank-2 sub-
packages (tiling, degrade, nn, metrics, weights); only common.cli and the tasks import it."""
