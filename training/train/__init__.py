"""Training of kontext-tiny: the VAE, stage 1 (base editor) and stage 2 (Kontinuous strength control)."""
