"""Training a model: the validated config, presets and schedules, the Trainer and its
events and control, metrics and health figures, checkpoints, history and augmentation;
and judging one: the test set under perturbations, and the smallest change that fools it."""
