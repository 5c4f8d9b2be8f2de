"""Image files and batches of them: reading and writing without silent loss (PNG details included), resizing of
arrays, and running a function over many files. Imports only common.core; anything above it may import it."""
