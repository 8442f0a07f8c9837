"""One-command training run for a borrowed GPU machine (data, VAE, stage 1, stage 2, evaluation)."""
