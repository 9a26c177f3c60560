"""The engine: an MLP forward and backward, its activations, losses, initialisers,
optimisers, the one BLAS call, the resize remap and the batch sampler. Pure NumPy."""
