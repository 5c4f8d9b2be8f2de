"""How low-resolution training and evaluation images are made: MATLAB-compatible bicubic resizing, the blur kernels
and the second-order real-world degradation model with its saved settings. Imports only common.core and common.io;
the training loop, the tasks and export/ may import it."""
