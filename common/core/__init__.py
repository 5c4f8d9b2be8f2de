"""The base every other part stands on: the user-error type, frozen configs to and from JSON, files written whole or
not at all, the shared console and log lines, and the device choice. Imports no other sub-package of common/;
anything may import it."""
