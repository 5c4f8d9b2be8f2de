"""Network parts shared by the tasks: building blocks, discriminators, adversarial and perceptual losses, and the EMA
of a generator. Imports only common.core and common.io; the training loop and the tasks import it."""
